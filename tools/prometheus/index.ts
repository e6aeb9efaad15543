// k6's Prometheus remote-write output, rebuilt (tools/prometheus/README.md): its series from a run's samples, the
// remote-write client that sends them, and a PromQL client to read them back.
export { DEFAULT_PROMETHEUS_URL, loadPrometheusConfig, type PrometheusConfig } from "./config";
export { PrometheusError, type PrometheusErrorKind } from "./errors";
export {
  createRemoteWriter,
  encodeWriteRequest,
  snappyCompress,
  STALE_NAN_BITS,
  writeAll,
  type BucketSpan,
  type FloatSample,
  type Label,
  type NativeHistogram,
  type RemoteWriter,
  type RemoteWriterOptions,
  type TimeSeries,
} from "./remote-write";
export {
  bucketKey,
  bucketUpperBound,
  NATIVE_SCHEMA,
  NATIVE_ZERO_THRESHOLD,
  NativeHistogramSink,
  spansAndDeltas,
} from "./native-histogram";
export {
  CATALOG_TIME_METRICS,
  K6RemoteWriteOutput,
  k6RemoteWriteBatches,
  METRIC_PREFIX,
  seriesLabels,
  seriesName,
  type K6Sample,
  type K6SeriesOptions,
  type RemoteWriteBatch,
} from "./k6-series";
export {
  createQueryClient,
  parseFloatString,
  type HistogramBucket,
  type HistogramValue,
  type InstantResult,
  type Labels,
  type MatrixSeries,
  type PromQueryClient,
  type QueryClientOptions,
  type RangeOptions,
  type VectorSample,
} from "./query";
