// A real server binary (Debian's influxd, prometheus) started for one test file: its own temp dir, loopback port,
// stderr kept for the failure message, "ready" as an HTTP answer polled until a deadline (never a guessed sleep),
// and a stop that kills it and removes its files.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ServerSpec {
  /** For messages: "influxd". */
  name: string;
  binary: string;
  /** The arguments, given the server's own temp dir. */
  args: (dir: string) => string[];
  /** Files to write into the dir before starting (a config). */
  files?: (dir: string) => Record<string, string>;
  /** The base URL and the path + status that says it is ready: `${url}${path}` answers `status`. */
  url: string;
  ready: { path: string; status: number };
  timeoutMs: number;
}

export interface ServerProcess {
  dir: string;
  stop: () => Promise<void>;
}

async function waitForReady(spec: ServerSpec, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + spec.timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${spec.name} exited with ${child.exitCode}: ${log().slice(-500)}`);
    try {
      const res = await fetch(`${spec.url}${spec.ready.path}`);
      if (res.status === spec.ready.status) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${spec.name} did not answer ${spec.ready.path} within ${spec.timeoutMs} ms: ${log().slice(-500)}`);
}

/** Starts the server and resolves once it answers ready; a server that never does is stopped and the error thrown. */
export async function startServerProcess(spec: ServerSpec): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), `${spec.name}-`));
  for (const [name, text] of Object.entries(spec.files?.(dir) ?? {})) writeFileSync(join(dir, name), text);
  let log = "";
  const child = spawn(spec.binary, spec.args(dir), { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    log = (log + chunk).slice(-20_000);
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForReady(spec, child, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { dir, stop };
}
