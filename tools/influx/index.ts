// The shared InfluxDB reader (tools/influx/README.md): configuration from the environment and .env, and the reader.
export { loadInfluxConfig, parseDotEnv, REPO_ROOT, type InfluxConfig, type LoadConfigOptions } from "./config";
export {
  createInfluxReader,
  InfluxError,
  whereClause,
  type InfluxErrorKind,
  type InfluxReader,
  type RunInfo,
  type Sample,
  type SampleOptions,
  type Series,
  type Totals,
} from "./reader";
export { createInfluxWriter, escapeKey, escapeMeasurement, type InfluxWriter } from "./writer";
