// Where the InfluxDB that k6 writes to is, and how to authenticate: INFLUXDB_URL, INFLUXDB_TOKEN, INFLUXDB_ORG from
// the environment, with defaults from the repository's .env (the file `make up` creates) when it exists.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface InfluxConfig {
  /** Base URL of the InfluxDB HTTP API, e.g. http://localhost:8086 (no trailing slash). */
  url: string;
  /** Sent as `Authorization: Token <token>`; InfluxDB 1.x without auth ignores it. */
  token: string | undefined;
  /** The organisation (InfluxDB 2). The v1 /query API does not need it; kept for callers that use the v2 API. */
  org: string | undefined;
  /** InfluxQL database: InfluxDB 2 maps it to the bucket of that name (DBRP), so `k6`. */
  database: string;
}

/** KEY=value lines of a dotenv file (comments, blank lines and `export ` prefixes allowed; quotes stripped). */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^export\s+/, "");
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      value = value.slice(1, -1);
    }
    out[line.slice(0, eq).trim()] = value;
  }
  return out;
}

export interface LoadConfigOptions {
  /** Variables that win over the file (default: process.env). */
  env?: Record<string, string | undefined>;
  /** The dotenv file with the defaults (default: <repo>/.env); null reads none. */
  envFile?: string | null;
}

/**
 * A reader of the tools' settings: each key from the environment, else from the dotenv file (default <repo>/.env);
 * an empty value counts as unset.
 */
export function settingsReader(options: LoadConfigOptions = {}): (key: string) => string | undefined {
  const env = options.env ?? process.env;
  const file = options.envFile === undefined ? join(REPO_ROOT, ".env") : options.envFile;
  const fromFile = file !== null && existsSync(file) ? parseDotEnv(readFileSync(file, "utf8")) : {};
  return (key) => {
    const value = env[key] ?? fromFile[key];
    return value === undefined || value === "" ? undefined : value;
  };
}

/**
 * The configuration: each of INFLUXDB_URL / INFLUXDB_TOKEN / INFLUXDB_ORG from the environment, else from .env,
 * else the default (URL: http://localhost:<INFLUXDB_PORT or 8086>, the stack's published port).
 */
export function loadInfluxConfig(options: LoadConfigOptions = {}): InfluxConfig {
  const pick = settingsReader(options);
  const url = pick("INFLUXDB_URL") ?? `http://localhost:${pick("INFLUXDB_PORT") ?? "8086"}`;
  return { url: url.replace(/\/+$/, ""), token: pick("INFLUXDB_TOKEN"), org: pick("INFLUXDB_ORG"), database: "k6" };
}
