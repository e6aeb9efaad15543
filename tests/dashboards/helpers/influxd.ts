// A real InfluxDB 1.x server (Debian's `influxdb` package) for one test file: own temp dir, loopback-only HTTP and
// RPC ports, no usage reporting, no self-monitoring. InfluxDB 2 answers InfluxQL through the same v1 /query API
// (database = bucket via its DBRP mapping), so the dashboard's queries run here as they run against the stack.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { freePort, startServerProcess } from "../../support/server-process";

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

export async function startInfluxd(binary: string): Promise<RunningInfluxd> {
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${httpPort}`;
  const { dir, stop } = await startServerProcess({
    name: "influxd",
    binary,
    files: (d) => ({ "influxdb.conf": config(d, httpPort, rpcPort) }),
    args: (d) => ["-config", join(d, "influxdb.conf")],
    url,
    ready: { path: "/ping", status: 204 },
    timeoutMs: 15_000,
  });

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
