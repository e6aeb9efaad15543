// The compare dashboard's InfluxQL, expanded as Grafana expands it, against a real InfluxDB holding three real runs
// (the k6 journeys run by the harness, plus the agent series they lack) in xk6-output-influxdb's schema. Every A/B
// table, after Grafana's transformations (helpers/grafana-transformations.ts), must show A's numbers computed from
// A's points only, B's from B's, and Δ = B − A; every trend target must return one point per run, at the run's
// first sample, in start order, for the newest N runs. The dashboard reads the run summaries the rollup writes when
// a run ends (tools/rollup/summary.ts): every panel must show what the same panel computed over the raw points showed
// (the dashboard before the summaries, built with source "raw"), and a run without a summary shows no column.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPARE_DASHBOARD_FILE } from "../../infra/grafana/src/paths";
import { INFLUX_DATABASE, INFLUX_RETENTION_POLICY } from "../../infra/grafana/src/datasource";
import { DELTA, DELTA_PCT, buildCompareDashboard } from "../../infra/grafana/src/compare";
import { INFLUXQL } from "../../infra/grafana/src/backend";
import { createInfluxReader, createInfluxWriter } from "../../tools/influx/index";
import { summarizeRun } from "../../tools/rollup/summary";
import { AGENT_SERIES, withAgentSamples } from "./helpers/agent-samples";
import { dataPanels, loadCommittedDashboard, type DashboardJson, type PanelJson } from "./helpers/dashboard-model";
import { expandQuery, type QueryContext, type TemplateVariable } from "./helpers/grafana-macros";
import { applyTransformations, rowsOf, tableFrames, type Cell } from "./helpers/grafana-transformations";
import { resolveVariables as resolveShared, type Selections } from "./helpers/resolve-variables";
import { findInfluxd, startInfluxd, type InfluxSeries, type RunningInfluxd } from "./helpers/influxd";
import { recordRun, recordSmallRun, type MetricSample } from "./helpers/journey-samples";
import { TAGS_AS_FIELDS, toLineProtocol } from "./helpers/line-protocol";

const INFLUXD = findInfluxd();
if (INFLUXD === undefined) {
  console.warn(
    "SKIP tests/dashboards/compare-influxql: `influxd` is not installed (Debian: apt-get install -y influxdb); " +
      "the compare dashboard's queries were NOT run against InfluxDB",
  );
}

// Recorded in this order, so they start in this order. Ids sort differently: LATE has the oldest id but starts
// last, so the trend (ordered by start) and the A/B variables (ordered by id) disagree on purpose.
const A_RUN = "20261126-235959-c3d4";
const B_RUN = "20261127-021500-a1b2";
const LATE_RUN = "20261120-080000-e5f6";
const RUNS = [A_RUN, B_RUN, LATE_RUN];

/** A point as InfluxDB stores it: tags without the fields-as-tags and the empty ones; one point per series and time. */
interface StoredPoint {
  metric: string;
  tags: Record<string, string>;
  time: number;
  value: number;
}

function store(samples: readonly MetricSample[]): StoredPoint[] {
  const points = new Map<string, StoredPoint>();
  for (const s of samples) {
    const tags = Object.fromEntries(
      Object.entries(s.tags).filter(([k, v]) => TAGS_AS_FIELDS[k] === undefined && v !== ""),
    );
    const key = JSON.stringify([s.metric, Object.entries(tags).sort(), s.time]);
    // Same series and timestamp: the later write replaces the point.
    points.set(key, { metric: s.metric, tags, time: s.time, value: s.value });
  }
  return [...points.values()];
}

type Stat = { kind: "percentile"; n: number } | { kind: "mean" } | { kind: "sum" } | { kind: "rate" };

/** What InfluxQL computes over the points of one group. */
function statOf(points: readonly StoredPoint[], stat: Stat): number | undefined {
  if (points.length === 0) return undefined;
  const values = points.map((p) => p.value);
  if (stat.kind === "percentile") {
    // InfluxDB's percentile(): nearest rank, floor(n × p / 100 + 0.5) − 1 of the sorted values.
    const sorted = [...values].sort((a, b) => a - b);
    const i = Math.floor((sorted.length * stat.n) / 100 + 0.5) - 1;
    return i < 0 ? undefined : sorted[i];
  }
  if (stat.kind === "sum") return values.reduce((a, b) => a + b, 0);
  if (stat.kind === "mean") return values.reduce((a, b) => a + b, 0) / values.length;
  // 1000 / mean(elapsed gap): (n − 1) samples per (last − first) ms.
  const times = points.map((p) => p.time);
  return points.length < 2 ? undefined : (1000 * (points.length - 1)) / (Math.max(...times) - Math.min(...times));
}

function expectClose(actual: Cell, expected: number | undefined, label: string): void {
  if (expected === undefined) {
    expect(actual, label).toBeUndefined();
    return;
  }
  expect(typeof actual, label).toBe("number");
  expect(Math.abs((actual as number) - expected), `${label}: ${String(actual)} vs ${expected}`).toBeLessThanOrEqual(
    Math.abs(expected) * 1e-9 + 1e-12,
  );
}

interface TableSpec {
  metric: string;
  stat: Stat;
  by: string;
  where?: Record<string, string>;
}

/** What each compare table shows, written out independently of the generator. */
const TABLES: Record<string, TableSpec> = {
  ...Object.fromEntries<TableSpec>(
    (["endpoint", "scenario"] as const).flatMap((by): [string, TableSpec][] => [
      ...[50, 95, 99].map((n): [string, TableSpec] => [
        `p${n} by ${by}`,
        { metric: "http_req_duration", stat: { kind: "percentile", n }, by, where: { kind: "call" } },
      ]),
      [`Request rate by ${by}`, { metric: "http_reqs", stat: { kind: "rate" }, by }],
      [`Error rate by ${by}`, { metric: "http_req_failed", stat: { kind: "mean" }, by }],
    ]),
  ),
  "Agent turn duration p95": { metric: "agent_turn_duration", stat: { kind: "percentile", n: 95 }, by: "scenario" },
  "Agent first output p95": { metric: "agent_first_output", stat: { kind: "percentile", n: 95 }, by: "observed_by" },
  "Agent turns": { metric: "agent_turns", stat: { kind: "sum" }, by: "scenario" },
  "Agent turn failures": { metric: "agent_turn_failures", stat: { kind: "sum" }, by: "reason" },
};

/** B's agents are slower than A's (so Δ is not 0) and never fail (so B has no failure rows at all). */
const B_AGENT_SERIES = AGENT_SERIES.filter((s) => s.metric !== "agent_turn_failures").map((s) =>
  s.type === "trend" ? { ...s, values: s.values.map((v) => v * 1.5) } : s,
);

const later = (samples: readonly MetricSample[], ms: number): MetricSample[] =>
  samples.map((s) => ({ ...s, time: s.time + ms }));

describe.skipIf(INFLUXD === undefined)("compare dashboard InfluxQL against a real InfluxDB", () => {
  let influx: RunningInfluxd;
  let dashboard: DashboardJson;
  let points: StoredPoint[];
  let range: { fromMs: number; toMs: number };

  const runQuery = (text: string): Promise<InfluxSeries[]> => influx.query(text, INFLUX_DATABASE);

  const panel = (title: string): PanelJson => {
    const found = dataPanels(dashboard).find((p) => p.title === title);
    expect(found, title).toBeDefined();
    return found as PanelJson;
  };

  const resolveVariables = (overrides: Selections = {}): Promise<TemplateVariable[]> =>
    resolveShared(runQuery, dashboard, overrides);

  const valueOf = (variables: TemplateVariable[], name: string): string | string[] =>
    variables.find((v) => v.name === name)?.current ?? "";

  function context(variables: TemplateVariable[]): QueryContext {
    return { ...range, maxDataPoints: 1000, minInterval: "1s", variables };
  }

  /** The points of a metric in one run (or all runs) matching fixed tags and the scenario/endpoint selections. */
  function select(
    metric: string,
    testid: string | undefined,
    where: Record<string, string> = {},
    selections: Record<string, string[]> = {},
  ): StoredPoint[] {
    return points.filter(
      (p) =>
        p.metric === metric &&
        (testid === undefined || p.tags.testid === testid) &&
        Object.entries(where).every(([k, v]) => p.tags[k] === v) &&
        Object.entries(selections).every(([k, values]) => values.includes(p.tags[k] ?? "")),
    );
  }

  function groupBy(list: readonly StoredPoint[], tag: string): Map<string, StoredPoint[]> {
    const groups = new Map<string, StoredPoint[]>();
    for (const p of list) {
      const key = p.tags[tag] ?? "";
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    return groups;
  }

  /** The table a compare panel shows for these variables, through the model of Grafana's transformations. */
  async function tableOf(p: PanelJson, variables: TemplateVariable[]): Promise<Record<string, Cell>[] | undefined> {
    const frames = [];
    for (const target of p.targets ?? []) {
      const series = await runQuery(expandQuery(target.query ?? "", context(variables)));
      frames.push(...tableFrames(target.refId ?? "", series));
    }
    const [table, ...more] = applyTransformations(frames, p.transformations ?? []);
    expect(more, p.title).toEqual([]);
    return table === undefined ? undefined : rowsOf(table);
  }

  /** Checks one compare table against the points: rows, A, B, Δ, Δ%. Returns the rows seen. */
  async function checkTable(title: string, variables: TemplateVariable[], selections: Record<string, string[]> = {}) {
    const spec = TABLES[title] as TableSpec;
    const p = panel(title);
    const side = (name: "A" | "B"): Map<string, number> => {
      const run = valueOf(variables, name) as string;
      const groups = groupBy(select(spec.metric, run, spec.where, selections), spec.by);
      const stats = new Map<string, number>();
      for (const [key, group] of groups) {
        const value = statOf(group, spec.stat);
        if (value !== undefined) stats.set(key, value);
      }
      return stats;
    };
    const [a, b] = [side("A"), side("B")];
    const rows = (await tableOf(p, variables)) ?? [];
    const keys = new Set([...a.keys(), ...b.keys()]);
    expect(rows.map((r) => r[spec.by]).sort(), title).toEqual([...keys].sort());
    const relative = (p.transformations ?? []).some((t) => t.options.alias === DELTA_PCT);
    for (const row of rows) {
      const key = row[spec.by] as string;
      const label = `${title} [${key}]`;
      if (a.size > 0) expectClose(row.A, a.get(key), `${label} A`);
      else expect(row, label).not.toHaveProperty("A");
      if (b.size > 0) expectClose(row.B, b.get(key), `${label} B`);
      else expect(row, label).not.toHaveProperty("B");
      if (a.size === 0 || b.size === 0) {
        // A run without any sample of the metric has no frame: no column, nothing to subtract.
        expect(row, label).not.toHaveProperty(DELTA);
        continue;
      }
      const [av, bv] = [a.get(key), b.get(key)];
      if (av === undefined || bv === undefined) {
        expect(row[DELTA], `${label} Δ of a one-sided row`).toBeNaN();
        continue;
      }
      expectClose(row[DELTA], bv - av, `${label} Δ`);
      if (relative) expectClose(row[DELTA_PCT], (bv - av) / av, `${label} Δ%`);
      else expect(row, label).not.toHaveProperty(DELTA_PCT);
    }
    return { rows, a, b };
  }

  interface TrendSpec {
    metric: string;
    stat: Stat;
    where?: Record<string, string>;
  }

  /** One point per run with matching points: [run start, value, testid], by start, the newest `n`. */
  function expectedTrend(spec: TrendSpec, n: number, selections: Record<string, string[]> = {}) {
    const perRun = RUNS.flatMap((run) => {
      const value = statOf(select(spec.metric, run, spec.where, selections), spec.stat);
      if (value === undefined) return [];
      const start = Math.min(...select(spec.metric, run).map((p) => p.time));
      return [{ start, value, run }];
    });
    return perRun.sort((x, y) => x.start - y.start).slice(-n);
  }

  function checkTrendSeries(series: InfluxSeries[], expected: ReturnType<typeof expectedTrend>, label: string) {
    if (expected.length === 0) {
      expect(series, label).toEqual([]);
      return;
    }
    expect(series.length, label).toBe(1);
    const rows = series[0]?.values ?? [];
    expect(
      rows.map((r) => r[0]),
      `${label}: one point per run, at its start`,
    ).toEqual(expected.map((e) => e.start));
    rows.forEach((r, i) => expectClose(r[r.length - 1], expected[i]?.value, `${label} ${expected[i]?.run}`));
  }

  beforeAll(async () => {
    dashboard = loadCommittedDashboard(COMPARE_DASHBOARD_FILE);
    influx = await startInfluxd(INFLUXD as string);
    await influx.query(`CREATE DATABASE "${INFLUX_DATABASE}" WITH NAME "${INFLUX_RETENTION_POLICY}"`);
    // The harness runs take seconds and withAgentSamples spreads agent samples over at least 10 s, so the runs are
    // moved apart as runs on a real stack are (each sample keeps its offset within its run).
    const a = withAgentSamples(await recordRun(A_RUN), A_RUN);
    const b = later(withAgentSamples(await recordRun(B_RUN), B_RUN, B_AGENT_SERIES), 10 * 60_000);
    const late = later(withAgentSamples(await recordSmallRun(LATE_RUN), LATE_RUN, B_AGENT_SERIES), 20 * 60_000);
    const all = [...a, ...b, ...late];
    for (const [run, samples] of [
      [A_RUN, a],
      [B_RUN, b],
      [LATE_RUN, late],
    ] as const) {
      expect(new Set(samples.map((s) => s.tags.testid))).toEqual(new Set([run]));
      await influx.write(samples.map(toLineProtocol), INFLUX_DATABASE, INFLUX_RETENTION_POLICY);
    }
    // The rollup writes each run's summary when it ends (tools/rollup/follow.ts); here, once all are written.
    const reader = createInfluxReader({ url: influx.url, envFile: null });
    const writer = createInfluxWriter({ url: influx.url, envFile: null });
    for (const run of RUNS) expect((await summarizeRun(reader, writer, run)).rows, run).toBeGreaterThan(0);
    points = store(all);
    const times = all.map((s) => s.time);
    range = { fromMs: Math.min(...times) - 60_000, toMs: Math.max(...times) + 60_000 };
  }, 180_000);

  afterAll(async () => {
    await influx?.stop();
  });

  it("records three runs that start in the order A, B, LATE and do not overlap", () => {
    const span = (run: string): [number, number] => {
      const t = points.filter((p) => p.tags.testid === run).map((p) => p.time);
      return [Math.min(...t), Math.max(...t)];
    };
    const [a, b, late] = [span(A_RUN), span(B_RUN), span(LATE_RUN)];
    expect(a[1]).toBeLessThan(b[0]);
    expect(b[1]).toBeLessThan(late[0]);
  });

  it("defaults B to the newest run id and A to the one before it; N to 20", async () => {
    const variables = await resolveVariables();
    expect(variables.find((v) => v.name === "B")?.options).toEqual([B_RUN, A_RUN, LATE_RUN]);
    expect(variables.find((v) => v.name === "A")?.options).toEqual([A_RUN, LATE_RUN]);
    expect(valueOf(variables, "B")).toBe(B_RUN);
    expect(valueOf(variables, "A")).toBe(A_RUN);
    expect(valueOf(variables, "N")).toBe("20");
    const scenarios = variables.find((v) => v.name === "scenario")?.options ?? [];
    const expected = new Set(
      [...select("http_reqs", A_RUN), ...select("http_reqs", B_RUN)].flatMap((p) => p.tags.scenario ?? []),
    );
    expect(new Set(scenarios)).toEqual(expected);
  });

  it("every A/B table shows A's numbers from A's points, B's from B's, and Δ = B − A (Δ% = Δ / A)", async () => {
    const variables = await resolveVariables();
    for (const title of Object.keys(TABLES)) {
      const { rows, a, b } = await checkTable(title, variables);
      if (title !== "Agent turn failures") {
        // Both runs have the metric, and at least one row exists in both.
        expect(a.size > 0 && b.size > 0, title).toBe(true);
        expect(
          rows.some((r) => typeof r[DELTA] === "number" && !Number.isNaN(r[DELTA])),
          title,
        ).toBe(true);
      }
    }
    // B's agents never failed: the failures table has A's rows only and no Δ.
    const failures = await checkTable("Agent turn failures", variables);
    expect(failures.b.size).toBe(0);
    expect(failures.a.size).toBeGreaterThan(0);
  });

  it("with A set to another run, A's column follows that run (a small one: rows only B has show no Δ)", async () => {
    const variables = await resolveVariables({ A: LATE_RUN });
    for (const title of Object.keys(TABLES)) await checkTable(title, variables);
    const { rows, a } = await checkTable("p95 by endpoint", variables);
    expect([...a.keys()].length).toBeGreaterThan(0);
    expect(rows.length).toBeGreaterThan(a.size);
  });

  it("narrows every table by a scenario selection", async () => {
    const variables = await resolveVariables({ scenario: "mixed_workload" });
    const selections = { scenario: ["mixed_workload"] };
    for (const title of Object.keys(TABLES)) await checkTable(title, variables, selections);
    const { rows } = await checkTable("p95 by scenario", variables, selections);
    expect(rows.map((r) => r.scenario).sort()).toEqual(["mixed_workload"]);
  });

  it("narrows every table by an endpoint selection, and by both", async () => {
    const cases: Record<string, string>[] = [
      { endpoint: "status" },
      { scenario: "mixed_workload", endpoint: "messages" },
    ];
    for (const selected of cases) {
      const variables = await resolveVariables(selected);
      for (const title of Object.keys(TABLES)) {
        // The agent metrics carry no endpoint: their tables filter by scenario only.
        const applies = Object.entries(selected).filter(([k]) => k === "scenario" || !title.startsWith("Agent"));
        await checkTable(title, variables, Object.fromEntries(applies.map(([k, v]) => [k, [v]])));
      }
    }
  });

  const TRENDS: Record<string, TrendSpec> = {
    "Error rate over runs": { metric: "http_req_failed", stat: { kind: "mean" } },
    "Agent turn p95 over runs": { metric: "agent_turn_duration", stat: { kind: "percentile", n: 95 } },
  };

  for (const n of [20, 2]) {
    it(`the trend returns one point per run at its first sample, in start order, for the newest N = ${n}`, async () => {
      const variables = await resolveVariables({ N: String(n) });
      for (const [title, spec] of Object.entries(TRENDS)) {
        const [target] = panel(title).targets ?? [];
        const series = await runQuery(expandQuery(target?.query ?? "", context(variables)));
        const expected = expectedTrend(spec, n);
        expect(expected.length, title).toBe(Math.min(n, 3));
        checkTrendSeries(series, expected, title);
      }
      // Start order, not id order: LATE has the oldest id and the latest start.
      expect(expectedTrend(TRENDS["Error rate over runs"] as TrendSpec, n).map((e) => e.run)).toEqual(
        [A_RUN, B_RUN, LATE_RUN].slice(-n),
      );

      const perEndpoint = panel("p95 by endpoint over runs").targets ?? [];
      let lines = 0;
      for (const target of perEndpoint) {
        const spec = {
          metric: "http_req_duration",
          stat: { kind: "percentile", n: 95 } as const,
          where: { kind: "call", endpoint: target.alias ?? "" },
        };
        const series = await runQuery(expandQuery(target.query ?? "", context(variables)));
        const expected = expectedTrend(spec, n);
        checkTrendSeries(series, expected, `p95 over runs [${target.alias}]`);
        if (expected.length > 0) lines++;
      }
      const called = new Set(select("http_req_duration", undefined, { kind: "call" }).map((p) => p.tags.endpoint));
      expect(lines).toBe(called.size);

      const [runs] = panel("Runs over time").targets ?? [];
      const series = await runQuery(expandQuery(runs?.query ?? "", context(variables)));
      const expected = expectedTrend(
        { metric: "http_req_duration", stat: { kind: "percentile", n: 95 }, where: { kind: "call" } },
        n,
      );
      expect(series[0]?.columns).toEqual(["time", "testid", "requests", "p95"]);
      expect(series[0]?.values.map((r) => [r[0], r[1]])).toEqual(expected.map((e) => [e.start, e.run]));
      series[0]?.values.forEach((r, i) => {
        const run = expected[i]?.run as string;
        expect(r[2], run).toBe(select("http_req_duration", run, { kind: "call" }).length);
        expectClose(r[3], expected[i]?.value, `Runs over time ${run} p95`);
      });
    });
  }

  it("the trend follows the scenario and endpoint selections", async () => {
    const selections = { scenario: ["mixed_workload"], endpoint: ["status"] };
    const variables = await resolveVariables({ scenario: "mixed_workload", endpoint: "status" });
    const [target] = panel("Error rate over runs").targets ?? [];
    const series = await runQuery(expandQuery(target?.query ?? "", context(variables)));
    checkTrendSeries(
      series,
      expectedTrend({ metric: "http_req_failed", stat: { kind: "mean" } }, 20, selections),
      "Error rate over runs (narrowed)",
    );
  });

  /** Numbers within 1e-9 (relative), NaN as NaN, anything else equal. */
  function expectSame(actual: unknown, expected: unknown, label: string): void {
    if (typeof expected === "number" && typeof actual === "number") {
      if (Number.isNaN(expected)) expect(actual, label).toBeNaN();
      else expectClose(actual, expected, label);
    } else expect(actual, label).toEqual(expected);
  }

  const SELECTIONS: Selections[] = [
    {},
    { A: LATE_RUN },
    { scenario: "mixed_workload" },
    { endpoint: "status" },
    { scenario: "agent_conversation", endpoint: "message" },
    { N: "2" },
  ];

  // Request rates: the summary computes (n − 1) / span of each group from its count, first and last sample; the raw form
  // was 1000 / mean(elapsed), which InfluxDB 1.x computes the same on these runs but not on every long run's group
  // (tools/rollup/summary.ts, rateQueries) — checkTable holds both to (n − 1) / span.
  it("every panel shows what the same panel computed over the raw points showed (the dashboard before summaries)", async () => {
    const oracle = JSON.parse(JSON.stringify(buildCompareDashboard(INFLUXQL, "raw"))) as DashboardJson;
    const rawPanels = new Map(dataPanels(oracle).map((p) => [p.title, p]));
    const panels = dataPanels(dashboard);
    expect(panels.map((p) => p.title)).toEqual([...rawPanels.keys()]);
    let compared = 0;
    for (const selected of SELECTIONS) {
      const variables = await resolveVariables(selected);
      for (const p of panels) {
        const raw = rawPanels.get(p.title) as PanelJson;
        const label = `${p.title} ${JSON.stringify(selected)}`;
        expect(raw.targets?.map((t) => t.query)).not.toEqual(p.targets?.map((t) => t.query));
        if (p.type === "table" && p.title !== "Runs over time") {
          const [before, after] = [await tableOf(raw, variables), await tableOf(p, variables)];
          const key = (r: Record<string, Cell>): string => JSON.stringify(Object.values(r)[0]);
          const sorted = (rows: Record<string, Cell>[] | undefined) =>
            [...(rows ?? [])].sort((x, y) => (key(x) < key(y) ? -1 : 1));
          const [b, a] = [sorted(before), sorted(after)];
          expect(
            a.map((r) => Object.keys(r)),
            label,
          ).toEqual(b.map((r) => Object.keys(r)));
          b.forEach((row, i) =>
            Object.entries(row).forEach(([k, v]) => expectSame(a[i]?.[k], v, `${label} [${key(row)}] ${k}`)),
          );
          compared += b.length;
          continue;
        }
        for (const [i, target] of (p.targets ?? []).entries()) {
          const rawTarget = raw.targets?.[i];
          expect(target.alias, label).toBe(rawTarget?.alias);
          const [before, after] = [
            await runQuery(expandQuery(rawTarget?.query ?? "", context(variables))),
            await runQuery(expandQuery(target.query ?? "", context(variables))),
          ];
          expect(
            after.map((x) => x.columns),
            label,
          ).toEqual(before.map((x) => x.columns));
          before.forEach((series, j) =>
            series.values.forEach((row, k) =>
              row.forEach((v, c) =>
                expectSame(after[j]?.values[k]?.[c], v, `${label} ${target.alias ?? ""} [${k}][${c}]`),
              ),
            ),
          );
          expect(
            after.map((x) => x.values.length),
            label,
          ).toEqual(before.map((x) => x.values.length));
          compared += before.reduce((n, x) => n + x.values.length, 0);
        }
      }
    }
    expect(compared).toBeGreaterThan(500);
  });

  it("a run without summary rows shows no column (the description says how to write them); writing them again restores it", async () => {
    const [tables] = [dataPanels(dashboard).filter((p) => p.type === "table" && p.title !== "Runs over time")];
    for (const p of tables) expect(p.description, p.title).toContain("npm run rollup -- --testid <id>");
    await runQuery(`DROP SERIES FROM "run_summary" WHERE "testid" = '${LATE_RUN}'`);
    const variables = await resolveVariables({ A: LATE_RUN });
    const rows = (await tableOf(panel("p95 by endpoint"), variables)) ?? [];
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).not.toHaveProperty("A");
    const reader = createInfluxReader({ url: influx.url, envFile: null });
    const writer = createInfluxWriter({ url: influx.url, envFile: null });
    await summarizeRun(reader, writer, LATE_RUN);
    await checkTable("p95 by endpoint", variables);
  });
});
