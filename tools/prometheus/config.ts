// Where the Prometheus that k6's remote-write output pushes to is: PROMETHEUS_URL from the environment, else from the
// repository's .env (the file `make up` creates), else the loopback default. Same rules as tools/influx/config.ts.
import { settingsReader, type LoadConfigOptions } from "../influx/config";

export const DEFAULT_PROMETHEUS_URL = "http://127.0.0.1:9090";

export interface PrometheusConfig {
  /** Base URL of Prometheus, e.g. http://127.0.0.1:9090 (no trailing slash); the API lives under /api/v1. */
  url: string;
}

/** PROMETHEUS_URL from the environment, else from .env, else http://127.0.0.1:9090. */
export function loadPrometheusConfig(options: LoadConfigOptions = {}): PrometheusConfig {
  const url = settingsReader(options)("PROMETHEUS_URL") ?? DEFAULT_PROMETHEUS_URL;
  return { url: url.replace(/\/+$/, "") };
}
