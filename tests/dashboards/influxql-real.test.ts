// The dashboard's InfluxQL, expanded as Grafana expands it, against a real InfluxDB holding a real run's samples in
// xk6-output-influxdb's schema. Every panel target must return data for the run it is pointed at, nothing for a
// run that does not exist, and exactly the same data whether or not another run shares the database. The agent
// metrics' series the harness run does not produce (yet) are added in the same schema (helpers/agent-samples.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INFLUX_DATABASE, INFLUX_RETENTION_POLICY } from "../../infra/grafana/src/datasource";
import { loadCommittedDashboard, panelTargets, type DashboardJson, type PanelTarget } from "./helpers/dashboard-model";
import { expandQuery, type QueryContext, type TemplateVariable } from "./helpers/grafana-macros";
import { resolveVariables as resolveShared, type Selections } from "./helpers/resolve-variables";
import { findInfluxd, startInfluxd, type InfluxSeries, type RunningInfluxd } from "./helpers/influxd";
import { toLineProtocol } from "./helpers/line-protocol";
import { HEALTHY_AGENT_SERIES, withAgentSamples } from "./helpers/agent-samples";
import { recordRun, recordSmallRun, type MetricSample } from "./helpers/journey-samples";
import { createInfluxReader, createInfluxWriter } from "../../tools/influx/index";
import { rollupRange } from "../../tools/rollup/rollup";
import { rowsTaggedBy } from "../../infra/grafana/src/thresholds";

const INFLUXD = findInfluxd();
if (INFLUXD === undefined) {
  console.warn(
    "SKIP tests/dashboards/influxql-real: `influxd` is not installed (Debian: apt-get install -y influxdb); " +
      "the dashboard queries were NOT run against InfluxDB",
  );
}

// Time-sortable ids as scripts/new-testid.sh makes them; RUN is the newer one, so it is the dashboard's default.
const RUN = "20261127-021500-a1b2";
const OLDER_RUN = "20261126-235959-c3d4";
const MISSING_RUN = "20261127-030000-ffff";

/** Grafana's panel query width: maxDataPoints is the panel's pixel width on a 1,800 px wide dashboard. */
function maxDataPointsOf(target: PanelTarget): number {
  return target.panel.maxDataPoints ?? Math.round(((target.panel.gridPos?.w ?? 24) / 24) * 1800);
}

/** Every non-time value of every series. */
function values(series: readonly InfluxSeries[]): (number | string | null)[] {
  return series.flatMap((s) => s.values.flatMap((row) => row.slice(1)));
}

const nonNull = (series: readonly InfluxSeries[]): number => values(series).filter((v) => v !== null).length;

/** The run's time span with a minute either side (the dashboard's relative range only has to contain it). */
function rangeOf(samples: readonly MetricSample[]): { fromMs: number; toMs: number } {
  const times = samples.map((s) => s.time);
  return { fromMs: Math.min(...times) - 60_000, toMs: Math.max(...times) + 60_000 };
}

/** Counters whose panels must read 0, not "No data", where the run has no sample. */
const ZERO_COUNTERS = [
  "timeout_count",
  "connection_failures",
  "agent_turn_failures",
  "agent_busy_total",
  "sse_streams_dropped",
];

describe.skipIf(INFLUXD === undefined)("dashboard InfluxQL against a real InfluxDB", () => {
  let influx: RunningInfluxd;
  let dashboard: DashboardJson;
  let targets: PanelTarget[];
  let range: { fromMs: number; toMs: number };
  let olderRange: { fromMs: number; toMs: number };
  let runResults: Map<string, InfluxSeries[]>;

  async function runQuery(text: string): Promise<InfluxSeries[]> {
    return influx.query(text, INFLUX_DATABASE);
  }

  /** The dashboard's variables as Grafana resolves them on load, with optional overrides (testid, selections). */
  const resolveVariables = (overrides: Selections = {}): Promise<TemplateVariable[]> =>
    resolveShared(runQuery, dashboard, overrides);

  function contextFor(target: PanelTarget, variables: TemplateVariable[], over = range): QueryContext {
    return { ...over, maxDataPoints: maxDataPointsOf(target), minInterval: "1s", variables };
  }

  async function runAll(variables: TemplateVariable[], over = range): Promise<Map<string, InfluxSeries[]>> {
    const results = new Map<string, InfluxSeries[]>();
    for (const target of targets) {
      results.set(
        target.label,
        await runQuery(expandQuery(target.target.query ?? "", contextFor(target, variables, over))),
      );
    }
    return results;
  }

  /** The first target of the panel with this title. */
  function targetOf(title: string): PanelTarget {
    const target = targets.find((t) => t.panel.title === title);
    expect(target, title).toBeDefined();
    return target as PanelTarget;
  }

  beforeAll(async () => {
    dashboard = loadCommittedDashboard();
    targets = panelTargets(dashboard);
    influx = await startInfluxd(INFLUXD as string);
    // InfluxDB 2's virtual DBRP exposes bucket k6 as database k6 with retention policy autogen.
    await influx.query(`CREATE DATABASE "${INFLUX_DATABASE}" WITH NAME "${INFLUX_RETENTION_POLICY}"`);

    // The real journeys, run by the k6 harness against the in-process target, tagged testid=RUN, plus the agent
    // series they lack.
    const samples = withAgentSamples(await recordRun(RUN), RUN);
    // The dashboard's default range is relative ("now-30m"); what matters is that the run lies inside it.
    range = rangeOf(samples);

    expect(new Set(samples.map((s) => s.tags.testid))).toEqual(new Set([RUN]));
    await influx.write(samples.map(toLineProtocol), INFLUX_DATABASE, INFLUX_RETENTION_POLICY);
    // The latency row reads the rollup, which the stack's rollup service writes as the run goes.
    const rollup = (testid: string, over: { fromMs: number; toMs: number }): Promise<unknown> =>
      rollupRange(
        createInfluxReader({ url: influx.url, envFile: null }),
        createInfluxWriter({ url: influx.url, envFile: null }),
        testid,
        over.fromMs,
        over.toMs,
      );
    await rollup(RUN, range);
    runResults = await runAll(await resolveVariables({ testid: RUN }));
    // A second run in the same bucket, overlapping in time: the first run's panels must not change.
    // Its agents had no failure, busy refusal or dropped stream: those counters never got a sample in it.
    const other = withAgentSamples(await recordSmallRun(OLDER_RUN), OLDER_RUN, HEALTHY_AGENT_SERIES);
    olderRange = rangeOf(other);
    await influx.write(other.map(toLineProtocol), INFLUX_DATABASE, INFLUX_RETENTION_POLICY);
    await rollup(OLDER_RUN, olderRange);
  }, 60_000);

  afterAll(async () => {
    await influx?.stop();
  });

  it("stores the k6 schema: measurement per metric, field value, url/vu/iter as fields, the rest as tags", async () => {
    // SHOW rows carry no time column: [fieldKey, fieldType] and [tagKey].
    const fields = (await runQuery(`SHOW FIELD KEYS FROM "http_reqs"`)).flatMap((s) => s.values);
    expect(fields).toContainEqual(["value", "float"]);
    expect(fields).toContainEqual(["url", "string"]);
    const tagKeys = (await runQuery(`SHOW TAG KEYS FROM "http_reqs"`)).flatMap((s) => s.values.map((row) => row[0]));
    for (const tag of ["testid", "scenario", "endpoint", "status", "method"]) expect(tagKeys).toContain(tag);
    expect(tagKeys).not.toContain("url");
  });

  it("defaults the testid variable to the newest run", async () => {
    const variables = await resolveVariables();
    expect(variables.find((v) => v.name === "testid")?.options).toEqual([RUN, OLDER_RUN]);
    expect(variables.find((v) => v.name === "testid")?.current).toBe(RUN);
  });

  it("lists the run's scenarios and endpoints in the scenario and endpoint variables", async () => {
    const variables = await resolveVariables({ testid: RUN });
    expect(variables.find((v) => v.name === "scenario")?.options.length).toBeGreaterThan(1);
    expect(variables.find((v) => v.name === "endpoint")?.options).toContain("status");
  });

  it("every panel target returns data for the chosen run", () => {
    expect(targets.length).toBeGreaterThan(20);
    const empty = targets.filter((t) => nonNull(runResults.get(t.label) ?? []) === 0).map((t) => t.label);
    expect(empty, "targets without a single non-null value").toEqual([]);
  });

  it("the error panels show the struggling part of the run, broken down as labelled", () => {
    const seriesOf = (title: string): InfluxSeries[] => {
      const target = targets.find((t) => t.panel.title === title);
      expect(target, title).toBeDefined();
      return runResults.get(target?.label ?? "") ?? [];
    };
    const total = (series: InfluxSeries[]): number =>
      values(series).reduce<number>((n, v) => n + (typeof v === "number" ? v : 0), 0);
    const byTag = (title: string, tag: string): Record<string, number> =>
      Object.fromEntries(seriesOf(title).map((s) => [s.tags?.[tag] ?? "", total([s])]));

    expect(byTag("Requests by status", "status")["503"]).toBeGreaterThan(0);
    expect(byTag("Timeouts", "endpoint").events).toBeGreaterThan(0);
    expect(byTag("Connection failures", "endpoint").mcp_initialize).toBeGreaterThan(0);
    expect(total(seriesOf("Agent busy"))).toBeGreaterThan(0);
    expect(total(seriesOf("Failed checks"))).toBeGreaterThan(0);
    const failedRate = values(seriesOf("Failed request rate")).filter((v): v is number => typeof v === "number");
    expect(Math.max(...failedRate)).toBeGreaterThan(0);
  });

  it("another run in the same bucket changes nothing in the chosen run's panels", async () => {
    const again = await runAll(await resolveVariables({ testid: RUN }));
    for (const target of targets) expect(again.get(target.label), target.label).toEqual(runResults.get(target.label));
  });

  it("every panel target returns nothing for a run that is not in the database", async () => {
    const results = await runAll(await resolveVariables({ testid: MISSING_RUN }));
    const leaking = targets.filter((t) => (results.get(t.label) ?? []).length > 0).map((t) => t.label);
    expect(leaking, "targets returning series for a missing testid").toEqual([]);
  });

  it("the latency row, read from the rollup, shows exactly the raw percentiles of the selection", async () => {
    // For All and for single selections, each rollup-backed series equals InfluxDB's percentile over the raw points
    // the panel showed before the rollup (same 10 s buckets, same tags).
    // Samples without the breakdown tag (setup()'s GET /status probes carry no scenario) count in the "All" rows but
    // get no series of their own (the raw panel drew them as an unnamed one).
    const rawP95 = async (where: string, by?: string): Promise<InfluxSeries[]> =>
      (
        await runQuery(
          `SELECT percentile("value", 95) AS "p95" FROM "http_req_duration" WHERE "testid" = '${RUN}' AND "kind" = 'call' ` +
            `${where} AND time >= ${range.fromMs}ms AND time <= ${range.toMs}ms GROUP BY time(10s)${by ? `, "${by}"` : ""} fill(none)`,
        )
      ).filter((s) => by === undefined || (s.tags?.[by] ?? "") !== "");
    const panelSeries = async (title: string, selection: Record<string, string>): Promise<InfluxSeries[]> => {
      const target = targetOf(title);
      const variables = await resolveVariables({ testid: RUN, ...selection });
      return runQuery(expandQuery(target.target.query ?? "", contextFor(target, variables)));
    };
    const strip = (series: InfluxSeries[]): unknown =>
      series.map((s) => ({ tags: s.tags ?? {}, values: s.values.map((row) => [row[0], row[1]]) }));

    expect(strip(await panelSeries("p95 by endpoint", {}))).toEqual(strip(await rawP95("", "endpoint")));
    expect(strip(await panelSeries("p95 by endpoint", { scenario: "authentication" }))).toEqual(
      strip(await rawP95(`AND "scenario" = 'authentication'`, "endpoint")),
    );
    const byScenario = await panelSeries("p95 by scenario", { endpoint: "status" });
    expect(byScenario.length).toBeGreaterThan(1);
    expect(strip(byScenario)).toEqual(strip(await rawP95(`AND "endpoint" = 'status'`, "scenario")));
    const overall = await panelSeries("HTTP latency p50 / p95 / p99", {
      scenario: "mixed_workload",
      endpoint: "messages",
    });
    expect(overall[0]?.columns).toEqual(["time", "p50", "p95", "p99"]);
    const p95 = overall.map((s) => ({ tags: {}, values: s.values.map((row) => [row[0], row[2]]) }));
    expect(p95).toEqual(strip(await rawP95(`AND "scenario" = 'mixed_workload' AND "endpoint" = 'messages'`)));
    // A run the rollup never saw has no latency row, and says how to get one in the panel's description.
    expect(targetOf("p95 by endpoint").panel.description).toContain("npm run rollup -- --testid <id>");
  });

  it("each latency-vs-threshold panel (rollup) equals the raw p95 of exactly its threshold row's tags", async () => {
    let compared = 0;
    for (const tagKey of ["endpoint", "scenario"] as const) {
      for (const row of rowsTaggedBy("http_req_duration", tagKey)) {
        const title = `${tagKey === "endpoint" ? "Endpoint" : "Scenario"} ${row.tagValue}: latency vs threshold`;
        const target = targetOf(title);
        const panel = await runQuery(
          expandQuery(target.target.query ?? "", contextFor(target, await resolveVariables({ testid: RUN }))),
        );
        // The row's own tags, no more: endpoint rows fix no kind, so a stream under one would show here.
        const where = Object.entries({ [tagKey]: row.tagValue, ...row.otherTags })
          .map(([k, v]) => `AND "${k}" = '${v}'`)
          .join(" ");
        const raw = await runQuery(
          `SELECT percentile("value", 95) AS "p95" FROM "http_req_duration" WHERE "testid" = '${RUN}' ${where} ` +
            `AND time >= ${range.fromMs}ms AND time <= ${range.toMs}ms GROUP BY time(10s) fill(none)`,
        );
        const p95 = (series: InfluxSeries[]): unknown =>
          series.map((x) => x.values.map((v) => [v[0], v[x.columns.indexOf("p95")]]));
        expect(p95(panel), title).toEqual(p95(raw));
        if (raw.length > 0) compared++;
      }
    }
    expect(compared).toBeGreaterThan(10);
  });

  it("a single scenario selection keeps its requests and drops the others", async () => {
    const variables = await resolveVariables({ testid: RUN, scenario: ["authentication"] });
    const rps = targets.find((t) => t.panel.title === "Requests per second");
    expect(rps).toBeDefined();
    const series = await runQuery(expandQuery(rps?.target.query ?? "", contextFor(rps as PanelTarget, variables)));
    expect(series.map((s) => s.tags?.scenario)).toEqual(["authentication"]);
  });

  it("the Agents row shows turns, first output by observed_by, failures by reason and the watchers", () => {
    const series = (title: string): InfluxSeries[] => runResults.get(targetOf(title).label) ?? [];
    const tagsOf = (title: string, tag: string): string[] => series(title).map((s) => s.tags?.[tag] ?? "");
    expect(tagsOf("Agent first output p50 / p95 by observed_by", "observed_by").sort()).toEqual(["poll", "sse"]);
    expect(series("Agent first output p50 / p95 by observed_by")[0]?.columns).toEqual(["time", "p50", "p95"]);
    expect(series("Agent turn duration p50 / p95 / p99")[0]?.columns).toEqual(["time", "p50", "p95", "p99"]);
    expect(tagsOf("Agent turn failures", "reason").sort()).toEqual(["not_stable", "reply_missing"]);
    expect(tagsOf("Busy refusals per second", "scenario")).toContain("agent_conversation");
    expect(tagsOf("Watcher events per second", "observed_by")).toContain("sse");
    expect(tagsOf("SSE delivery lag p95", "observed_by")).toContain("sse");
    expect(tagsOf("Watcher streams dropped", "scenario")).toEqual(["event_watchers"]);
    const lag = values(series("SSE delivery lag p95")).filter((v): v is number => typeof v === "number");
    expect(Math.max(...lag)).toBeGreaterThan(0);
  });

  it("counter panels are 0, not empty, in the intervals without a sample (fill(0) over the whole range)", () => {
    const counterTargets = targets.filter((t) =>
      ZERO_COUNTERS.some((m) => (t.target.query ?? "").includes(`FROM "${m}"`)),
    );
    // Errors row (timeouts, connection failures, agent busy) and Agents row (failures, busy/s, dropped).
    expect(counterTargets.length).toBeGreaterThanOrEqual(6);
    for (const target of counterTargets) {
      const series = runResults.get(target.label) ?? [];
      expect(series.length, target.label).toBeGreaterThan(0);
      const all = values(series);
      expect(
        all.filter((v) => v === null),
        target.label,
      ).toEqual([]);
      expect(all.filter((v) => v === 0).length, target.label).toBeGreaterThan(0);
      expect(
        all.some((v) => typeof v === "number" && v > 0),
        target.label,
      ).toBe(true);
      // Every interval of the range has a row, from before the run's first sample to after its last.
      const first = series[0]?.values[0]?.[0];
      const last = series[0]?.values.at(-1)?.[0];
      expect(typeof first === "number" && first <= range.fromMs + 60_000 - 1000, target.label).toBe(true);
      expect(typeof last === "number" && last >= range.toMs - 60_000, target.label).toBe(true);
    }
  });

  it("a counter with no sample in the whole range has no series at all, so its panels rely on noValue 0", async () => {
    // OLDER_RUN had no timeout, connection failure, busy agent, failed turn or dropped stream.
    const older = await runAll(await resolveVariables({ testid: OLDER_RUN }), olderRange);
    const counterTargets = targets.filter((t) =>
      ZERO_COUNTERS.some((m) => (t.target.query ?? "").includes(`FROM "${m}"`)),
    );
    for (const target of counterTargets) {
      expect(older.get(target.label), target.label).toEqual([]);
      // Grafana shows fieldConfig.defaults.noValue in place of "No data" when no series came back.
      expect((target.panel.fieldConfig?.defaults as { noValue?: string } | undefined)?.noValue, target.label).toBe("0");
    }
    // Its own agent turns are there, and are its own, not RUN's.
    const firstOutput = targetOf("Agent first output p50 / p95 by observed_by").label;
    expect(nonNull(older.get(firstOutput) ?? [])).toBeGreaterThan(0);
    expect(older.get(firstOutput)).not.toEqual(runResults.get(firstOutput));
    expect(nonNull(older.get(targetOf("Agent turns per second").label) ?? [])).toBeGreaterThan(0);
  });
});
