// "AgentAPI load — compare runs": two k6 runs side by side (A = baseline, B = candidate) and a trend over the last N
// runs. Same datasource, generator and drift check as the load dashboard (dashboard.ts).
//
// A/B tables: InfluxQL cannot put two testids in one result, so each table has two table-format queries, A (column
// "A", `testid =~ /^$A$/`) and B (column "B"), one row per endpoint/scenario/tag value each, and Grafana joins them
// on that tag (transformations below) and adds Δ = B − A and Δ% = Δ / A. See compare-queries.ts for the trend.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import {
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  MappingType,
  RowBuilder,
  SpecialValueMatch,
  type DataTransformerConfig,
  type Dashboard,
  type Panel,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as TablePanelBuilder } from "@grafana/grafana-foundation-sdk/table";
import { ENDPOINTS } from "../../../k6/src/names";
import { INFLUXQL, PROMQL, type Backend, type BackendId } from "./backend";
import {
  RawInfluxQL,
  SIDES,
  overRuns,
  overRunsSummary,
  perRunTarget,
  sideColumns,
  type CompareSource,
  type RunField,
  type Statistic,
  type SummaryRunField,
  type TagFilter,
} from "./compare-queries";
import { compareVariables } from "./compare-variables";
import { DASHBOARD_UID, PROM_DASHBOARD_UID, withId } from "./dashboard";
import { INFLUX_DATASOURCE } from "./datasource";
import { count, mean, percentile } from "./influxql";
import { CUSTOM, K6 } from "./metrics";
import { timeseries } from "./panels";
import { promqlException, promqlNote } from "./promql-exceptions";

export const COMPARE_DASHBOARD_UID = "agentapi-compare";
export const COMPARE_DASHBOARD_TITLE = "AgentAPI load — compare runs";
/** The same dashboard in PromQL (its A/B tables; the trend row has no PromQL twin: promql-exceptions.ts). */
export const PROM_COMPARE_DASHBOARD_UID = "agentapi-compare-prometheus";
export const PROM_COMPARE_DASHBOARD_TITLE = "AgentAPI load — compare runs (Prometheus)";

/** Column names the transformations create. */
export const DELTA = "Δ";
export const DELTA_PCT = "Δ%";

/** The overall latency row judges calls only: GET /events streams last as long as they are watched. */
const CALLS: TagFilter = { tag: "kind", value: "call" };
const BY_SCENARIO: TagFilter = { tag: "scenario", variable: "scenario" };
const BY_ENDPOINT: TagFilter = { tag: "endpoint", variable: "endpoint" };

/** Endpoints that answer calls; GET /events is only ever a stream (kind:stream, k6/src/clients/events.ts). */
export const CALL_ENDPOINTS: readonly string[] = ENDPOINTS.filter((e) => e !== "events");

function byName(name: string): { matcher: { id: string; options: string } } {
  return { matcher: { id: "byName", options: name } };
}

/** `left op right` as a new column (not a time series: the frame is already one joined table). */
function binary(left: string, operator: "-" | "/", right: string, alias: string): DataTransformerConfig {
  return {
    id: "calculateField",
    options: {
      mode: "binary",
      binary: { left: byName(left), operator, right: byName(right) },
      alias,
      timeSeries: false,
    },
  };
}

/**
 * The A and B frames → one table: drop InfluxQL's Time column (an aggregate's time says nothing here, and two of
 * them would collide), join on the tag keeping rows that only one run has (outer, tabular), then Δ and Δ%.
 */
export function compareTransformations(by: string, relative: boolean): DataTransformerConfig[] {
  const steps: DataTransformerConfig[] = [
    { id: "filterFieldsByName", options: { exclude: { names: ["Time"] } } },
    { id: "joinByField", options: { byField: by, mode: "outerTabular" } },
    binary("B", "-", "A", DELTA),
  ];
  if (relative) steps.push(binary(DELTA, "/", "A", DELTA_PCT));
  return steps;
}

/** Empty, NaN (a row missing on one side) and null cells read "—". */
const MISSING = [
  {
    type: MappingType.SpecialValue as const,
    options: { match: SpecialValueMatch.NullAndNan, result: { text: "—" } },
  },
];

interface CompareSpec {
  title: string;
  description: string;
  metric: string;
  stat: Statistic;
  by: string;
  filters: readonly TagFilter[];
  unit: string;
  /** Whether Δ% reads well (not for rates of failure or failure counts, whose A is often 0). */
  relative: boolean;
  width: number;
  height?: number;
  /** A count of events: the table reads 0, not "No data", when neither run has any (Grafana's noValue). */
  counter?: boolean;
}

/**
 * A panel of the dashboard, built for one backend; `note` is what its description adds there (an approximate twin),
 * `source` where its InfluxQL reads whole runs from (compare-queries.ts).
 */
interface PanelEntry {
  title: string;
  build: (backend: Backend, note: string, source: CompareSource) => cog.Builder<Panel>;
}

/** What an InfluxQL panel on the run summaries says about them. */
export const SUMMARY_NOTE =
  " Read from the run summaries (run_summary), which the rollup writes once a run has ended (2 minutes after its " +
  "last request): a run still going, or recorded before the summaries existed, or never seen by the rollup, shows " +
  "no row (no column) until `npm run rollup -- --testid <id>` writes them.";

function sourceNote(backend: Backend, source: CompareSource): string {
  return backend.id === "influxql" && source === "summary" ? SUMMARY_NOTE : "";
}

function compareTable(spec: CompareSpec): PanelEntry {
  return { title: spec.title, build: (backend, note, source) => compareTableOn(spec, backend, note, source) };
}

function compareTableOn(spec: CompareSpec, backend: Backend, note: string, source: CompareSource): cog.Builder<Panel> {
  const targets = SIDES.map((side) =>
    perRunTarget(backend, side, spec.metric, spec.stat, spec.by, spec.filters, source),
  );
  const relative = spec.relative ? ` Δ% = Δ / A.` : "";
  const zero = spec.counter === true ? " 0 when neither run counted any." : "";
  const panel = new TablePanelBuilder()
    .title(spec.title)
    .description(
      `${spec.description} Columns: A ($A), B ($B), Δ = B − A.${relative} "—" where a row exists in one run only.` +
        `${zero}${sourceNote(backend, source)}${note}`,
    )
    .datasource({ ...backend.datasource })
    .targets(targets)
    .transformations([...sideColumns(backend), ...compareTransformations(spec.by, spec.relative)])
    .unit(spec.unit)
    .decimals(spec.unit === "short" ? 0 : 2)
    .mappings(MISSING)
    .cellHeight(common.TableCellHeight.Sm)
    .sortBy([new common.TableSortByFieldStateBuilder().displayName(spec.by)])
    .span(spec.width)
    .height(spec.height ?? 9);
  // A counter with no sample in either run has no row in InfluxDB (no frame at all): show 0, as the load dashboard's
  // counter panels do (panels.ts, noValue).
  if (spec.counter === true) panel.noValue("0");
  if (spec.relative)
    panel.overrideByName(DELTA_PCT, [
      { id: "unit", value: "percentunit" },
      { id: "decimals", value: 1 },
    ]);
  return panel;
}

const PERCENTILES = [50, 95, 99] as const;

/** p50/p95/p99, request rate and error rate, one table each, one row per value of `by`. */
function httpTables(by: "endpoint" | "scenario"): PanelEntry[] {
  const filters = [BY_SCENARIO, BY_ENDPOINT];
  // setup() and teardown() run outside any scenario: their requests have no scenario tag, an empty row here.
  const outside = by === "scenario" ? " The empty row: setup() and teardown(), outside any scenario." : "";
  const latency = PERCENTILES.map((n) =>
    compareTable({
      title: `p${n} by ${by}`,
      description: `http_req_duration{kind:call} p${n} per ${by} (GET /events streams left out, as in the overall threshold).${outside}`,
      metric: K6.httpReqDuration,
      stat: { kind: "percentile", n },
      by,
      filters: [CALLS, ...filters],
      unit: "ms",
      relative: true,
      width: 8,
    }),
  );
  return [
    ...latency,
    compareTable({
      title: `Request rate by ${by}`,
      description:
        `Requests per second per ${by} (http_reqs), over the span from the ${by}'s first to its last request in the run: ` +
        `(requests − 1) / span, computed as 1 / the mean gap between consecutive requests.${outside}`,
      metric: K6.httpReqs,
      stat: { kind: "rate" },
      by,
      filters,
      unit: "reqps",
      relative: true,
      width: 12,
    }),
    compareTable({
      title: `Error rate by ${by}`,
      description: `Share of failed requests per ${by} (http_req_failed); Δ in percentage points.${outside}`,
      metric: K6.httpReqFailed,
      stat: { kind: "mean" },
      by,
      filters,
      unit: "percentunit",
      relative: false,
      width: 12,
    }),
  ];
}

const FLEET_WIDE = "Fleet-wide (no per-agent tag).";

function agentTables(): PanelEntry[] {
  const filters = [BY_SCENARIO];
  return [
    compareTable({
      title: "Agent turn duration p95",
      description: `agent_turn_duration p95 (POST /message sent → agent stable again) per scenario. ${FLEET_WIDE}`,
      metric: CUSTOM.agentTurnDuration,
      stat: { kind: "percentile", n: 95 },
      by: "scenario",
      filters,
      unit: "ms",
      relative: true,
      width: 12,
      height: 6,
    }),
    compareTable({
      title: "Agent first output p95",
      description: `agent_first_output p95 per observed_by (sse: on the /events stream; poll: by polling). ${FLEET_WIDE}`,
      metric: CUSTOM.agentFirstOutput,
      stat: { kind: "percentile", n: 95 },
      by: "observed_by",
      filters,
      unit: "ms",
      relative: true,
      width: 12,
      height: 6,
    }),
    compareTable({
      title: "Agent turns",
      description: `Turns the agents accepted and answered (agent_turns) per scenario, whole run. ${FLEET_WIDE}`,
      metric: CUSTOM.agentTurns,
      stat: { kind: "sum" },
      by: "scenario",
      filters,
      unit: "short",
      relative: true,
      counter: true,
      width: 12,
      height: 6,
    }),
    compareTable({
      title: "Agent turn failures",
      description:
        `Turns that did not return to stable (not_stable) or left no reply (reply_missing), per reason, whole run ` +
        `(agent_turn_failures). A run without failures has no row. ${FLEET_WIDE}`,
      metric: CUSTOM.agentTurnFailures,
      stat: { kind: "sum" },
      by: "reason",
      filters,
      unit: "short",
      relative: false,
      counter: true,
      width: 12,
      height: 6,
    }),
  ];
}

const TREND_HOW =
  "One point per run, at the run's first sample of the measurement, for the newest $N runs in the time range that " +
  "have samples matching the filters.";

/** refIds for the per-endpoint trend targets: A, B, … (one per endpoint, at most 26). */
function refIdOf(index: number): string {
  if (index >= 26) throw new Error("too many trend targets for single-letter refIds");
  return String.fromCharCode(65 + index);
}

function trendPanel(
  title: string,
  description: string,
  unit: string,
  width: number,
  targets: RawInfluxQL[],
): cog.Builder<Panel> {
  return timeseries({ title, description: `${description} ${TREND_HOW}`, unit, width, height: 9, queries: [] })
    .targets(targets)
    .showPoints(common.VisibilityMode.Always)
    .pointSize(6);
}

/** A trend field: its column name, its raw InfluxQL (the oracle) and its summary statistic. */
interface TrendField {
  name: string;
  raw: string;
  stat: SummaryRunField["stat"];
}

const p95: TrendField = { name: "p95", raw: percentile(95), stat: { kind: "percentile", n: 95 } };

/** The trend query of a metric's fields over runs, from the run summaries or from the raw points. */
function trendQuery(
  source: CompareSource,
  metric: string,
  fields: readonly TrendField[],
  filters: readonly TagFilter[],
  withTestid = false,
): string {
  if (source === "summary") return overRunsSummary(metric, fields, filters, withTestid);
  const raw: RunField[] = fields.map((f) => ({ name: f.name, expr: f.raw }));
  return overRuns(metric, raw, filters, withTestid);
}

/** A panel only InfluxQL can draw (listed in promql-exceptions.ts): building it for another backend is a bug. */
function influxOnly(title: string, build: (source: CompareSource) => cog.Builder<Panel>): PanelEntry {
  return {
    title,
    build: (backend, _note, source) => {
      if (backend.id !== "influxql") throw new Error(`"${title}" is InfluxQL only (promql-exceptions.ts)`);
      return build(source);
    },
  };
}

function trendPanels(): PanelEntry[] {
  const note = (source: CompareSource): string => sourceNote(INFLUXQL, source);
  const perEndpoint = (source: CompareSource): RawInfluxQL[] =>
    CALL_ENDPOINTS.map(
      (endpoint, i) =>
        new RawInfluxQL(
          refIdOf(i),
          trendQuery(
            source,
            K6.httpReqDuration,
            [p95],
            [{ tag: "endpoint", value: endpoint }, BY_ENDPOINT, BY_SCENARIO, CALLS],
          ),
          "time_series",
          endpoint,
        ),
    );
  const runs = (source: CompareSource): RawInfluxQL =>
    new RawInfluxQL(
      "A",
      trendQuery(
        source,
        K6.httpReqDuration,
        [{ name: "requests", raw: count(), stat: { kind: "count" } }, p95],
        [CALLS],
        true,
      ),
      "table",
    );
  return [
    influxOnly("p95 by endpoint over runs", (source) =>
      trendPanel(
        "p95 by endpoint over runs",
        "http_req_duration{kind:call} p95 per endpoint (one query per endpoint, so that every endpoint's point of a run " +
          `sits at the run's first request).${note(source)}`,
        "ms",
        24,
        perEndpoint(source),
      ),
    ),
    influxOnly("Error rate over runs", (source) =>
      trendPanel(
        "Error rate over runs",
        `Share of failed requests (http_req_failed).${note(source)}`,
        "percentunit",
        12,
        [
          new RawInfluxQL(
            "A",
            trendQuery(
              source,
              K6.httpReqFailed,
              [{ name: "error rate", raw: mean(), stat: { kind: "mean" } }],
              [BY_SCENARIO, BY_ENDPOINT],
            ),
            "time_series",
            "$col",
          ),
        ],
      ),
    ),
    influxOnly("Agent turn p95 over runs", (source) =>
      trendPanel(
        "Agent turn p95 over runs",
        `agent_turn_duration p95; each point at the run's first agent turn. ${FLEET_WIDE}${note(source)}`,
        "ms",
        12,
        [
          new RawInfluxQL(
            "A",
            trendQuery(source, CUSTOM.agentTurnDuration, [p95], [BY_SCENARIO]),
            "time_series",
            "$col",
          ),
        ],
      ),
    ),
    influxOnly("Runs over time", (source) =>
      new TablePanelBuilder()
        .title("Runs over time")
        .description(
          `The newest $N runs by start (first request) in the time range: testid, calls (http_req_duration{kind:call} ` +
            `samples) and their p95. The links open a run in "${DASHBOARD_UID}" or set it as A.${note(source)}`,
        )
        .datasource({ ...INFLUX_DATASOURCE })
        .targets([runs(source)])
        .transformations([{ id: "organize", options: { renameByName: { Time: "Run start" } } }])
        .cellHeight(common.TableCellHeight.Sm)
        .sortBy([new common.TableSortByFieldStateBuilder().displayName("Run start").desc(true)])
        .overrideByName("p95", [
          { id: "unit", value: "ms" },
          { id: "decimals", value: 1 },
        ])
        .overrideByName("testid", [
          {
            id: "links",
            value: [
              {
                title: "Open in AgentAPI load test",
                url: `/d/${DASHBOARD_UID}?var-testid=\${__value.raw}&\${__url_time_range}`,
              },
              {
                title: "Compare as A (baseline) with B",
                url: `/d/${COMPARE_DASHBOARD_UID}?var-A=\${__value.raw}&var-B=\${B}&var-N=\${N}&\${__url_time_range}`,
              },
            ],
          },
        ])
        .span(24)
        .height(8),
    ),
  ];
}

interface RowSpec {
  title: string;
  panels: () => PanelEntry[];
}

const ROWS: readonly RowSpec[] = [
  { title: "HTTP by endpoint: A = $A, B = $B", panels: () => httpTables("endpoint") },
  { title: "HTTP by scenario: A = $A, B = $B", panels: () => httpTables("scenario") },
  { title: "Agents: A = $A, B = $B", panels: agentTables },
  { title: "Trend: the last $N runs", panels: trendPanels },
];

const VARIANTS: Readonly<
  Record<BackendId, { uid: string; title: string; loadUid: string; loadTitle: string; about: string }>
> = {
  influxql: {
    uid: COMPARE_DASHBOARD_UID,
    title: COMPARE_DASHBOARD_TITLE,
    loadUid: DASHBOARD_UID,
    loadTitle: "AgentAPI load test",
    about:
      "and the trend over the last N runs (InfluxQL on the k6 bucket, from the run summaries the rollup writes when a " +
      "run ends: `npm run rollup -- --testid <id>` for a run without them).",
  },
  promql: {
    uid: PROM_COMPARE_DASHBOARD_UID,
    title: PROM_COMPARE_DASHBOARD_TITLE,
    loadUid: PROM_DASHBOARD_UID,
    loadTitle: "AgentAPI load test (Prometheus)",
    about: "(PromQL on k6's prometheus-rw output; the trend over runs is InfluxQL only).",
  },
};

/**
 * A panel's build on the backend, with the id it has on every backend (ids of panels a backend leaves out are not
 * reused), or undefined when the backend has no twin of it (promql-exceptions.ts).
 */
function entryOn(backend: Backend, entry: PanelEntry, source: CompareSource): cog.Builder<Panel> | undefined {
  if (backend.id === "influxql") return entry.build(backend, "", source);
  const exception = promqlException(COMPARE_DASHBOARD_UID, entry.title);
  if (exception?.twin === "none") return undefined;
  return entry.build(backend, exception === undefined ? "" : promqlNote(exception), source);
}

/**
 * The dashboard on a backend. `source` "raw" computes the InfluxQL cells over raw points on every refresh, as the
 * dashboard did before the run summaries: not committed, the oracle of the tests and the "before" of the bench.
 */
export function buildCompareDashboard(backend: Backend = INFLUXQL, source: CompareSource = "summary"): Dashboard {
  const variant = VARIANTS[backend.id];
  const dashboard = new DashboardBuilder(variant.title)
    .uid(variant.uid)
    .description(`Two k6 runs side by side (A = baseline, B = candidate, Δ = B − A) ${variant.about}`)
    .tags(["k6", "agentapi", "load-test", "compare"])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: "now-7d", to: "now" })
    .links([
      new DashboardLinkBuilder(variant.loadTitle)
        .type(DashboardLinkType.Link)
        .url(`/d/${variant.loadUid}`)
        .keepTime(true)
        .icon("dashboard"),
    ])
    .variables(compareVariables(backend));
  let id = 0;
  for (const spec of ROWS) {
    const rowId = ++id;
    const panels = spec.panels().flatMap((entry) => {
      const panelId = ++id;
      const built = entryOn(backend, entry, source);
      return built === undefined ? [] : [withId(built, panelId)];
    });
    // A row none of whose panels the backend can draw is left out with them.
    if (panels.length === 0) continue;
    dashboard.withRow(withId(new RowBuilder(spec.title), rowId));
    for (const panel of panels) dashboard.withPanel(panel);
  }
  return dashboard.build();
}

/** The committed file's exact text, as renderDashboard() writes the load dashboard. */
export function renderCompareDashboard(backend: Backend = INFLUXQL, source: CompareSource = "summary"): string {
  return `${JSON.stringify(buildCompareDashboard(backend, source), null, 2)}\n`;
}

/** The PromQL compare dashboard's file text. */
export const renderPromCompareDashboard = (): string => renderCompareDashboard(PROMQL);
