// A real Prometheus (Debian's `prometheus` package, 2.42) for one test file: own temp storage dir, loopback-only
// port, the remote-write receiver on and native histograms enabled, nothing scraped (it only holds what is written).
//
// What the head accepts (Prometheus 2.42, no out-of-order window configured): per series, only samples newer than
// the series' last one (an equal timestamp with an equal value is ignored, a different one is rejected); across the
// TSDB, nothing older than the head's newest sample − 1 h (half the 2 h block range), "out of bounds". A fresh TSDB
// takes its first sample at any time, so tests place their data at recent times (now − a few minutes) and every
// file writes each series in time order, as k6 does.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RunningPrometheus {
  /** Base URL, e.g. http://127.0.0.1:41234 (remote write at /api/v1/write, queries at /api/v1/query). */
  url: string;
  /** Its TSDB directory (store size: du). */
  dataDir: string;
  stop(): Promise<void>;
}

/** The prometheus binary on PATH, or undefined (the caller skips with a printed reason). */
export function findPrometheus(): string | undefined {
  const probe = spawnSync("prometheus", ["--version"], { encoding: "utf8" });
  return probe.status === 0 ? "prometheus" : undefined;
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

/** No scrape jobs: the server only stores what the tests write. A long interval keeps it from scraping itself. */
const CONFIG = ["global:", "  scrape_interval: 1h", "  evaluation_interval: 1h", "scrape_configs: []", ""].join("\n");

async function waitForReady(url: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${log().slice(-500)}`);
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`prometheus did not answer /-/ready within ${timeoutMs} ms: ${log().slice(-500)}`);
}

export async function startPrometheus(binary: string): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "prometheus-rw-"));
  const port = await freePort();
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, CONFIG);
  let log = "";
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-remote-write-receiver",
      "--enable-feature=native-histograms",
      // As the stack runs it (docker-compose.yml): the PromQL panels' gains need series silent for minutes.
      "--query.lookback-delta=1h",
      // Nothing outlives the test file anyway; a short retention keeps it from ever compacting old blocks.
      "--storage.tsdb.retention.time=1d",
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    log = (log + chunk).slice(-20_000);
  });
  const url = `http://127.0.0.1:${port}`;

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
    await waitForReady(url, child, () => log, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, dataDir: join(dir, "data"), stop };
}
