// A real InfluxDB 1.x server (Debian's `influxdb` package) for one test file: own temp dir, loopback-only HTTP and
// RPC ports, no usage reporting, no self-monitoring. InfluxDB 2 answers InfluxQL through the same v1 /query API
// (database = bucket via its DBRP mapping), so the dashboard's queries run here as they run against the stack.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: (number | string | null)[][];
}

interface InfluxResult {
  statement_id: number;
  series?: InfluxSeries[];
  error?: string;
}

export interface RunningInfluxd {
  url: string;
  /** Its data, WAL and meta directories' parent (store size: du). */
  dataDir: string;
  /** Runs InfluxQL; a statement error fails loudly with the query in the message. */
  query(q: string, db?: string): Promise<InfluxSeries[]>;
  /** Writes line protocol (nanosecond timestamps) to db/rp. */
  write(lines: string[], db: string, rp: string): Promise<void>;
  stop(): Promise<void>;
}

/** The influxd binary on PATH, or undefined (the caller skips with a printed reason). */
export function findInfluxd(): string | undefined {
  const probe = spawnSync("influxd", ["version"], { encoding: "utf8" });
  return probe.status === 0 ? "influxd" : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function config(dir: string, httpPort: number, rpcPort: number): string {
  return [
    "reporting-disabled = true",
    `bind-address = "127.0.0.1:${rpcPort}"`,
    "[meta]",
    `  dir = "${join(dir, "meta")}"`,
    "  logging-enabled = false",
    "[data]",
    `  dir = "${join(dir, "data")}"`,
    `  wal-dir = "${join(dir, "wal")}"`,
    "  query-log-enabled = false",
    "[http]",
    `  bind-address = "127.0.0.1:${httpPort}"`,
    "  log-enabled = false",
    "[monitor]",
    "  store-enabled = false",
    "[continuous_queries]",
    "  enabled = false",
    "[subscriber]",
    "  enabled = false",
    "",
  ].join("\n");
}

async function waitForPing(url: string, child: ChildProcess, stderr: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`influxd exited with ${child.exitCode}: ${stderr().slice(-500)}`);
    try {
      const res = await fetch(`${url}/ping`);
      if (res.status === 204) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`influxd did not answer /ping within ${timeoutMs} ms: ${stderr().slice(-500)}`);
}

export async function startInfluxd(binary: string): Promise<RunningInfluxd> {
  const dir = mkdtempSync(join(tmpdir(), "influxd-dash-"));
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const configFile = join(dir, "influxdb.conf");
  writeFileSync(configFile, config(dir, httpPort, rpcPort));
  let log = "";
  const child = spawn(binary, ["-config", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    log = (log + chunk).slice(-20_000);
  });
  const url = `http://127.0.0.1:${httpPort}`;

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
    await waitForPing(url, child, () => log, 15_000);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url,
    dataDir: dir,
    stop,
    async query(q, db) {
      const params = new URLSearchParams({ q, epoch: "ms" });
      if (db !== undefined) params.set("db", db);
      const res = await fetch(`${url}/query`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: params,
      });
      const body = (await res.json()) as { results?: InfluxResult[]; error?: string };
      const error = body.error ?? body.results?.find((r) => r.error !== undefined)?.error;
      if (!res.ok || error !== undefined) throw new Error(`InfluxQL failed (${res.status}: ${error}): ${q}`);
      return (body.results ?? []).flatMap((r) => r.series ?? []);
    },
    async write(lines, db, rp) {
      const params = new URLSearchParams({ db, rp, precision: "ns" });
      const res = await fetch(`${url}/write?${params.toString()}`, { method: "POST", body: lines.join("\n") });
      if (res.status !== 204) throw new Error(`write failed (${res.status}): ${await res.text()}`);
    },
  };
}
