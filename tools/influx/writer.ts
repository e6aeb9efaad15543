// Writes points to InfluxDB over the v1 `/write` API: InfluxDB 1.x, or InfluxDB 2 through its v1 compatibility API.
// Without a retention policy the write goes to the database's default one: on 1.x the database's default RP, on
// InfluxDB 2 the bucket named like the database (`k6`), which its DBRP mapping service resolves (the virtual mapping
// k6/autogen, infra/influxdb/README.md). Same configuration and one-line errors as the reader.
import { loadInfluxConfig, type InfluxConfig, type LoadConfigOptions } from "./config";
import { fetchText, type TextReply } from "./http";
import { causeCode, InfluxError } from "./reader";

export interface InfluxWriter {
  /** Writes line-protocol lines with millisecond timestamps; resolves when InfluxDB accepted them (204). */
  write(lines: readonly string[]): Promise<void>;
}

/** Line protocol escaping: measurement (commas, spaces). */
export function escapeMeasurement(name: string): string {
  return name.replace(/[, ]/g, "\\$&");
}

/** Line protocol escaping: tag keys and values, field keys (commas, equals signs, spaces). */
export function escapeKey(value: string): string {
  return value.replace(/[,= ]/g, "\\$&");
}

const BATCH_LINES = 5_000;

export function createInfluxWriter(
  config: Partial<InfluxConfig> & LoadConfigOptions & { retentionPolicy?: string; timeoutMs?: number } = {},
): InfluxWriter {
  const { retentionPolicy, timeoutMs = 60_000, ...rest } = config;
  const loaded = loadInfluxConfig(rest);
  const cfg: InfluxConfig = {
    url: rest.url ?? loaded.url,
    token: rest.token ?? loaded.token,
    org: rest.org ?? loaded.org,
    database: rest.database ?? loaded.database,
  };
  const base = cfg.url.replace(/\/+$/, "");
  const where = `InfluxDB at ${base}`;
  const params = new URLSearchParams({ db: cfg.database, precision: "ms" });
  if (retentionPolicy !== undefined) params.set("rp", retentionPolicy);

  async function writeBatch(body: string): Promise<void> {
    const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
    if (cfg.token !== undefined) headers.authorization = `Token ${cfg.token}`;
    let res: TextReply;
    try {
      res = await fetchText(`${base}/write?${params.toString()}`, { method: "POST", headers, body }, timeoutMs);
    } catch (error) {
      throw new InfluxError(
        "unreachable",
        `${where} is unreachable (${causeCode(error)}): start the stack (make up) or set INFLUXDB_URL`,
      );
    }
    if (res.status === 204) return;
    const text = res.text.trim();
    if (res.status === 401 || res.status === 403) {
      throw new InfluxError(
        "unauthorized",
        `${where} refused the token for writing (${res.status}): check INFLUXDB_TOKEN (environment or .env)`,
      );
    }
    if (/database not found|bucket .*not found/i.test(text)) {
      throw new InfluxError("no-database", `${where} has no database "${cfg.database}" to write to: ${text}`);
    }
    throw new InfluxError("query", `${where}: write failed (${res.status}: ${text.slice(0, 160)})`);
  }

  return {
    async write(lines) {
      for (let i = 0; i < lines.length; i += BATCH_LINES) {
        await writeBatch(lines.slice(i, i + BATCH_LINES).join("\n"));
      }
    },
  };
}
