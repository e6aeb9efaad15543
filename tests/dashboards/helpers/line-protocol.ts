// k6 samples → InfluxDB line protocol, in the schema xk6-output-influxdb v0.7.0 writes with its defaults:
// one measurement per metric (the metric name), the sample in float field `value`, every sample tag as an InfluxDB
// tag except those its K6_INFLUXDB_TAGS_AS_FIELDS default (`vu:int,iter:int,url`) stores as fields: `vu` and `iter`
// as integers, `url` as a string (so a high-cardinality URL never becomes a series). Timestamps in nanoseconds.

/** The shape of one k6 sample as the Node harness records it (tests/k6/harness). */
export interface K6Sample {
  metric: string;
  value: number;
  tags: Record<string, string>;
  /** epoch ms */
  time: number;
}

/** xk6-output-influxdb's default K6_INFLUXDB_TAGS_AS_FIELDS, parsed. */
export const TAGS_AS_FIELDS: Readonly<Record<string, "int" | "string">> = { vu: "int", iter: "int", url: "string" };

const escapeMeasurement = (s: string): string => s.replace(/[\\, ]/g, (c) => `\\${c}`);
const escapeKey = (s: string): string => s.replace(/[\\,= ]/g, (c) => `\\${c}`);
const escapeString = (s: string): string => s.replace(/[\\"]/g, (c) => `\\${c}`);

function fieldValue(kind: "int" | "string", raw: string): string {
  // The output falls back to the raw string when a typed conversion fails; mirror that.
  if (kind === "int" && /^-?\d+$/.test(raw)) return `${raw}i`;
  return `"${escapeString(raw)}"`;
}

function formatFloat(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`sample value ${value} cannot be written to InfluxDB`);
  return String(value);
}

export function toLineProtocol(sample: K6Sample): string {
  const tags: string[] = [];
  const fields: string[] = [`value=${formatFloat(sample.value)}`];
  for (const key of Object.keys(sample.tags).sort()) {
    const raw = sample.tags[key] as string;
    const asField = TAGS_AS_FIELDS[key];
    if (asField !== undefined) fields.push(`${escapeKey(key)}=${fieldValue(asField, raw)}`);
    // Line protocol has no empty tag values; the client library leaves such tags out (k6's root `group` is "").
    else if (raw !== "") tags.push(`${escapeKey(key)}=${escapeKey(raw)}`);
  }
  const series = [escapeMeasurement(sample.metric), ...tags].join(",");
  const nanos = BigInt(Math.round(sample.time * 1000)) * 1000n;
  return `${series} ${fields.join(",")} ${nanos.toString()}`;
}
