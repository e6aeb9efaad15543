// Where the Prometheus that k6's remote-write output pushes to is: PROMETHEUS_URL from the environment, else from the
// repository's .env (the file `make up` creates), else the loopback default. Same rules as tools/influx/config.ts.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDotEnv, REPO_ROOT, type LoadConfigOptions } from "../influx/config";

export const DEFAULT_PROMETHEUS_URL = "http://127.0.0.1:9090";

export interface PrometheusConfig {
  /** Base URL of Prometheus, e.g. http://127.0.0.1:9090 (no trailing slash); the API lives under /api/v1. */
  url: string;
}

/** PROMETHEUS_URL from the environment, else from .env, else http://127.0.0.1:9090. */
export function loadPrometheusConfig(options: LoadConfigOptions = {}): PrometheusConfig {
  const env = options.env ?? process.env;
  const file = options.envFile === undefined ? join(REPO_ROOT, ".env") : options.envFile;
  const fromFile = file !== null && existsSync(file) ? parseDotEnv(readFileSync(file, "utf8")) : {};
  const value = env.PROMETHEUS_URL ?? fromFile.PROMETHEUS_URL;
  const url = value === undefined || value === "" ? DEFAULT_PROMETHEUS_URL : value;
  return { url: url.replace(/\/+$/, "") };
}
