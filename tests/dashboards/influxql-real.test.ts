// The dashboard's InfluxQL, expanded as Grafana expands it, against a real InfluxDB holding a real run's samples in
// xk6-output-influxdb's schema. Every panel target must return data for the run it is pointed at, nothing for a
// run that does not exist, and exactly the same data whether or not another run shares the database. The agent
// metrics' series the harness run does not produce are added in the same schema (helpers/agent-samples.ts), and a
// third run is a restart drill with known numbers (helpers/restart-drill.ts) for the Outages row.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INFLUX_DATABASE, INFLUX_RETENTION_POLICY } from "../../infra/grafana/src/datasource";
import {
  CAPACITY_ROW,
  loadCommittedDashboard,
  panelTargets,
  type DashboardJson,
  type PanelTarget,
} from "./helpers/dashboard-model";
import { expandQuery, intervalMs, type QueryContext, type TemplateVariable } from "./helpers/grafana-macros";
import { resolveVariables as resolveShared, type Selections } from "./helpers/resolve-variables";
import { findInfluxd, startInfluxd, type InfluxSeries, type RunningInfluxd } from "./helpers/influxd";
import { toLineProtocol } from "./helpers/line-protocol";
import { HEALTHY_AGENT_SERIES, withAgentSamples } from "./helpers/agent-samples";
import { recordRun, recordSmallRun, type MetricSample } from "./helpers/journey-samples";
import { DRILL, restartDrillSamples } from "./helpers/restart-drill";
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
/** The restart drill: between the two by id, so RUN stays the default. */
const DRILL_RUN = "20261127-010000-d7e1";
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
  "agent_history_lost",
  "prompts_withheld",
];

/** InfluxDB's percentile(): nearest rank, floor(n × p / 100 + 0.5) − 1 of the sorted values. */
function nearestRank(values: readonly number[], p: number): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length * p) / 100 + 0.5) - 1];
}

describe.skipIf(INFLUXD === undefined)("dashboard InfluxQL against a real InfluxDB", () => {
  let influx: RunningInfluxd;
  let dashboard: DashboardJson;
  let targets: PanelTarget[];
  let range: { fromMs: number; toMs: number };
  let olderRange: { fromMs: number; toMs: number };
  let drillRange: { fromMs: number; toMs: number };
  let drillStart: number;
  let runResults: Map<string, InfluxSeries[]>;
  /** What the run recorded (harness samples plus the agent series it lacks), as written to InfluxDB. */
  let runSamples: MetricSample[];

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
    // The capacity row's queries run on a capacity run (tests/capacity/knee.test.ts): this run has no steps.
    targets = panelTargets(dashboard, { exceptRows: [CAPACITY_ROW] });
    influx = await startInfluxd(INFLUXD as string);
    // InfluxDB 2's virtual DBRP exposes bucket k6 as database k6 with retention policy autogen.
    await influx.query(`CREATE DATABASE "${INFLUX_DATABASE}" WITH NAME "${INFLUX_RETENTION_POLICY}"`);

    // The real journeys, run by the k6 harness against the in-process target, tagged testid=RUN, plus the agent
    // series they lack.
    const samples = withAgentSamples(await recordRun(RUN), RUN);
    runSamples = samples;
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
    // Its agents had no failure, busy refusal, dropped stream, outage or withheld prompt: those counters never got a
    // sample in it. It ran on the ACP transport, where the prompting VU sees no first output.
    const acpSeries = HEALTHY_AGENT_SERIES.filter((s) => s.metric !== "agent_first_output");
    const other = withAgentSamples(await recordSmallRun(OLDER_RUN, { transport: "acp" }), OLDER_RUN, acpSeries);
    olderRange = rangeOf(other);
    await influx.write(other.map(toLineProtocol), INFLUX_DATABASE, INFLUX_RETENTION_POLICY);
    await rollup(OLDER_RUN, olderRange);
    // A third: a restart drill of the agent servers, with known numbers, on a small real run.
    const drill = restartDrillSamples(await recordSmallRun(DRILL_RUN), DRILL_RUN);
    drillStart = drill.startMs;
    drillRange = rangeOf(drill.samples);
    await influx.write(drill.samples.map(toLineProtocol), INFLUX_DATABASE, INFLUX_RETENTION_POLICY);
    await rollup(DRILL_RUN, drillRange);
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
    expect(variables.find((v) => v.name === "testid")?.options).toEqual([RUN, DRILL_RUN, OLDER_RUN]);
    expect(variables.find((v) => v.name === "testid")?.current).toBe(RUN);
  });

  it("shows the chosen run's transport in the transport variable (one value; none for a run without the tag)", async () => {
    const transport = async (testid: string): Promise<TemplateVariable | undefined> =>
      (await resolveVariables({ testid })).find((v) => v.name === "transport");
    expect(await transport(RUN)).toMatchObject({ options: ["pty"], current: "pty" });
    expect(await transport(OLDER_RUN)).toMatchObject({ options: ["acp"], current: "acp" });
    expect(await transport(DRILL_RUN)).toMatchObject({ options: ["pty"], current: "pty" });
    // A run recorded before k6 tagged samples with their transport has no value, like a run that is not there.
    expect(await transport(MISSING_RUN)).toMatchObject({ options: [], current: "" });
    // Shown, never a filter: no panel query names it.
    expect(targets.filter((t) => (t.target.query ?? "").includes("transport")).map((t) => t.label)).toEqual([]);
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
    expect(tagsOf("Agent turn failures", "reason").sort()).toEqual(["not_stable", "reply_missing", "stream_lost"]);
    expect(tagsOf("Busy refusals per second", "scenario")).toContain("agent_conversation");
    expect(tagsOf("Watcher events per second", "observed_by")).toContain("sse");
    expect(tagsOf("SSE delivery lag p95", "observed_by")).toContain("sse");
    expect(tagsOf("Watcher streams dropped", "scenario")).toEqual(["event_watchers"]);
    // The lag is what the run recorded: on loopback a delivery can take 0 ms, so each p95 lies within the run's own
    // sse lag samples (a panel reading another measurement or field would not).
    const lag = values(series("SSE delivery lag p95")).filter((v): v is number => typeof v === "number");
    const recorded = runSamples
      .filter((s) => s.metric === "sse_delivery_lag" && s.tags.observed_by === "sse")
      .map((s) => s.value);
    expect(recorded.length).toBeGreaterThan(0);
    expect(lag.length).toBeGreaterThan(0);
    for (const p95 of lag) {
      expect(p95).toBeGreaterThanOrEqual(Math.min(...recorded));
      expect(p95).toBeLessThanOrEqual(Math.max(...recorded));
    }
    expect(series("Idle status read p95")[0]?.columns).toEqual(["time", "p95"]);
    const idle = values(series("Idle status read p95")).filter((v): v is number => typeof v === "number");
    expect(Math.max(...idle)).toBeGreaterThan(0);
    const prompts = targets.filter((t) => t.panel.title === "Prompts sent / withheld");
    expect(prompts.map((t) => (runResults.get(t.label) ?? [])[0]?.columns)).toEqual([
      ["time", "sent"],
      ["time", "withheld"],
    ]);
  });

  describe("Outages row", () => {
    type Results = Map<string, InfluxSeries[]>;
    let drill: Results;
    const outageTitles = [
      "Connection failures by cause",
      "Agent recovery time max / p95",
      "Messages lost",
      "Streams dropped and turns lost",
    ];

    beforeAll(async () => {
      drill = await runAll(await resolveVariables({ testid: DRILL_RUN }), drillRange);
    });

    const seriesIn = (results: Results, title: string, refId = "A"): InfluxSeries[] =>
      results.get(targets.find((t) => t.panel.title === title && t.target.refId === refId)?.label ?? "") ?? [];
    const total = (series: readonly InfluxSeries[]): number =>
      values(series).reduce<number>((n, v) => n + (typeof v === "number" ? v : 0), 0);
    const totalsBy = (series: readonly InfluxSeries[], tag: string): Record<string, number> =>
      Object.fromEntries(series.map((s) => [s.tags?.[tag] ?? "", total([s])]));

    it("a restart drill reads its known numbers: failures by cause, streams and turns lost", () => {
      expect(totalsBy(seriesIn(drill, "Connection failures by cause"), "cause")).toEqual(DRILL.failures);
      expect(totalsBy(seriesIn(drill, "Streams dropped and turns lost"), "reason")).toEqual({
        server_closed: DRILL.streamsClosed,
      });
      const turnsLost = seriesIn(drill, "Streams dropped and turns lost", "B");
      expect(turnsLost[0]?.columns).toEqual(["time", "turns lost"]);
      expect(total(turnsLost)).toBe(DRILL.turnsLost);
      // The refusals fall within the downtime, the cut requests at its start.
      const refused = seriesIn(drill, "Connection failures by cause").find((s) => s.tags?.cause === "refused");
      const busy = (refused?.values ?? []).filter((row) => (row[1] as number) > 0).map((row) => row[0] as number);
      const interval = intervalMs(contextFor(targetOf("Connection failures by cause"), [], drillRange));
      expect(Math.min(...busy)).toBeGreaterThanOrEqual(drillStart - interval);
      expect(Math.max(...busy)).toBeLessThan(drillStart + DRILL.downMs);
    });

    it("recovery time: the slowest VU's as max and InfluxDB's p95 of each interval's recoveries", async () => {
      const target = targetOf("Agent recovery time max / p95");
      const variables = await resolveVariables({ testid: DRILL_RUN });
      const rowsAt = async (context: QueryContext): Promise<(number | string | null)[][]> => {
        const series = await runQuery(expandQuery(target.target.query ?? "", context));
        expect(series.map((s) => s.columns)).toEqual([["time", "max", "p95"]]);
        return series.flatMap((s) => s.values).filter((row) => row[1] !== null);
      };
      // As Grafana sends it: the panel's min interval (10 s) on this short range puts the whole drill in one interval.
      const panelInterval = (target.panel as { interval?: string }).interval;
      expect(panelInterval).toBe("10s");
      const grafana = { ...contextFor(target, variables, drillRange), minInterval: panelInterval as string };
      expect(intervalMs(grafana)).toBe(10_000);
      expect(await rowsAt(grafana)).toEqual([[drillStart, DRILL.recoveryMaxMs, DRILL.recoveryP95Ms]]);
      // In finer intervals (1 s), each interval's own max and nearest-rank p95, at the times the VUs recovered.
      const fine = contextFor(target, variables, drillRange);
      const interval = intervalMs(fine);
      expect(interval).toBeLessThan(10_000);
      const byBucket = new Map<number, number[]>();
      DRILL.recoveryMs.forEach((recovery, i) => {
        const bucket = Math.floor((drillStart + 25 * i + recovery) / interval) * interval;
        byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), recovery]);
      });
      const expected = [...byBucket]
        .sort(([a], [b]) => a - b)
        .map(([bucket, list]) => [bucket, Math.max(...list), nearestRank(list, 95)]);
      expect(expected.length).toBeGreaterThan(1);
      expect(await rowsAt(fine)).toEqual(expected);
      // Nobody recovered before the servers were back.
      expect(Math.min(...expected.map((row) => row[0] as number))).toBeGreaterThanOrEqual(
        Math.floor((drillStart + DRILL.downMs) / interval) * interval,
      );
    });

    it("messages lost reads 0 after a restart with --state-file, as a series (not No data)", () => {
      const lost = seriesIn(drill, "Messages lost");
      expect(lost.length).toBe(1);
      expect(values(lost).every((v) => v === 0)).toBe(true);
      // A run whose agent came back without its history counts what its VU had seen.
      expect(total(seriesIn(runResults, "Messages lost"))).toBeGreaterThan(0);
    });

    it("scopes by testid and scenario: the drill's numbers are its own, a watcher selection keeps only the streams", async () => {
      expect(totalsBy(seriesIn(runResults, "Connection failures by cause"), "cause")).not.toEqual(DRILL.failures);
      const watchers = await resolveVariables({ testid: DRILL_RUN, scenario: "event_watchers" });
      const run = async (title: string, refId = "A"): Promise<InfluxSeries[]> => {
        const target = targets.find((t) => t.panel.title === title && t.target.refId === refId) as PanelTarget;
        return runQuery(expandQuery(target.target.query ?? "", contextFor(target, watchers, drillRange)));
      };
      expect(await run("Connection failures by cause")).toEqual([]);
      expect(await run("Agent recovery time max / p95")).toEqual([]);
      expect(total(await run("Streams dropped and turns lost"))).toBe(DRILL.streamsClosed);
      expect(await run("Streams dropped and turns lost", "B")).toEqual([]);
    });

    it("by cause leaves out the MCP set-ups counted without a cause (Errors → Connection failures has them)", () => {
      // RUN's MCP server refused connections: the request counts with cause refused, the failed set-up without one.
      const byEndpoint = total(seriesIn(runResults, "Connection failures"));
      const byCause = seriesIn(runResults, "Connection failures by cause");
      expect(byCause.map((s) => s.tags?.cause)).not.toContain("");
      expect(total(byCause)).toBeGreaterThan(0);
      expect(total(byCause)).toBeLessThan(byEndpoint);
    });

    it("has a panel for each outage figure, each saying what a restart drill reads there", () => {
      const panels = outageTitles.map((title) => targetOf(title).panel);
      for (const panel of panels) expect(panel.description, panel.title).toMatch(/restart drill/);
      expect(panels[0]?.description).toMatch(/refused/);
      expect(panels[2]?.description).toMatch(/--state-file/);
    });
  });

  it("counter panels are 0, not empty, in the intervals without a sample (fill(0) over the whole range)", () => {
    const counterTargets = targets.filter((t) =>
      ZERO_COUNTERS.some((m) => (t.target.query ?? "").includes(`FROM "${m}"`)),
    );
    // Errors row (timeouts, connection failures, agent busy), Agents row (failures, busy/s, dropped, withheld) and
    // Outages row (failures by cause, messages lost, streams dropped, turns lost).
    expect(counterTargets.length).toBeGreaterThanOrEqual(11);
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
      expect(target.panel.fieldConfig?.defaults?.noValue, target.label).toBe("0");
    }
    // Its own agent turns are there, and are its own, not RUN's.
    const turnDuration = targetOf("Agent turn duration p50 / p95 / p99").label;
    expect(nonNull(older.get(turnDuration) ?? [])).toBeGreaterThan(0);
    expect(older.get(turnDuration)).not.toEqual(runResults.get(turnDuration));
    expect(nonNull(older.get(targetOf("Agent turns per second").label) ?? [])).toBeGreaterThan(0);
    // No outage: no recovery time either, and that panel (a trend) says "No data".
    expect(older.get(targetOf("Agent recovery time max / p95").label)).toEqual([]);
  });
});
