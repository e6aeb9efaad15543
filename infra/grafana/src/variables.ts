// The dashboard's variables. `testid` picks the run; `transport` shows how its agents were driven (no panel
// filters on it); `scenario` and `endpoint` narrow it down.
//
// Newest run by default: testids are generated as `YYYYMMDD-HHMMSS-<4 hex>` (UTC, see the Makefile's `load`), so
// sorting them alphabetically descending puts the newest first, and Grafana selects the first option when the
// dashboard carries no saved value (we save none) and the URL names none. `make load` prints a link with
// `var-testid=<id>` for the run it starts.
//
// Each query variable is a spec (the values of one tag of http_reqs's samples, narrowed by other variables) that
// each backend renders: InfluxQL `SHOW TAG VALUES FROM "http_reqs" WITH KEY = … WHERE …`, PromQL
// `label_values(k6_http_reqs_total{…}, …)`.
import {
  QueryVariableBuilder,
  VariableHide,
  VariableRefresh,
  VariableSort,
  type VariableModel,
} from "@grafana/grafana-foundation-sdk/dashboard";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import { INFLUXQL, type Backend } from "./backend";
import { ident } from "./influxql";
import { K6 } from "./metrics";
import { promMetricName } from "./promql";

/**
 * What Grafana substitutes for "All" in scenario/endpoint: every series, including samples without the tag.
 *
 * Both are single-value (one value or All): the latency row reads the rollup (tools/rollup), which holds a row per
 * value and per "All" of each tag — a multi-value selection has no row there.
 */
export const ALL_VALUE = ".*";

/** A condition of a variable's query on another variable: the tag's value is (or is not) one of the variables'. */
export interface VariableCondition {
  tag: string;
  variables: readonly string[];
  /** "single": a single-value variable, matched whole (`/^$testid$/`); "group": a selection (`/^($scenario)$/`). */
  match: "single" | "group";
  negate?: boolean;
}

/** The values of one tag over the samples of `metric` that meet the conditions. */
export interface TagValuesSpec {
  metric: string;
  key: string;
  where: readonly VariableCondition[];
}

function influxCondition(c: VariableCondition): string {
  const alternatives = c.variables.map((v) => `$${v}`).join("|");
  const pattern = c.match === "single" && c.variables.length === 1 ? `/^${alternatives}$/` : `/^(${alternatives})$/`;
  return `${ident(c.tag)} ${c.negate === true ? "!~" : "=~"} ${pattern}`;
}

function promCondition(c: VariableCondition): string {
  const alternatives = c.variables.map((v) => `$${v}`).join("|");
  const exact = c.match === "single" && c.variables.length === 1;
  const op = exact ? (c.negate === true ? "!=" : "=") : c.negate === true ? "!~" : "=~";
  return `${c.tag}${op}"${alternatives}"`;
}

/** The variable's query in the backend's language. */
export function tagValuesQuery(spec: TagValuesSpec, backend: Backend): string {
  if (backend.id === "influxql") {
    const base = `SHOW TAG VALUES FROM ${ident(spec.metric)} WITH KEY = ${ident(spec.key)}`;
    return spec.where.length === 0 ? base : `${base} WHERE ${spec.where.map(influxCondition).join(" AND ")}`;
  }
  const selector = `${promMetricName(spec.metric)}${spec.where.length === 0 ? "" : `{${spec.where.map(promCondition).join(", ")}}`}`;
  return `label_values(${selector}, ${spec.key})`;
}

const RUN: VariableCondition = { tag: "testid", variables: ["testid"], match: "single" };

export const TESTID_VALUES: TagValuesSpec = { metric: K6.httpReqs, key: "testid", where: [] };
/**
 * The run's transport (`pty` or `acp`): k6 tags every sample of a run with it (options.tags), so a run has one value;
 * a run recorded before the tag existed has none (the variable is empty). Shown in the variable bar, next to the run.
 */
export const TRANSPORT_VALUES: TagValuesSpec = { metric: K6.httpReqs, key: "transport", where: [RUN] };
export const SCENARIO_VALUES: TagValuesSpec = { metric: K6.httpReqs, key: "scenario", where: [RUN] };
export const ENDPOINT_VALUES: TagValuesSpec = {
  metric: K6.httpReqs,
  key: "endpoint",
  where: [RUN, { tag: "scenario", variables: ["scenario"], match: "group" }],
};

export const TESTID_QUERY = tagValuesQuery(TESTID_VALUES, INFLUXQL);
export const TRANSPORT_QUERY = tagValuesQuery(TRANSPORT_VALUES, INFLUXQL);
export const SCENARIO_QUERY = tagValuesQuery(SCENARIO_VALUES, INFLUXQL);
export const ENDPOINT_QUERY = tagValuesQuery(ENDPOINT_VALUES, INFLUXQL);

/** A query variable on the backend's datasource. */
export function queryVariable(
  name: string,
  label: string,
  spec: TagValuesSpec,
  backend: Backend,
): QueryVariableBuilder {
  const query = tagValuesQuery(spec, backend);
  return (
    new QueryVariableBuilder(name)
      .label(label)
      .datasource({ ...backend.datasource })
      .query(query)
      .definition(query)
      // Re-read on every time-range change, which includes each auto-refresh tick: new runs and tags appear live.
      .refresh(VariableRefresh.OnTimeRangeChanged)
  );
}

export function variables(backend: Backend = INFLUXQL): cog.Builder<VariableModel>[] {
  const testid = queryVariable("testid", "Test run", TESTID_VALUES, backend)
    .description("k6 testid tag of the run (YYYYMMDD-HHMMSS-xxxx, newest first)")
    .sort(VariableSort.AlphabeticalDesc)
    .multi(false)
    .includeAll(false);
  // Display only: no query reads $transport (a run has one transport, so it would filter nothing). It says which
  // agents the run drove, and so which of k6's threshold variants judged it (k6/README.md, Thresholds).
  const transport = queryVariable("transport", "Transport", TRANSPORT_VALUES, backend)
    .description("The run's AgentAPI transport (pty or acp), from its samples' transport tag; shown, not a filter")
    .hide(VariableHide.DontHide)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(false)
    .includeAll(false);
  const scenario = queryVariable("scenario", "Scenario", SCENARIO_VALUES, backend)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(false)
    .includeAll(true)
    .allValue(ALL_VALUE)
    .current({ text: "All", value: "$__all" });
  const endpoint = queryVariable("endpoint", "Endpoint", ENDPOINT_VALUES, backend)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(false)
    .includeAll(true)
    .allValue(ALL_VALUE)
    .current({ text: "All", value: "$__all" });
  return [testid, transport, scenario, endpoint];
}
