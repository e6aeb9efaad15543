// Grafana's provisioning files parse and say what compose and the dashboard rely on; the dashboard JSON is
// structurally what Grafana needs (datasource uid everywhere, testid-scoped InfluxQL, unique ids, a sane grid).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { INFLUX_DATABASE, INFLUX_DATASOURCE } from "../../infra/grafana/src/datasource";
import { DASHBOARD_TITLE, DASHBOARD_UID } from "../../infra/grafana/src/dashboard";
import { thresholdTable } from "../../k6/src/thresholds";
import {
  CAPACITY_ROW,
  allPanels,
  dataPanels,
  loadCommittedDashboard,
  panelTargets,
  type GridPos,
  type PanelJson,
} from "./helpers/dashboard-model";

const PROVISIONING = join(process.cwd(), "infra", "grafana", "provisioning");
const loadYaml = (relative: string): unknown => parse(readFileSync(join(PROVISIONING, relative), "utf8"));

interface DatasourceYaml {
  apiVersion: number;
  datasources: {
    name: string;
    uid: string;
    type: string;
    access: string;
    url: string;
    isDefault?: boolean;
    jsonData: Record<string, unknown>;
    secureJsonData: Record<string, unknown>;
  }[];
}

interface ProviderYaml {
  apiVersion: number;
  providers: { name: string; type: string; options: { path: string }; allowUiUpdates?: boolean }[];
}

describe("Grafana provisioning", () => {
  const datasources = loadYaml("datasources/influxdb.yaml") as DatasourceYaml;
  const providers = loadYaml("dashboards/dashboards.yaml") as ProviderYaml;

  it("provisions one InfluxQL datasource for the k6 bucket through InfluxDB 2's DBRP mapping", () => {
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources).toHaveLength(1);
    const ds = datasources.datasources[0];
    expect(ds).toMatchObject({
      uid: INFLUX_DATASOURCE.uid,
      type: INFLUX_DATASOURCE.type,
      access: "proxy",
      url: "http://influxdb:8086",
      isDefault: true,
    });
    expect(ds?.jsonData).toMatchObject({ dbName: INFLUX_DATABASE, httpHeaderName1: "Authorization" });
    expect(["GET", "POST"]).toContain(ds?.jsonData.httpMode);
    // InfluxQL is the datasource's default language; Flux/SQL would need `version`.
    expect(ds?.jsonData.version ?? "InfluxQL").toBe("InfluxQL");
  });

  it("takes the token from Grafana's environment and commits no secret", () => {
    const ds = datasources.datasources[0];
    expect(ds?.secureJsonData.httpHeaderValue1).toBe("Token ${INFLUXDB_TOKEN}");
    const text = readFileSync(join(PROVISIONING, "datasources", "influxdb.yaml"), "utf8");
    expect(text).not.toMatch(/password|basicAuth/i);
  });

  it("loads dashboards from the folder compose mounts", () => {
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers).toHaveLength(1);
    expect(providers.providers[0]).toMatchObject({ type: "file", options: { path: "/var/lib/grafana/dashboards" } });
    // The JSON is generated from code; UI edits would be lost on the next provisioning pass.
    expect(providers.providers[0]?.allowUiUpdates).toBe(false);
  });
});

function overlaps(a: GridPos, b: GridPos): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

describe("dashboard JSON structure", () => {
  const dashboard = loadCommittedDashboard();

  it("is the AgentAPI dashboard with its fixed uid", () => {
    expect(dashboard.uid).toBe(DASHBOARD_UID);
    expect(dashboard.title).toBe(DASHBOARD_TITLE);
  });

  it("has the testid, transport, scenario and endpoint variables on the k6 datasource", () => {
    const vars = dashboard.templating.list;
    expect(vars.map((v) => v.name)).toEqual(["testid", "transport", "scenario", "endpoint"]);
    for (const v of vars) {
      expect(v.type).toBe("query");
      expect(v.datasource?.uid).toBe(INFLUX_DATASOURCE.uid);
    }
    const [testid, transport, scenario, endpoint] = vars;
    expect(testid?.query).toBe(`SHOW TAG VALUES FROM "http_reqs" WITH KEY = "testid"`);
    // Newest first (ids start with the UTC time) and no saved value, so Grafana picks the newest run.
    expect(testid?.sort).toBe(2);
    expect(testid?.current).toBeUndefined();
    expect(testid?.multi).toBe(false);
    // The run's transport, shown next to it in the variable bar: one value per run, never a filter.
    expect(transport?.query).toBe(
      `SHOW TAG VALUES FROM "http_reqs" WITH KEY = "transport" WHERE "testid" =~ /^$testid$/`,
    );
    expect(transport).toMatchObject({ multi: false, includeAll: false, hide: 0 });
    expect(transport?.current).toBeUndefined();
    const queries = panelTargets(dashboard).map((t) => t.target.query ?? "");
    expect(queries.filter((q) => q.includes("$transport") || q.includes("${transport"))).toEqual([]);
    for (const v of [scenario, endpoint]) {
      expect(v?.query).toContain(`"testid" =~ /^$testid$/`);
      // One value or All: the rollup the latency row reads has rows for exactly those (tools/rollup/spec.ts).
      expect(v).toMatchObject({
        multi: false,
        includeAll: true,
        allValue: ".*",
        current: { text: "All", value: "$__all" },
      });
    }
  });

  it("uses timeseries panels only, each on the fixed datasource", () => {
    const panels = dataPanels(dashboard);
    expect(panels.length).toBeGreaterThan(30);
    for (const panel of panels) {
      expect(panel.type, panel.title).toBe("timeseries");
      expect(panel.datasource?.uid, panel.title).toBe(INFLUX_DATASOURCE.uid);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
  });

  it("every target is raw InfluxQL on the fixed datasource, scoped to $testid and $timeFilter", () => {
    for (const { target, label } of panelTargets(dashboard)) {
      expect(target.datasource?.uid, label).toBe(INFLUX_DATASOURCE.uid);
      expect(target.rawQuery, label).toBe(true);
      expect(target.query, label).toMatch(/^SELECT .+ FROM "\w+" WHERE "testid" =~ \/\^\$testid\$\/ AND /);
      expect(target.query, label).toContain("$timeFilter");
      expect(target.query, label).toMatch(/GROUP BY time\(\$__interval\)/);
    }
  });

  it("names every series for the legend: the grouped tag's value (and the column when several), else the AS name", () => {
    for (const { target, label } of panelTargets(dashboard)) {
      const query = target.query ?? "";
      const groupedTag = /GROUP BY time\(\$__interval\), "(\w+)"/.exec(query)?.[1];
      const columns = (/^SELECT (.+) FROM /.exec(query)?.[1] ?? "").split(/ AS "[^"]+"/).length - 1;
      // Without an alias Grafana's InfluxQL legend falls back to "<measurement>.<column>".
      const expected = groupedTag === undefined ? "$col" : `$tag_${groupedTag}${columns > 1 ? " $col" : ""}`;
      expect(target.alias, label).toBe(expected);
    }
  });

  it("reads every whole-run latency percentile from the rollup, never raw http_req_duration/http_req_waiting", () => {
    // The capacity row reads raw percentiles by step (the rollup keeps no step): a capacity run is ≤ ~15 minutes by
    // design and the row is collapsed (queried only when opened).
    const targets = panelTargets(dashboard, { exceptRows: [CAPACITY_ROW] });
    const rolled = targets.filter((t) => /FROM "rollup_http_req_(duration|waiting)"/.test(t.target.query ?? ""));
    // The latency row's four panels and one per latency threshold row (endpoint and scenario).
    const perTag = thresholdTable().filter(
      (r) => r.metric === "http_req_duration" && (r.tags?.endpoint !== undefined || r.tags?.scenario !== undefined),
    );
    expect(rolled.length).toBe(4 + perTag.length);
    const raw = targets.filter((t) =>
      /percentile\("value".*FROM "http_req_(duration|waiting)"/.test(t.target.query ?? ""),
    );
    expect(raw.map((t) => t.label)).toEqual([]);
  });

  it("has unique panel ids and refIds unique within each panel", () => {
    const ids = allPanels(dashboard).map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id) && (id as number) > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dataPanels(dashboard)) {
      const refIds = (panel.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, panel.title).toBe(refIds.length);
    }
  });

  it("lays panels out on the 24-column grid without overlaps", () => {
    const check = (panels: ReturnType<typeof allPanels>): void => {
      const placed = panels.map((p) => ({ title: p.title, pos: p.gridPos as GridPos }));
      for (const { title, pos } of placed) {
        expect(pos, title).toBeDefined();
        expect(pos.w > 0 && pos.h > 0 && pos.x >= 0 && pos.y >= 0 && pos.x + pos.w <= 24, title).toBe(true);
      }
      for (let i = 0; i < placed.length; i++) {
        for (let j = i + 1; j < placed.length; j++) {
          const [a, b] = [placed[i], placed[j]];
          if (a && b) expect(overlaps(a.pos, b.pos), `${a.title} overlaps ${b.title}`).toBe(false);
        }
      }
    };
    check(dashboard.panels);
    for (const row of dashboard.panels.filter((p) => p.type === "row")) {
      expect(row.gridPos?.w, row.title).toBe(24);
      check(row.panels ?? []);
      // Grafana drops panels nested inside an expanded row.
      if (!row.collapsed) expect(row.panels ?? [], row.title).toEqual([]);
    }
  });

  it("has the issue's rows and draws the k6 thresholds as lines", () => {
    const rows = dashboard.panels.filter((p) => p.type === "row").map((p) => p.title);
    for (const title of ["Load", "Latency", "Errors", "Journeys", "MCP and OAuth", "SSE", "Agents", "Outages"])
      expect(rows).toContain(title);
    const withLines = dataPanels(dashboard).filter(
      (p) => p.fieldConfig?.defaults?.custom?.thresholdsStyle?.mode !== undefined,
    );
    const drawn = new Set(
      withLines.flatMap((p) => p.fieldConfig?.defaults?.thresholds?.steps.map((s) => s.value) ?? []),
    );
    // Every per-endpoint latency limit of the k6 table appears as a line somewhere.
    for (const row of thresholdTable().filter((r) => r.metric === "http_req_duration" && r.tags?.endpoint)) {
      const limit = Number(/p\(95\)<(\d+)/.exec(row.conditions.join(" "))?.[1]);
      expect(drawn.has(limit), `${row.tags?.endpoint} p95<${limit}`).toBe(true);
      expect(
        withLines.some((p) => p.targets?.some((t) => t.query?.includes(`"endpoint" = '${row.tags?.endpoint}'`))),
        `panel for endpoint ${row.tags?.endpoint}`,
      ).toBe(true);
    }
  });

  it("draws each row's base limits, and names the other topologies' limits in the description", () => {
    const panel = (title: string): PanelJson | undefined => dataPanels(dashboard).find((p) => p.title === title);
    const lines = (title: string): (number | null)[] =>
      panel(title)?.fieldConfig?.defaults?.thresholds?.steps.map((s) => s.value) ?? [];
    for (const row of thresholdTable().filter((r) => r.variants !== undefined)) {
      const key = `${row.metric}${
        row.tags
          ? `{${Object.entries(row.tags)
              .map(([k, v]) => `${k}:${v}`)
              .join(",")}}`
          : ""
      }`;
      const described = dataPanels(dashboard).filter((p) => p.description?.includes(`other limits for ${key} `));
      expect(described.length, key).toBeGreaterThan(0);
      for (const p of described) expect(p.description, p.title).toContain("k6/README.md, Thresholds");
    }
    // The base row's limits, not the ACP variant's (p(95)<6000, p(99)<12000).
    const overall = thresholdTable().find((r) => r.metric === "http_req_duration" && r.tags?.endpoint === undefined);
    const base = (overall?.conditions ?? []).map((c) => Number(/<(\d+)$/.exec(c)?.[1]));
    expect(lines("HTTP latency p50 / p95 / p99")).toEqual([null, ...base]);
    expect(panel("HTTP latency p50 / p95 / p99")?.description).toMatch(/p\(95\)<\d+, p\(99\)<\d+ on ACP/);
    // idle_status_duration has one limit wherever it is judged (not on ACP with shared agents); its panel draws it
    // and says where it is not judged.
    const idle = thresholdTable().find((r) => r.metric === "idle_status_duration");
    expect(idle?.variants).toEqual({ "acp+shared": "dropped" });
    expect(lines("Idle status read p95")).toEqual([null, Number(/<(\d+)$/.exec(idle?.conditions[0] ?? "")?.[1])]);
    expect(panel("Idle status read p95")?.description).toContain("not judged on ACP with shared agents");
  });
});

describe("Agents row", () => {
  const dashboard = loadCommittedDashboard();
  const start = dashboard.panels.findIndex((p) => p.type === "row" && p.title === "Agents");
  const next = dashboard.panels.findIndex((p, i) => i > start && p.type === "row");
  const panels = dashboard.panels.slice(start + 1, next < 0 ? undefined : next);
  const query = (title: string): string => panels.find((p) => p.title === title)?.targets?.[0]?.query ?? "";

  it("is an open row with the turn, first-output, counter and watcher panels, on the new metrics", () => {
    expect(start).toBeGreaterThan(0);
    expect(dashboard.panels[start]?.collapsed).toBe(false);
    expect(panels.map((p) => p.title)).toEqual([
      "Agent turn duration p50 / p95 / p99",
      "Agent first output p50 / p95 by observed_by",
      "Agent turns per second",
      "Agent turn failures",
      "Busy refusals per second",
      "Watcher events per second",
      "SSE delivery lag p95",
      "Watcher streams dropped",
      "Idle status read p95",
      "Prompts sent / withheld",
    ]);
    expect(query("Agent turn duration p50 / p95 / p99")).toMatch(
      /^SELECT percentile\("value", 50\) AS "p50", percentile\("value", 95\) AS "p95", percentile\("value", 99\) AS "p99" FROM "agent_turn_duration" /,
    );
    expect(query("Agent first output p50 / p95 by observed_by")).toMatch(
      /FROM "agent_first_output" .* GROUP BY time\(\$__interval\), "observed_by" fill\(none\)$/,
    );
    expect(query("Agent turn failures")).toMatch(
      /FROM "agent_turn_failures" .* GROUP BY time\(\$__interval\), "reason" fill\(0\)$/,
    );
    expect(query("SSE delivery lag p95")).toMatch(
      /^SELECT percentile\("value", 95\) AS "p95" FROM "sse_delivery_lag" /,
    );
    expect(query("Idle status read p95")).toMatch(
      /^SELECT percentile\("value", 95\) AS "p95" FROM "idle_status_duration" WHERE .*"scenario" =~ \/\^\(\$scenario\)\$\/ /,
    );
    const prompts = panels.find((p) => p.title === "Prompts sent / withheld")?.targets?.map((t) => t.query);
    expect(prompts).toEqual([
      expect.stringMatching(/^SELECT sum\("value"\) AS "sent" FROM "prompts_sent" .* fill\(0\)$/),
      expect.stringMatching(/^SELECT sum\("value"\) AS "withheld" FROM "prompts_withheld" .* fill\(0\)$/),
    ]);
    // Every description says why nothing is per agent.
    for (const p of panels) expect((p as { description?: string }).description, p.title).toContain("no per-agent tag");
  });

  it("counter panels fill empty intervals with 0 and show 0 (not No data) when the counter has no series", () => {
    const counters = [
      "timeout_count",
      "connection_failures",
      "agent_turn_failures",
      "agent_busy_total",
      "sse_streams_dropped",
      "agent_history_lost",
      "prompts_sent",
      "prompts_withheld",
    ];
    for (const metric of counters) {
      const withIt = dataPanels(dashboard).filter((p) => p.targets?.some((t) => t.query?.includes(`FROM "${metric}"`)));
      expect(withIt.length, metric).toBeGreaterThan(0);
      for (const p of withIt) {
        for (const t of p.targets ?? []) expect(t.query, `${p.title} [${t.refId}]`).toMatch(/ fill\(0\)$/);
        expect(p.fieldConfig?.defaults?.noValue, p.title).toBe("0");
      }
    }
    // Trends keep "No data": no sample means no latency to show, not a latency of 0.
    for (const title of ["Agent turn duration p50 / p95 / p99", "SSE delivery lag p95", "Idle status read p95"]) {
      const p = panels.find((x) => x.title === title);
      expect(p?.fieldConfig?.defaults?.noValue, title).toBeUndefined();
    }
  });
});

describe("Outages row", () => {
  const dashboard = loadCommittedDashboard();
  const start = dashboard.panels.findIndex((p) => p.type === "row" && p.title === "Outages");
  const end = dashboard.panels.findIndex((p, i) => i > start && p.type === "row");
  const panels = dashboard.panels.slice(start + 1, end < 0 ? undefined : end);
  const queries = (title: string): string[] =>
    panels.find((p) => p.title === title)?.targets?.map((t) => t.query ?? "") ?? [];
  const defaults = (title: string): { noValue?: string } | undefined =>
    panels.find((p) => p.title === title)?.fieldConfig?.defaults;

  it("is the last open row, after Agents, before the collapsed capacity row (the panel ids above it stay)", () => {
    expect(start).toBeGreaterThan(0);
    expect(dashboard.panels[start]?.collapsed).toBe(false);
    expect(panels.every((p) => p.type !== "row")).toBe(true);
    const rows = dashboard.panels.filter((p) => p.type === "row").map((p) => p.title);
    expect(rows.slice(-3)).toEqual(["Agents", "Outages", CAPACITY_ROW]);
    expect(dashboard.panels[dashboard.panels.length - 1]).toMatchObject({ title: CAPACITY_ROW, collapsed: true });
    expect(panels.map((p) => p.title)).toEqual([
      "Connection failures by cause",
      "Agent recovery time max / p95",
      "Messages lost",
      "Streams dropped and turns lost",
    ]);
    const agentsIds = dataPanels(dashboard)
      .filter((p) => p.title === "Watcher streams dropped")
      .map((p) => p.id);
    expect(agentsIds).toEqual([62]);
  });

  it("reads each outage metric, scoped like the other custom metrics", () => {
    expect(queries("Connection failures by cause")).toEqual([
      `SELECT sum("value") AS "count" FROM "connection_failures" WHERE "testid" =~ /^$testid$/ AND ` +
        `"scenario" =~ /^($scenario)$/ AND "endpoint" =~ /^($endpoint)$/ AND "cause" != '' AND $timeFilter ` +
        `GROUP BY time($__interval), "cause" fill(0)`,
    ]);
    expect(queries("Agent recovery time max / p95")).toEqual([
      `SELECT max("value") AS "max", percentile("value", 95) AS "p95" FROM "agent_recovery_time" WHERE ` +
        `"testid" =~ /^$testid$/ AND "scenario" =~ /^($scenario)$/ AND $timeFilter GROUP BY time($__interval) fill(none)`,
    ]);
    expect(queries("Messages lost")).toEqual([
      `SELECT sum("value") AS "lost" FROM "agent_history_lost" WHERE "testid" =~ /^$testid$/ AND ` +
        `"scenario" =~ /^($scenario)$/ AND $timeFilter GROUP BY time($__interval) fill(0)`,
    ]);
    expect(queries("Streams dropped and turns lost")).toEqual([
      `SELECT sum("value") AS "count" FROM "sse_streams_dropped" WHERE "testid" =~ /^$testid$/ AND ` +
        `"scenario" =~ /^($scenario)$/ AND $timeFilter GROUP BY time($__interval), "reason" fill(0)`,
      `SELECT sum("value") AS "turns lost" FROM "agent_turn_failures" WHERE "testid" =~ /^$testid$/ AND ` +
        `"scenario" =~ /^($scenario)$/ AND "reason" = 'stream_lost' AND $timeFilter GROUP BY time($__interval) fill(0)`,
    ]);
  });

  it("counters read 0 (fill(0), noValue 0) and total in the legend; the recovery trend keeps No data", () => {
    for (const title of ["Connection failures by cause", "Messages lost", "Streams dropped and turns lost"]) {
      expect(defaults(title)?.noValue, title).toBe("0");
      const legend = panels.find((p) => p.title === title)?.options as { legend?: { calcs?: string[] } } | undefined;
      expect(legend?.legend?.calcs, title).toContain("sum");
    }
    expect(defaults("Agent recovery time max / p95")?.noValue).toBeUndefined();
    expect(panels.find((p) => p.title === "Agent recovery time max / p95")?.fieldConfig?.defaults).toMatchObject({
      unit: "ms",
    });
  });

  it("says in each description what a restart drill of the agent servers looks like there", () => {
    const description = (title: string): string => panels.find((p) => p.title === title)?.description ?? "";
    for (const p of panels) expect(p.description, p.title).toContain("restart drill");
    expect(description("Connection failures by cause")).toMatch(/refused while a server is down/);
    expect(description("Agent recovery time max / p95")).toMatch(/downtime/);
    expect(description("Messages lost")).toMatch(/0 when the servers restore their state \(upstream's --state-file\)/);
    expect(description("Streams dropped and turns lost")).toMatch(/server_closed.*stream_lost/s);
  });
});
