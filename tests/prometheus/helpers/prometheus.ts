// A real Prometheus (Debian's `prometheus` package, 2.42) for one test file: own temp storage dir, loopback-only
// port, the remote-write receiver on and native histograms enabled, nothing scraped (it only holds what is written).
//
// What the head accepts (Prometheus 2.42, no out-of-order window configured): per series, only samples newer than
// the series' last one (an equal timestamp with an equal value is ignored, a different one is rejected); across the
// TSDB, nothing older than the head's newest sample − 1 h (half the 2 h block range), "out of bounds". A fresh TSDB
// takes its first sample at any time, so tests place their data at recent times (now − a few minutes) and every
// file writes each series in time order, as k6 does.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { freePort, startServerProcess } from "../../support/server-process";

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

/** No scrape jobs: the server only stores what the tests write. A long interval keeps it from scraping itself. */
const CONFIG = ["global:", "  scrape_interval: 1h", "  evaluation_interval: 1h", "scrape_configs: []", ""].join("\n");

export async function startPrometheus(binary: string): Promise<RunningPrometheus> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startServerProcess({
    name: "prometheus",
    binary,
    files: () => ({ "prometheus.yml": CONFIG }),
    args: (dir) => [
      `--config.file=${join(dir, "prometheus.yml")}`,
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
    url,
    ready: { path: "/-/ready", status: 200 },
    timeoutMs: 30_000,
  });
  return { url, dataDir: join(server.dir, "data"), stop: server.stop };
}
