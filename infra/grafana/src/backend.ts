// A query language the dashboards are generated for: its datasource and how it turns query specs into targets.
// Panels are written once (dashboard.ts, compare.ts) and built once per backend; nothing else branches on it.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import type * as common from "@grafana/grafana-foundation-sdk/common";
import { INFLUX_DATASOURCE, PROMETHEUS_DATASOURCE } from "./datasource";
import { influxQuery } from "./influxql";
import { promTargets } from "./promql";
import type { QuerySpec } from "./query-spec";

export type BackendId = "influxql" | "promql";

export interface Backend {
  id: BackendId;
  datasource: common.DataSourceRef;
  /** The panel's targets, refIds A, B, … in order. */
  targets(queries: readonly QuerySpec[]): cog.Builder<cog.Dataquery>[];
}

/** refIds A, B, …, Z. */
export function refIdOf(index: number): string {
  if (index >= 26) throw new Error("too many targets for single-letter refIds");
  return String.fromCharCode(65 + index);
}

function refIds(): () => string {
  let next = 0;
  return () => refIdOf(next++);
}

export const INFLUXQL: Backend = {
  id: "influxql",
  datasource: INFLUX_DATASOURCE,
  targets: (queries) => queries.map((q, i) => influxQuery(q, refIdOf(i))),
};

export const PROMQL: Backend = {
  id: "promql",
  datasource: PROMETHEUS_DATASOURCE,
  targets: (queries) => {
    const next = refIds();
    return queries.flatMap((q) => promTargets(q, next));
  },
};
