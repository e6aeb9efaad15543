// The metrics store the tools read (tools/store/README.md): InfluxDB (every sample, exact) or Prometheus (native
// histograms, statistics with their bounds), chosen by the same METRICS setting that chose where k6 wrote.
import { createInfluxReader, type LoadConfigOptions, parseDotEnv, REPO_ROOT } from "../influx/index";
import { loadPrometheusConfig } from "../prometheus/config";
import { createInfluxStore } from "./influx";
import { createPrometheusStore } from "./prometheus";
import { createQueryClient } from "../prometheus/query";
import { StoreError, type RunStore, type StoreKind } from "./types";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export * from "./types";
export { createInfluxStore } from "./influx";
export { createPrometheusStore } from "./prometheus";

/** `--store` / METRICS values → the store read. `both` reads InfluxDB: it keeps the samples. */
const STORES: Readonly<Record<string, StoreKind>> = {
  influxdb: "influx",
  prometheus: "prometheus",
  both: "influx",
};

export const STORE_CHOICES = Object.keys(STORES).join("|");

/** Which store: the explicit choice, else METRICS from the environment or .env, else InfluxDB. */
export function storeKind(choice: string | undefined, options: LoadConfigOptions = {}): StoreKind {
  const env = options.env ?? process.env;
  const file = options.envFile === undefined ? join(REPO_ROOT, ".env") : options.envFile;
  const fromFile = file !== null && existsSync(file) ? parseDotEnv(readFileSync(file, "utf8")) : {};
  const value = choice ?? env.METRICS ?? fromFile.METRICS ?? "influxdb";
  const kind = STORES[value === "" ? "influxdb" : value];
  if (kind === undefined) {
    throw new StoreError("query", `unknown metrics store "${value}" (METRICS or --store: ${STORE_CHOICES})`);
  }
  return kind;
}

/** k6's duration form of K6_PROMETHEUS_RW_PUSH_INTERVAL ("5s", "500ms", "1m"); undefined when unset. */
export function durationMs(value: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value ?? "");
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "s" ? 1000 : 60_000);
}

export interface CreateStoreOptions extends LoadConfigOptions {
  /** --store: influxdb | prometheus | both. */
  choice?: string;
  /** Overrides of where (tests). */
  influxUrl?: string;
  prometheusUrl?: string;
  token?: string;
}

export function createStore(options: CreateStoreOptions = {}): RunStore {
  const kind = storeKind(options.choice, options);
  if (kind === "prometheus") {
    const url = options.prometheusUrl ?? loadPrometheusConfig(options).url;
    const push = durationMs((options.env ?? process.env).K6_PROMETHEUS_RW_PUSH_INTERVAL);
    return createPrometheusStore(
      createQueryClient({ url, envFile: null }),
      push === undefined ? {} : { pushIntervalMs: push },
    );
  }
  const reader = createInfluxReader({
    ...(options.env ? { env: options.env } : {}),
    ...(options.envFile !== undefined ? { envFile: options.envFile } : {}),
    ...(options.influxUrl ? { url: options.influxUrl } : {}),
    ...(options.token ? { token: options.token } : {}),
  });
  return createInfluxStore(reader);
}
