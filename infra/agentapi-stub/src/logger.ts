// Structured JSON logs (fastify's pino): one line per event, each tagged with the listener it came from.
import type { FastifyServerOptions } from "fastify";
import type { LogLevel } from "./config";

export function loggerOptions(level: LogLevel, listener: "agentapi" | "broker"): FastifyServerOptions["logger"] {
  if (level === "silent") return false;
  return {
    level,
    base: { service: "agentapi-stub", listener },
    // Never log credentials the clients send.
    redact: { paths: ["req.headers.authorization", "req.headers.cookie"], censor: "[redacted]" },
  };
}

const SEVERITY: Record<LogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: 99,
};

/** A JSON log line in pino's shape, for the CLI's own events (start, drain) outside any request. */
export function logLine(level: LogLevel, threshold: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  if (level === "silent" || SEVERITY[level] < SEVERITY[threshold]) return;
  const line = { level: SEVERITY[level], time: Date.now(), pid: process.pid, service: "agentapi-stub", ...fields, msg };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
