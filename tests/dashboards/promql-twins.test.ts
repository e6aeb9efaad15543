// The PromQL dashboards are the InfluxQL ones in another query language: every panel has its twin (same id, title,
// row, type, unit, limits and axis bounds) unless promql-exceptions.ts lists it as having none, every listed
// exception names a real panel, and every PromQL expression parses (promtool) once Grafana has expanded it.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROMQL } from "../../infra/grafana/src/backend";
import { COMPARE_DASHBOARD_UID, renderPromCompareDashboard } from "../../infra/grafana/src/compare";
import { DASHBOARD_UID, renderPromDashboard } from "../../infra/grafana/src/dashboard";
import { INFLUX_DATASOURCE, PROMETHEUS_DATASOURCE } from "../../infra/grafana/src/datasource";
import { influxQuery, InfluxQLQueryBuilder, percentile } from "../../infra/grafana/src/influxql";
import {
  COMPARE_DASHBOARD_FILE,
  DASHBOARD_FILE,
  PROM_COMPARE_DASHBOARD_FILE,
  PROM_DASHBOARD_FILE,
} from "../../infra/grafana/src/paths";
import { NoPromQLTwin, matcher, promMetricName, promRangeExpr } from "../../infra/grafana/src/promql";
import { PROMQL_EXCEPTIONS } from "../../infra/grafana/src/promql-exceptions";
import { query } from "../../infra/grafana/src/query-spec";
import { tagValuesQuery, ENDPOINT_VALUES } from "../../infra/grafana/src/variables";
import { allPanels, loadCommittedDashboard, type DashboardJson, type PanelJson } from "./helpers/dashboard-model";
import {
  expandPromQL,
  promPanelTargets,
  promRequest,
  promTemplateVariables,
  type PromQueryContext,
} from "./helpers/prometheus-macros";

const PAIRS = [
  { uid: DASHBOARD_UID, influx: DASHBOARD_FILE, prom: PROM_DASHBOARD_FILE },
  { uid: COMPARE_DASHBOARD_UID, influx: COMPARE_DASHBOARD_FILE, prom: PROM_COMPARE_DASHBOARD_FILE },
] as const;

interface Placed {
  panel: PanelJson & { interval?: string; fieldConfig?: { defaults?: Record<string, unknown> } };
  row: string;
}

/** Data panels with the title of the row they sit in (open rows: the panels after them; collapsed: nested). */
function placed(dashboard: DashboardJson): Placed[] {
  const out: Placed[] = [];
  let row = "";
  for (const panel of dashboard.panels) {
    if (panel.type === "row") {
      row = panel.title ?? "";
      for (const nested of panel.panels ?? []) out.push({ panel: nested, row });
    } else out.push({ panel, row });
  }
  return out;
}

/** What a twin must share: where it is, what it shows and how its values are scaled and judged. */
function face({ panel, row }: Placed): Record<string, unknown> {
  const defaults = panel.fieldConfig?.defaults ?? {};
  return {
    id: panel.id,
    type: panel.type,
    row,
    unit: defaults.unit,
    min: defaults.min,
    max: defaults.max,
    thresholds: defaults.thresholds,
    noValue: defaults.noValue,
    interval: panel.interval,
  };
}

describe("PromQL twins", () => {
  for (const pair of PAIRS) {
    describe(pair.uid, () => {
      const influx = loadCommittedDashboard(pair.influx);
      const prom = loadCommittedDashboard(pair.prom);
      const exceptions = PROMQL_EXCEPTIONS.filter((e) => e.dashboard === pair.uid);

      it("is a distinct dashboard on the Prometheus datasource", () => {
        expect(prom.uid).not.toBe(influx.uid);
        expect(prom.uid).toBe(`${influx.uid}-prometheus`);
        for (const panel of allPanels(prom).filter((p) => p.type !== "row")) {
          expect(panel.datasource, panel.title).toEqual(PROMETHEUS_DATASOURCE);
          for (const target of panel.targets ?? [])
            expect(target.datasource, panel.title).toEqual(PROMETHEUS_DATASOURCE);
        }
        for (const variable of prom.templating.list.filter((v) => v.type === "query"))
          expect(variable.datasource, variable.name).toEqual(PROMETHEUS_DATASOURCE);
        expect(JSON.stringify(prom)).not.toContain(INFLUX_DATASOURCE.uid);
      });

      it("has a twin of every InfluxQL panel but the listed ones, with the same id, title, row, unit and limits", () => {
        const twins = new Map(placed(prom).map((p) => [p.panel.title, p]));
        const noTwin = new Set(exceptions.filter((e) => e.twin === "none").map((e) => e.title));
        const influxPanels = placed(influx);
        for (const original of influxPanels) {
          const title = original.panel.title ?? "";
          const twin = twins.get(title);
          if (noTwin.has(title)) {
            expect(twin, `${title} is listed without a twin`).toBeUndefined();
            continue;
          }
          expect(twin, `${title} has no PromQL twin and is not in PROMQL_EXCEPTIONS`).toBeDefined();
          if (twin) expect(face(twin), title).toEqual(face(original));
        }
        // Nothing the InfluxQL dashboard does not have.
        const titles = new Set(influxPanels.map((p) => p.panel.title));
        expect([...twins.keys()].filter((t) => !titles.has(t))).toEqual([]);
      });

      it("lists only real panels, once, and says on each approximate twin how it differs", () => {
        const titles = new Set(placed(influx).map((p) => p.panel.title));
        for (const e of exceptions) {
          expect(titles.has(e.title), `PROMQL_EXCEPTIONS names no panel: ${e.title}`).toBe(true);
          expect(e.why.length, e.title).toBeGreaterThan(40);
        }
        expect(new Set(exceptions.map((e) => e.title)).size).toBe(exceptions.length);
        const twins = new Map(placed(prom).map((p) => [p.panel.title, p.panel]));
        for (const e of exceptions.filter((x) => x.twin === "approximate"))
          expect(twins.get(e.title)?.description, e.title).toContain(`PromQL twin, not exact: ${e.why}`);
      });

      it("has the same variables, as label_values() queries", () => {
        const names = (d: DashboardJson): string[] => d.templating.list.map((v) => v.name);
        // N only counts the runs of the trend row, which has no PromQL twin.
        expect(names(prom)).toEqual(names(influx).filter((n) => n !== "N" || pair.uid !== COMPARE_DASHBOARD_UID));
        for (const v of prom.templating.list.filter((x) => x.type === "query")) {
          expect(v.query, v.name).toMatch(/^label_values\(k6_http_reqs_total(\{[^}]*\})?, \w+\)$/);
          const original = influx.templating.list.find((x) => x.name === v.name);
          const keep = ({ multi, includeAll, allValue, sort, refresh, current }: typeof v) => ({
            multi,
            includeAll,
            allValue,
            sort,
            refresh,
            current,
          });
          expect(keep(v), v.name).toEqual(original && keep(original));
        }
      });

      it("scopes every expression to the run(s) the dashboard shows", () => {
        const targets = promPanelTargets(prom);
        expect(targets.length).toBeGreaterThan(0);
        for (const { target, label } of targets) {
          const runs = pair.uid === DASHBOARD_UID ? [`testid="$testid"`] : [`testid="$A"`, `testid="$B"`];
          expect(
            runs.some((r) => target.expr.includes(r)),
            label,
          ).toBe(true);
          // Every selector of the expression, not only the first, names the run.
          for (const sel of target.expr.match(/k6_\w+\{[^}]*\}/g) ?? []) expect(sel, label).toMatch(/testid="\$/);
          expect(target.expr, label).not.toMatch(/k6_\w+(?![\w{])/);
        }
      });
    });
  }

  it("leaves no panel out silently: rendering a listed-none spec for PromQL throws, an unlisted one renders", () => {
    expect(() => promRangeExpr(query("checks").select({ kind: "zeros" }, "failed").spec, { kind: "zeros" })).toThrow(
      NoPromQLTwin,
    );
    expect(PROMQL.targets([query("http_reqs").select({ kind: "perSecond" }, "rps").spec])).toHaveLength(1);
  });
});

describe("PromQL renderer", () => {
  it("names series as k6's prometheus-rw output does", () => {
    expect(promMetricName("http_reqs")).toBe("k6_http_reqs_total");
    expect(promMetricName("agent_busy_total")).toBe("k6_agent_busy_total_total");
    expect(promMetricName("vus")).toBe("k6_vus");
    expect(promMetricName("http_req_failed")).toBe("k6_http_req_failed_rate");
    expect(promMetricName("http_req_duration")).toBe("k6_http_req_duration_seconds");
    expect(() => promMetricName("no_such_metric")).toThrow(/unknown k6 metric/);
  });

  it("renders matchers: variables as regex (All = .*), the run exact, fixed values quoted", () => {
    expect(matcher({ tag: "scenario", variable: "scenario" })).toBe(`scenario=~"$scenario"`);
    expect(matcher({ tag: "testid", variable: "testid", single: true })).toBe(`testid="$testid"`);
    expect(matcher({ tag: "reason", op: "=", value: 'a"b\\c' })).toBe(`reason="a\\"b\\\\c"`);
    expect(matcher({ tag: "cause", op: "!=", value: "" })).toBe(`cause!=""`);
  });

  it("reads percentiles from the native histogram in the panel's unit, counters per second with fill-zero", () => {
    const p95 = query("http_req_duration").select({ kind: "percentile", n: 95 }, "p95").groupBy("endpoint").spec;
    const h = `k6_http_req_duration_seconds{testid="$testid", scenario=~"$scenario", endpoint=~"$endpoint"}`;
    expect(promRangeExpr(p95, { kind: "percentile", n: 95 })).toBe(
      `histogram_quantile(0.95, sum by (endpoint) (((${h} - ${h} offset $__interval) or ` +
        `(${h} unless ${h} offset $__interval)))) * 1000`,
    );
    const rps = query("iterations").select({ kind: "perSecond" }, "it/s").fillZero().spec;
    const c = `k6_iterations_total{testid="$testid", scenario=~"$scenario"}`;
    expect(promRangeExpr(rps, { kind: "perSecond" })).toBe(
      `sum (((${c} - ${c} offset $__interval) or (${c} unless ${c} offset $__interval))) / ($__interval_ms / 1000)`,
    );
  });

  it("renders the same variable specs in both languages", () => {
    expect(tagValuesQuery(ENDPOINT_VALUES, PROMQL)).toBe(
      `label_values(k6_http_reqs_total{testid="$testid", scenario=~"$scenario"}, endpoint)`,
    );
  });
});

describe("InfluxQL renderer of the same specs", () => {
  it("renders what the hand-written builder did", () => {
    const spec = query("http_req_duration").select({ kind: "percentile", n: 95 }, "p95").groupBy("scenario").spec;
    const byHand = new InfluxQLQueryBuilder("A")
      .from("http_req_duration")
      .whereVariable("scenario")
      .whereVariable("endpoint")
      .select(percentile(95), "p95")
      .groupByTag("scenario")
      .alias("$tag_scenario");
    const json = (q: InfluxQLQueryBuilder): unknown => JSON.parse(JSON.stringify(q.build()));
    expect(json(influxQuery(spec, "A"))).toEqual(json(byHand));
    expect(influxQuery(spec, "A").render()).toBe(byHand.render());
  });
});

describe("PromQL dashboards' JSON", () => {
  it("is what the code generates", () => {
    expect(readFileSync(PROM_DASHBOARD_FILE, "utf8")).toBe(renderPromDashboard());
    expect(readFileSync(PROM_COMPARE_DASHBOARD_FILE, "utf8")).toBe(renderPromCompareDashboard());
  });
});

// ---- promtool: every expression parses once expanded as Grafana would ----

const PROMTOOL = process.env.PROMTOOL ?? "/usr/bin/promtool";
const promtool = spawnSync(PROMTOOL, ["--version"], { encoding: "utf8" });
const hasPromtool = promtool.status === 0;
if (!hasPromtool) console.warn(`promql-twins: skipping the promtool checks: ${PROMTOOL} is not runnable`);

/** A 20-minute run, plausible selections: one run, All or one value of each filter (All and one value both parse). */
function contexts(dashboard: DashboardJson): PromQueryContext[] {
  const toMs = Date.UTC(2026, 11, 5, 1, 20);
  const base = { fromMs: toMs - 20 * 60_000, toMs, maxDataPoints: 1500, scrapeInterval: "5s" };
  const options = {
    testid: ["20261205-010000-ab12"],
    A: ["20261204-230000-0001"],
    B: ["20261205-010000-ab12"],
    scenario: ["agent_conversation", "mcp_connection"],
    endpoint: ["message", "status"],
  };
  return [
    { ...base, variables: promTemplateVariables(dashboard, {}, options) },
    {
      ...base,
      variables: promTemplateVariables(
        dashboard,
        dashboard.templating.list.some((v) => v.multi === true)
          ? { scenario: ["agent_conversation", "mcp.connection"], endpoint: ["message"] }
          : { scenario: "agent_conversation", endpoint: "message" },
        options,
      ),
    },
  ];
}

describe.skipIf(!hasPromtool)("promtool check rules", () => {
  const scratch = mkdtempSync(join(tmpdir(), "promql-twins-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  for (const pair of PAIRS) {
    it(`parses every expanded expression of ${pair.uid}-prometheus, with no macro or variable left`, () => {
      const dashboard = loadCommittedDashboard(pair.prom);
      const exprs = contexts(dashboard).flatMap((ctx) =>
        promPanelTargets(dashboard).map((t) => ({ label: t.label, expr: expandPromQL(t.target.expr, ctx) })),
      );
      for (const { label, expr } of exprs) expect(expr, label).not.toMatch(/\$|\[\[/);
      const rules = exprs.map(
        ({ expr }, i) => `      - record: twin:check:${i}\n        expr: ${JSON.stringify(expr)}`,
      );
      const file = join(scratch, `${pair.uid}.yml`);
      writeFileSync(file, `groups:\n  - name: ${pair.uid}\n    rules:\n${rules.join("\n")}\n`);
      const out = execFileSync(PROMTOOL, ["check", "rules", file], { encoding: "utf8" });
      expect(out).toContain(`SUCCESS: ${exprs.length} rules found`);
    });
  }

  it("fails on an expression that does not parse (the check means something)", () => {
    const file = join(scratch, "broken.yml");
    writeFileSync(
      file,
      `groups:\n  - name: broken\n    rules:\n      - record: twin:broken\n        expr: "sum by (x (rate(k6_x[20s]))"\n`,
    );
    const result = spawnSync(PROMTOOL, ["check", "rules", file], { encoding: "utf8" });
    expect(result.status).not.toBe(0);
  });

  it("models Grafana's request: the range query's step is the panel's interval, aligned", () => {
    const dashboard = loadCommittedDashboard(PROM_DASHBOARD_FILE);
    const [ctx] = contexts(dashboard);
    const target = promPanelTargets(dashboard).find((t) => t.panel.title === "Requests per second");
    expect(target && ctx).toBeTruthy();
    if (!target || !ctx) return;
    const request = promRequest(target, ctx);
    expect(request.step).toBe(10);
    expect(request.start % 10).toBe(0);
    expect(request.expr).toContain(`testid="20261205-010000-ab12"`);
    expect(request.expr).toContain(`scenario=~".*"`);
    expect(request.expr).toContain(`offset 10s`);
    expect(request.expr).toContain(`/ (10000 / 1000)`);
  });
});
