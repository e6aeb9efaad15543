// The CLI (`npm run stub`) as a child process: JSON logs, a graceful SIGTERM drain that exits 0, and one-line
// failures for a bad environment.
import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../support/wait";
import { openSse, REPO_ROOT } from "./helpers/stub";

const MAIN = "infra/agentapi-stub/src/main.ts";

interface Cli {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<number | null>;
}

function startCli(env: Record<string, string>): Cli {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, AGENTAPI_PORT: "0", BROKER_PORT: "0", STUB_THINK_MS: "20-40", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    let newline: number;
    while ((newline = stdout.indexOf("\n")) >= 0) {
      const line = stdout.slice(0, newline);
      stdout = stdout.slice(newline + 1);
      lines.push(JSON.parse(line) as Record<string, unknown>); // every stdout line must be JSON
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, lines, stderr: () => stderr, exited };
}

async function ready(cli: Cli, timeoutMs = 20_000): Promise<{ agentApiUrl: string; brokerUrl: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = cli.lines.find((l) => l.msg === "agentapi-stub ready");
    if (line) return line as unknown as { agentApiUrl: string; brokerUrl: string };
    if (Date.now() > deadline || cli.child.exitCode !== null) {
      throw new Error(`CLI not ready; stderr: ${cli.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

let running: Cli | undefined;
afterEach(() => {
  if (running && running.child.exitCode === null) running.child.kill("SIGKILL");
  running = undefined;
});

describe("npm run stub (the CLI)", () => {
  it("serves both listeners, logs JSON, and drains on SIGTERM: in-flight request finishes, streams end, exit 0", async () => {
    // debug: fastify logs "incoming request" right before the request hook that refuses new work while draining.
    running = startCli({ STUB_LOG_LEVEL: "debug" });
    const { agentApiUrl, brokerUrl } = await ready(running);
    expect((await fetch(`${agentApiUrl}/status`)).status).toBe(200);
    expect((await fetch(`${brokerUrl}/healthz`)).status).toBe(200);

    const stream = await openSse(`${agentApiUrl}/events`);
    await stream.until((events) => events.some((e) => e.event === "status_change"));
    const slow = fetch(`${agentApiUrl}/messages`, { headers: { "x-fault-delay-ms": "400" } });
    // In flight once logged: fastify logs it synchronously just before the hook's drain check, so SIGTERM (a later
    // tick) cannot turn it away.
    const cli = running;
    await until(
      () =>
        cli.lines.some(
          (l) => l.msg === "incoming request" && (l.req as { url?: string } | undefined)?.url === "/messages",
        ),
      "the stub logging the slow GET /messages as an incoming request",
      20_000,
    );
    running.child.kill("SIGTERM");

    expect((await slow).status).toBe(200);
    await stream.ended;
    expect(await running.exited).toBe(0);
    const messages = running.lines.map((l) => l.msg);
    expect(messages).toContain("draining");
    expect(messages).toContain("stopped");
    for (const line of running.lines)
      expect(line).toMatchObject({ level: expect.any(Number) as number, time: expect.any(Number) as number });
    expect(running.stderr()).toBe("");
  });

  it("SIGINT also drains and exits 0", async () => {
    running = startCli({});
    const { agentApiUrl } = await ready(running);
    expect((await fetch(`${agentApiUrl}/healthz`)).status).toBe(200);
    running.child.kill("SIGINT");
    expect(await running.exited).toBe(0);
  });

  it.each([
    [{ STUB_THINK_MS: "fast" }, /STUB_THINK_MS/],
    [{ AGENTAPI_PORT: "70000" }, /AGENTAPI_PORT must be between 0 and 65535/],
    [{ AGENTAPI_ALLOWED_HOSTS: "localhost:3284" }, /must not include a port/],
    [{ STUB_FAULT_ERROR_RATE: "2" }, /STUB_FAULT_ERROR_RATE/],
    [{ STUB_LOG_LEVEL: "loud" }, /STUB_LOG_LEVEL/],
  ])("a bad environment %j fails with one line on stderr and exit 2", async (env, message) => {
    running = startCli(env);
    expect(await running.exited).toBe(2);
    const stderr = running.stderr();
    expect(stderr).toMatch(message);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/^agentapi-stub: /);
  });
});
