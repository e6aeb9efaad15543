// The dashboard's variables. `testid` picks the run; `transport` shows how its agents were driven (no panel
// filters on it); `scenario` and `endpoint` narrow it down.
//
// Newest run by default: testids are generated as `YYYYMMDD-HHMMSS-<4 hex>` (UTC, see the Makefile's `load`), so
// sorting them alphabetically descending puts the newest first, and Grafana selects the first option when the
// dashboard carries no saved value (we save none) and the URL names none. `make load` prints a link with
// `var-testid=<id>` for the run it starts.
import {
  QueryVariableBuilder,
  VariableHide,
  VariableRefresh,
  VariableSort,
  type VariableModel,
} from "@grafana/grafana-foundation-sdk/dashboard";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import { INFLUX_DATASOURCE } from "./datasource";
import { K6 } from "./metrics";

/**
 * What Grafana substitutes for "All" in scenario/endpoint: every series, including samples without the tag.
 *
 * Both are single-value (one value or All): the latency row reads the rollup (tools/rollup), which holds a row per
 * value and per "All" of each tag — a multi-value selection has no row there.
 */
export const ALL_VALUE = ".*";

function showTagValues(key: string, where?: string): string {
  const base = `SHOW TAG VALUES FROM "${K6.httpReqs}" WITH KEY = "${key}"`;
  return where === undefined ? base : `${base} WHERE ${where}`;
}

export const TESTID_QUERY = showTagValues("testid");
/**
 * The run's transport (`pty` or `acp`): k6 tags every sample of a run with it (options.tags), so a run has one value;
 * a run recorded before the tag existed has none (the variable is empty). Shown in the variable bar, next to the run.
 */
export const TRANSPORT_QUERY = showTagValues("transport", `"testid" =~ /^$testid$/`);
export const SCENARIO_QUERY = showTagValues("scenario", `"testid" =~ /^$testid$/`);
export const ENDPOINT_QUERY = showTagValues("endpoint", `"testid" =~ /^$testid$/ AND "scenario" =~ /^($scenario)$/`);

function queryVariable(name: string, label: string, query: string): QueryVariableBuilder {
  return (
    new QueryVariableBuilder(name)
      .label(label)
      .datasource({ ...INFLUX_DATASOURCE })
      .query(query)
      .definition(query)
      // Re-read on every time-range change, which includes each auto-refresh tick: new runs and tags appear live.
      .refresh(VariableRefresh.OnTimeRangeChanged)
  );
}

export function variables(): cog.Builder<VariableModel>[] {
  const testid = queryVariable("testid", "Test run", TESTID_QUERY)
    .description("k6 testid tag of the run (YYYYMMDD-HHMMSS-xxxx, newest first)")
    .sort(VariableSort.AlphabeticalDesc)
    .multi(false)
    .includeAll(false);
  // Display only: no query reads $transport (a run has one transport, so it would filter nothing). It says which
  // agents the run drove, and so which of k6's threshold variants judged it (k6/README.md, Thresholds).
  const transport = queryVariable("transport", "Transport", TRANSPORT_QUERY)
    .description("The run's AgentAPI transport (pty or acp), from its samples' transport tag; shown, not a filter")
    .hide(VariableHide.DontHide)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(false)
    .includeAll(false);
  const scenario = queryVariable("scenario", "Scenario", SCENARIO_QUERY)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(false)
    .includeAll(true)
    .allValue(ALL_VALUE)
    .current({ text: "All", value: "$__all" });
  const endpoint = queryVariable("endpoint", "Endpoint", ENDPOINT_QUERY)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(false)
    .includeAll(true)
    .allValue(ALL_VALUE)
    .current({ text: "All", value: "$__all" });
  return [testid, transport, scenario, endpoint];
}
