// Variables of the "compare runs" dashboard: the two runs (A = baseline, B = candidate), the scenario and endpoint
// filters of the A/B tables, and N, the number of runs the trend shows. The filters take one value or All: the
// InfluxQL tables read the run summaries (tools/rollup), which hold rows per value and for "All" (`${var:text}`
// names the row), not for arbitrary sets of values — as the load dashboard's latency row and its rollup.
//
// B lists every testid newest first (ids are `YYYYMMDD-HHMMSS-xxxx` in UTC) and, with no saved value, Grafana
// selects the first: the newest run. A lists the same ids without B's, so it defaults to the run before B (the
// second newest when B is the newest). Grafana resolves A after B whatever their order, because A's query names B.
import type { QueryVariableBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { CustomVariableBuilder, VariableSort, type VariableModel } from "@grafana/grafana-foundation-sdk/dashboard";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import { INFLUXQL, type Backend } from "./backend";
import { RUNS_VARIABLE } from "./compare-queries";
import { K6 } from "./metrics";
import {
  ALL_VALUE,
  TESTID_VALUES,
  queryVariable,
  tagValuesQuery,
  type TagValuesSpec,
  type VariableCondition,
} from "./variables";

const EITHER_RUN: VariableCondition = { tag: "testid", variables: ["A", "B"], match: "group" };
export const B_VALUES: TagValuesSpec = TESTID_VALUES;
export const A_VALUES: TagValuesSpec = {
  ...TESTID_VALUES,
  where: [{ tag: "testid", variables: ["B"], match: "single", negate: true }],
};
export const COMPARE_SCENARIO_VALUES: TagValuesSpec = { metric: K6.httpReqs, key: "scenario", where: [EITHER_RUN] };
export const COMPARE_ENDPOINT_VALUES: TagValuesSpec = {
  metric: K6.httpReqs,
  key: "endpoint",
  where: [EITHER_RUN, { tag: "scenario", variables: ["scenario"], match: "group" }],
};

export const B_QUERY = tagValuesQuery(B_VALUES, INFLUXQL);
export const A_QUERY = tagValuesQuery(A_VALUES, INFLUXQL);
export const COMPARE_SCENARIO_QUERY = tagValuesQuery(COMPARE_SCENARIO_VALUES, INFLUXQL);
export const COMPARE_ENDPOINT_QUERY = tagValuesQuery(COMPARE_ENDPOINT_VALUES, INFLUXQL);

/** The choices of N and its default. */
export const RUN_COUNTS = [5, 10, 20, 50] as const;
export const DEFAULT_RUN_COUNT = 20;

function runVariable(
  name: "A" | "B",
  label: string,
  spec: TagValuesSpec,
  description: string,
  backend: Backend,
): QueryVariableBuilder {
  return queryVariable(name, label, spec, backend)
    .description(description)
    .sort(VariableSort.AlphabeticalDesc)
    .multi(false)
    .includeAll(false);
}

function filterVariable(name: string, label: string, spec: TagValuesSpec, backend: Backend): QueryVariableBuilder {
  return queryVariable(name, label, spec, backend)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(false)
    .includeAll(true)
    .allValue(ALL_VALUE)
    .current({ text: "All", value: "$__all" });
}

/** The variables; N only where the trend row is drawn (InfluxQL: the trend has no PromQL twin). */
export function compareVariables(backend: Backend = INFLUXQL): cog.Builder<VariableModel>[] {
  const count = String(DEFAULT_RUN_COUNT);
  const variables: cog.Builder<VariableModel>[] = [
    runVariable("A", "A (baseline)", A_VALUES, "The run to compare against: any testid but B's, newest first", backend),
    runVariable(
      "B",
      "B (candidate)",
      B_VALUES,
      "The run under review: testids newest first (YYYYMMDD-HHMMSS-xxxx)",
      backend,
    ),
    filterVariable("scenario", "Scenario", COMPARE_SCENARIO_VALUES, backend),
    filterVariable("endpoint", "Endpoint", COMPARE_ENDPOINT_VALUES, backend),
  ];
  if (backend.id !== "influxql") return variables;
  return [
    ...variables,
    new CustomVariableBuilder(RUNS_VARIABLE)
      .label("Trend: last N runs")
      .description("How many runs the trend row shows (the newest by start time within the time range)")
      .values(RUN_COUNTS.join(","))
      .current({ text: count, value: count })
      .multi(false)
      .includeAll(false),
  ];
}
