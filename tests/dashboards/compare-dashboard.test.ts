// The "compare runs" dashboard: its committed JSON is what the TypeScript generates (and `--check` says so), Grafana
// provisions it next to the load dashboard, and its structure is what the A/B tables and the trend rely on.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  COMPARE_DASHBOARD_TITLE,
  COMPARE_DASHBOARD_UID,
  DELTA,
  DELTA_PCT,
  compareTransformations,
  renderCompareDashboard,
} from "../../infra/grafana/src/compare";
import { DASHBOARD_UID } from "../../infra/grafana/src/dashboard";
import { INFLUX_DATASOURCE } from "../../infra/grafana/src/datasource";
import { COMPARE_DASHBOARD_FILE, DASHBOARDS_DIR, DASHBOARD_FILE } from "../../infra/grafana/src/paths";
import { allPanels, dataPanels, loadCommittedDashboard, panelTargets, type GridPos } from "./helpers/dashboard-model";
import { customVariableOptions } from "./helpers/grafana-macros";
import { applyTransformations, rowsOf, tableFrames } from "./helpers/grafana-transformations";

const TSX = join(process.cwd(), "node_modules", ".bin", "tsx");
const GENERATE = join(process.cwd(), "infra", "grafana", "src", "generate.ts");

function generate(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(TSX, [GENERATE, ...args], { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("compare dashboard JSON drift", () => {
  const scratch = mkdtempSync(join(tmpdir(), "dash-compare-drift-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("the committed file equals the generated JSON, deterministically", () => {
    expect(readFileSync(COMPARE_DASHBOARD_FILE, "utf8")).toBe(renderCompareDashboard());
    expect(renderCompareDashboard()).toBe(renderCompareDashboard());
  });

  it("--check covers both dashboards and passes on the committed files", () => {
    const result = generate(["--check"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("--check --dashboard agentapi-compare names a drifted file in one line; a normal run repairs it", () => {
    const file = join(scratch, "agentapi-compare.json");
    writeFileSync(file, renderCompareDashboard().replace(`"${COMPARE_DASHBOARD_TITLE}"`, '"Edited by hand"'));
    const drifted = generate(["--check", "--dashboard", COMPARE_DASHBOARD_UID, "--out", file]);
    expect(drifted.status).toBe(1);
    expect(drifted.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/agentapi-compare\.json differs from infra\/grafana\/src; run `npm run dashboards`/),
    ]);
    execFileSync(TSX, [GENERATE, "--dashboard", COMPARE_DASHBOARD_UID, "--out", file], { encoding: "utf8" });
    expect(readFileSync(file, "utf8")).toBe(renderCompareDashboard());
    expect(generate(["--check", "--dashboard", COMPARE_DASHBOARD_UID, "--out", file]).status).toBe(0);
  });

  it("--out without --dashboard is still the load dashboard; an unknown dashboard is one line", () => {
    const file = join(scratch, "load.json");
    execFileSync(TSX, [GENERATE, "--out", file], { encoding: "utf8" });
    expect((JSON.parse(readFileSync(file, "utf8")) as { uid: string }).uid).toBe(DASHBOARD_UID);
    const bad = generate(["--check", "--dashboard", "nope"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split("\n")).toEqual([expect.stringMatching(/unknown dashboard "nope"/)]);
  });
});

interface ProviderYaml {
  providers: { type: string; options: { path: string; foldersFromFilesStructure?: boolean } }[];
}

describe("compare dashboard provisioning", () => {
  const providers = parse(
    readFileSync(join(process.cwd(), "infra", "grafana", "provisioning", "dashboards", "dashboards.yaml"), "utf8"),
  ) as ProviderYaml;
  const compose = parse(readFileSync(join(process.cwd(), "docker-compose.yml"), "utf8")) as {
    services: Record<string, { volumes?: string[] }>;
  };

  it("lies in the folder the file provider loads, which compose mounts into Grafana", () => {
    expect(basename(COMPARE_DASHBOARD_FILE)).toBe("agentapi-compare.json");
    expect(readdirSync(DASHBOARDS_DIR)).toEqual(
      expect.arrayContaining([basename(COMPARE_DASHBOARD_FILE), basename(DASHBOARD_FILE)]),
    );
    const [provider] = providers.providers;
    // One file provider for the whole folder: every JSON file in it is a dashboard, no per-file entry needed.
    expect(provider).toMatchObject({ type: "file", options: { path: "/var/lib/grafana/dashboards" } });
    expect(provider?.options.foldersFromFilesStructure ?? false).toBe(false);
    expect(compose.services.grafana?.volumes).toContain("./infra/grafana/dashboards:/var/lib/grafana/dashboards:ro");
  });

  it("has its own uid and title (Grafana refuses two provisioned dashboards with one uid)", () => {
    const compare = loadCommittedDashboard(COMPARE_DASHBOARD_FILE);
    const load = loadCommittedDashboard(DASHBOARD_FILE);
    expect(compare.uid).toBe(COMPARE_DASHBOARD_UID);
    expect(compare.title).toBe(COMPARE_DASHBOARD_TITLE);
    expect(compare.uid).not.toBe(load.uid);
    expect(compare.title).not.toBe(load.title);
  });
});

function overlaps(a: GridPos, b: GridPos): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

describe("compare dashboard structure", () => {
  const dashboard = loadCommittedDashboard(COMPARE_DASHBOARD_FILE);
  const tables = dataPanels(dashboard).filter((p) => p.type === "table" && p.title !== "Runs over time");

  it("has run variables A and B (newest first, no saved value), the filters, and N = 20", () => {
    const vars = dashboard.templating.list;
    expect(vars.map((v) => v.name)).toEqual(["A", "B", "scenario", "endpoint", "N"]);
    const [a, b, scenario, endpoint, n] = vars;
    for (const run of [a, b]) {
      expect(run).toMatchObject({ type: "query", multi: false, includeAll: false, sort: 2 });
      expect(run?.datasource?.uid).toBe(INFLUX_DATASOURCE.uid);
      expect(run?.current).toBeUndefined();
    }
    expect(b?.query).toBe(`SHOW TAG VALUES FROM "http_reqs" WITH KEY = "testid"`);
    // A lists every run but B's, so its first option is the run before B.
    expect(a?.query).toBe(`SHOW TAG VALUES FROM "http_reqs" WITH KEY = "testid" WHERE "testid" !~ /^$B$/`);
    for (const v of [scenario, endpoint]) {
      // One value or All: the run summaries hold rows per value and for "All", not for sets of values.
      expect(v).toMatchObject({ type: "query", multi: false, includeAll: true, allValue: ".*" });
      expect(v?.query).toContain(`"testid" =~ /^($A|$B)$/`);
    }
    expect(n).toMatchObject({ type: "custom", query: "5,10,20,50", current: { value: "20" } });
  });

  it("has the compare rows and the trend row", () => {
    expect(dashboard.panels.filter((p) => p.type === "row").map((p) => p.title)).toEqual([
      "HTTP by endpoint: A = $A, B = $B",
      "HTTP by scenario: A = $A, B = $B",
      "Agents: A = $A, B = $B",
      "Trend: the last $N runs",
    ]);
    for (const by of ["endpoint", "scenario"]) {
      for (const title of ["p50", "p95", "p99", "Request rate", "Error rate"])
        expect(tables.map((t) => t.title)).toContain(`${title} by ${by}`);
    }
    expect(tables.map((t) => t.title)).toEqual(
      expect.arrayContaining([
        "Agent turn duration p95",
        "Agent first output p95",
        "Agent turns",
        "Agent turn failures",
      ]),
    );
  });

  it("every compare table: an A and a B table query, each on one run, joined on the row tag, then Δ (and Δ%)", () => {
    expect(tables.length).toBe(14);
    for (const table of tables) {
      const [a, b] = table.targets ?? [];
      expect(table.targets?.length, table.title).toBe(2);
      for (const [target, side] of [
        [a, "A"],
        [b, "B"],
      ] as const) {
        expect(target?.refId, table.title).toBe(side);
        expect(target?.resultFormat, table.title).toBe("table");
        expect(target?.datasource?.uid, table.title).toBe(INFLUX_DATASOURCE.uid);
        expect(target?.query, table.title).toContain(`"testid" =~ /^$${side}$/`);
        expect(target?.query, table.title).not.toContain(`$${side === "A" ? "B" : "A"}$`);
        expect(target?.query, table.title).toContain(`AS "${side}"`);
        expect(target?.query, table.title).toContain("$timeFilter");
        expect(target?.query, table.title).not.toContain("$__interval");
      }
      // A and B differ only in the run.
      expect(b?.query, table.title).toBe(a?.query?.replaceAll("$A$", "$B$").replace(`AS "A"`, `AS "B"`));
      const by = /GROUP BY "(\w+)"$/.exec(a?.query ?? "")?.[1];
      const ids = (table.transformations ?? []).map((t) => t.id);
      expect(ids.slice(0, 3), table.title).toEqual(["filterFieldsByName", "joinByField", "calculateField"]);
      expect(table.transformations?.[1]?.options, table.title).toEqual({ byField: by, mode: "outerTabular" });
      const aliases = (table.transformations ?? []).map((t) => t.options.alias).filter(Boolean);
      expect([[DELTA], [DELTA, DELTA_PCT]], table.title).toContainEqual(aliases);
    }
  });

  it("every table reads the run summaries; the counter tables read 0, not No data, when neither run counted any", () => {
    for (const table of tables)
      for (const target of table.targets ?? []) expect(target.query, table.title).toContain(`FROM "run_summary"`);
    const noValue = (title: string): unknown => tables.find((t) => t.title === title)?.fieldConfig?.defaults?.noValue;
    expect(noValue("Agent turns")).toBe("0");
    expect(noValue("Agent turn failures")).toBe("0");
    expect(noValue("p95 by endpoint")).toBeUndefined();
  });

  it("trend targets span runs (no testid filter) and take the newest $N runs' summary rows, in start order", () => {
    const trend = dataPanels(dashboard).filter((p) => / over runs$|^Runs over time$/.test(p.title ?? ""));
    expect(trend.map((p) => p.title)).toEqual([
      "p95 by endpoint over runs",
      "Error rate over runs",
      "Agent turn p95 over runs",
      "Runs over time",
    ]);
    for (const panel of trend) {
      for (const target of panel.targets ?? []) {
        expect(target.query, panel.title).not.toMatch(/"testid" =~/);
        expect(target.query, panel.title).toContain(`top("start", $N)`);
        // One row per run, written when it ended (tools/rollup/summary.ts): no raw points, whatever the runs kept.
        expect(target.query, panel.title).toContain(`FROM "run_summary" WHERE "metric" = '`);
        expect(target.query, panel.title).not.toMatch(/percentile\(|first\(|count\(|mean\(/);
        expect(target.query, panel.title).toContain("$timeFilter");
      }
    }
    const perEndpoint = trend[0]?.targets ?? [];
    expect(perEndpoint.map((t) => t.alias)).not.toContain("events");
    expect(perEndpoint.length).toBe(15);
  });

  it("has unique ids, a 24-column grid without overlaps, and only open rows", () => {
    const ids = allPanels(dashboard).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const row of dashboard.panels.filter((p) => p.type === "row")) expect(row.panels ?? []).toEqual([]);
    const placed = dashboard.panels.map((p) => ({ title: p.title, pos: p.gridPos as GridPos }));
    for (const { title, pos } of placed) expect(pos.x >= 0 && pos.w > 0 && pos.x + pos.w <= 24, title).toBe(true);
    for (let i = 0; i < placed.length; i++) {
      for (let j = i + 1; j < placed.length; j++) {
        const [p, q] = [placed[i], placed[j]];
        if (p && q) expect(overlaps(p.pos, q.pos), `${p.title} overlaps ${q.title}`).toBe(false);
      }
    }
    for (const { target, label } of panelTargets(dashboard)) expect(target.rawQuery, label).toBe(true);
  });
});

describe("the test models of Grafana the compare tests rely on", () => {
  it("reads a custom variable's options as Grafana does", () => {
    expect(customVariableOptions("5,10,20,50")).toEqual(["5", "10", "20", "50"]);
    expect(customVariableOptions("five : 5, a\\,b")).toEqual(["5", "a,b"]);
  });

  it("joins A and B tables on the tag, keeps one-sided rows, and computes Δ and Δ% (NaN where a side is missing)", () => {
    const series = (column: string, rows: [string, number][]) =>
      rows.map(([endpoint, value]) => ({
        name: "m",
        tags: { endpoint },
        columns: ["time", column],
        values: [[0, value]],
      }));
    const frames = [
      ...tableFrames(
        "A",
        series("A", [
          ["status", 10],
          ["messages", 40],
        ]),
      ),
      ...tableFrames(
        "B",
        series("B", [
          ["status", 15],
          ["upload", 7],
        ]),
      ),
    ];
    const [table, ...rest] = applyTransformations(frames, compareTransformations("endpoint", true));
    expect(rest).toEqual([]);
    const rows = rowsOf(table as NonNullable<typeof table>);
    expect(rows.map((r) => r.endpoint)).toEqual(["status", "messages", "upload"]);
    expect(rows[0]).toEqual({ endpoint: "status", A: 10, B: 15, [DELTA]: 5, [DELTA_PCT]: 0.5 });
    expect(rows[1]?.[DELTA]).toBeNaN();
    expect(rows[2]?.A).toBeUndefined();
    // No series for B at all: no B frame, so nothing to subtract.
    const alone = applyTransformations(
      tableFrames("A", series("A", [["status", 10]])),
      compareTransformations("endpoint", false),
    );
    expect(rowsOf(alone[0] as NonNullable<(typeof alone)[0]>)).toEqual([{ endpoint: "status", A: 10 }]);
    expect(() => applyTransformations(frames, [{ id: "reduce", options: {} }])).toThrow(/not modelled/);
  });
});
