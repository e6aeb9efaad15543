// Variables of the "compare runs" dashboard: the two runs (A = baseline, B = candidate), the scenario and endpoint
// filters of the A/B tables, and N, the number of runs the trend shows.
//
// B lists every testid newest first (ids are `YYYYMMDD-HHMMSS-xxxx` in UTC) and, with no saved value, Grafana
// selects the first: the newest run. A lists the same ids without B's, so it defaults to the run before B (the
// second newest when B is the newest). Grafana resolves A after B whatever their order, because A's query names B.
import {
  CustomVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
  type VariableModel,
} from "@grafana/grafana-foundation-sdk/dashboard";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import { INFLUX_DATASOURCE } from "./datasource";
import { RUNS_VARIABLE } from "./compare-queries";
import { K6 } from "./metrics";
import { ALL_VALUE, TESTID_QUERY } from "./variables";

export const B_QUERY = TESTID_QUERY;
export const A_QUERY = `${TESTID_QUERY} WHERE "testid" !~ /^$B$/`;
const EITHER_RUN = `"testid" =~ /^($A|$B)$/`;
export const COMPARE_SCENARIO_QUERY = `SHOW TAG VALUES FROM "${K6.httpReqs}" WITH KEY = "scenario" WHERE ${EITHER_RUN}`;
export const COMPARE_ENDPOINT_QUERY = `SHOW TAG VALUES FROM "${K6.httpReqs}" WITH KEY = "endpoint" WHERE ${EITHER_RUN} AND "scenario" =~ /^($scenario)$/`;

/** The choices of N and its default. */
export const RUN_COUNTS = [5, 10, 20, 50] as const;
export const DEFAULT_RUN_COUNT = 20;

function queryVariable(name: string, label: string, query: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource({ ...INFLUX_DATASOURCE })
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged);
}

function runVariable(name: "A" | "B", label: string, query: string, description: string): QueryVariableBuilder {
  return queryVariable(name, label, query)
    .description(description)
    .sort(VariableSort.AlphabeticalDesc)
    .multi(false)
    .includeAll(false);
}

function filterVariable(name: string, label: string, query: string): QueryVariableBuilder {
  return queryVariable(name, label, query)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(ALL_VALUE)
    .current({ text: ["All"], value: ["$__all"] });
}

export function compareVariables(): cog.Builder<VariableModel>[] {
  const count = String(DEFAULT_RUN_COUNT);
  return [
    runVariable("A", "A (baseline)", A_QUERY, "The run to compare against: any testid but B's, newest first"),
    runVariable("B", "B (candidate)", B_QUERY, "The run under review: testids newest first (YYYYMMDD-HHMMSS-xxxx)"),
    filterVariable("scenario", "Scenario", COMPARE_SCENARIO_QUERY),
    filterVariable("endpoint", "Endpoint", COMPARE_ENDPOINT_QUERY),
    new CustomVariableBuilder(RUNS_VARIABLE)
      .label("Trend: last N runs")
      .description("How many runs the trend row shows (the newest by start time within the time range)")
      .values(RUN_COUNTS.join(","))
      .current({ text: count, value: count })
      .multi(false)
      .includeAll(false),
  ];
}
