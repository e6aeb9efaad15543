// The one datasource every panel and variable uses. Its uid is fixed so provisioning
// (infra/grafana/provisioning/datasources/influxdb.yaml) and the dashboard JSON agree without lookups.
export const INFLUX_DATASOURCE = { type: "influxdb", uid: "influxdb-k6" } as const;

/** InfluxDB 2 bucket k6 writes to; its virtual DBRP mapping exposes it to InfluxQL as database `k6`, RP `autogen`. */
export const INFLUX_DATABASE = "k6";
export const INFLUX_RETENTION_POLICY = "autogen";

/**
 * The Prometheus datasource k6's experimental-prometheus-rw output writes to (remote write, native histograms).
 * Its `jsonData.timeInterval` should be k6's push interval (5 s): no finer step has data. The panels' own 10 s min
 * interval (panels.ts) keeps every step at two pushes or more.
 */
export const PROMETHEUS_DATASOURCE = { type: "prometheus", uid: "prometheus-k6" } as const;
