// The pieces the dashboard is made of: the InfluxQL builder, the threshold parser, and the test's model of Grafana's
// macro expansion (so the real-InfluxDB test expands queries the way Grafana does).
import { describe, expect, it } from "vitest";
import { InfluxQLQueryBuilder, ident, literal, percentile, perSecond } from "../../infra/grafana/src/influxql";
import { thresholdSteps } from "../../infra/grafana/src/panels";
import {
  baseRow,
  conditionsFor,
  parseCondition,
  rowsTaggedBy,
  topologyVariants,
} from "../../infra/grafana/src/thresholds";
import { thresholdTable } from "../../k6/src/thresholds";
import {
  expandQuery,
  formatInterval,
  influxSpecialRegexEscape,
  interpolateVariables,
  intervalMs,
  type TemplateVariable,
} from "./helpers/grafana-macros";

describe("InfluxQL builder", () => {
  it("renders a testid- and time-scoped query with variables, tags, grouping and fill", () => {
    const query = new InfluxQLQueryBuilder("A")
      .select(percentile(95), "p95")
      .from("http_req_duration")
      .whereVariable("scenario")
      .whereTag("endpoint", "it's")
      .groupByTag("endpoint")
      .fill("0")
      .alias("$tag_endpoint")
      .build();
    expect(query).toMatchObject({
      refId: "A",
      rawQuery: true,
      resultFormat: "time_series",
      alias: "$tag_endpoint",
      datasource: { type: "influxdb", uid: "influxdb-k6" },
    });
    expect(query.query).toBe(
      `SELECT percentile("value", 95) AS "p95" FROM "http_req_duration" WHERE "testid" =~ /^$testid$/ AND ` +
        `"scenario" =~ /^($scenario)$/ AND "endpoint" = 'it\\'s' AND $timeFilter ` +
        `GROUP BY time($__interval), "endpoint" fill(0)`,
    );
    // The SDK's variant marker is a function, so it never reaches the JSON.
    expect(JSON.parse(JSON.stringify(query))).not.toHaveProperty("_implementsDataqueryVariant");
  });

  it("refuses incomplete queries and bad names", () => {
    expect(() => new InfluxQLQueryBuilder("A").from("x").render()).toThrow(/select\(\) is missing/);
    expect(() => new InfluxQLQueryBuilder("A").select(perSecond(), "rps").render()).toThrow(/from\(\) is missing/);
    expect(() => new InfluxQLQueryBuilder("a")).toThrow(/refId/);
    expect(() => new InfluxQLQueryBuilder("A").whereVariable("bad name")).toThrow(/variable name/);
  });

  it("quotes identifiers and literals", () => {
    expect(ident('we"ird')).toBe('"we\\"ird"');
    expect(literal("a\\b'c")).toBe("'a\\\\b\\'c'");
  });
});

describe("thresholds from the k6 table", () => {
  it("parses k6 threshold expressions", () => {
    expect(parseCondition("p(95)<500")).toEqual({ statistic: "p(95)", operator: "<", limit: 500 });
    expect(parseCondition("rate>0.99")).toEqual({ statistic: "rate", operator: ">", limit: 0.99 });
    expect(parseCondition(" count < 1 ")).toEqual({ statistic: "count", operator: "<", limit: 1 });
    expect(() => parseCondition("p95 below 500")).toThrow(/unsupported k6 threshold expression/);
  });

  it("finds the overall, per-endpoint and per-scenario rows", () => {
    // The run-wide row fixes kind:call (GET /events streams last as long as they are watched); panels filter on it.
    const overall = baseRow("http_req_duration");
    expect(overall.tags).toEqual({ kind: "call" });
    expect(overall.conditions.map((c) => c.statistic)).toEqual(["p(95)", "p(99)"]);
    expect(baseRow("no_such_metric")).toEqual({ tags: {}, conditions: [] });
    // Whatever limit the k6 table sets for /status (read from it, so a recalibration does not break this test).
    const status = thresholdTable().find((r) => r.metric === "http_req_duration" && r.tags?.endpoint === "status");
    expect(status).toBeDefined();
    expect(conditionsFor("http_req_duration", { endpoint: "status" })).toEqual(status?.conditions.map(parseCondition));
    expect(conditionsFor("http_req_duration", { endpoint: "status" })[0]?.statistic).toBe("p(95)");
    expect(rowsTaggedBy("http_req_duration", "endpoint").map((r) => r.tagValue)).toContain("mcp_initialize");
    const scenarios = rowsTaggedBy("http_req_duration", "scenario");
    expect(scenarios).toHaveLength(6);
    for (const row of scenarios) expect(row.otherTags, row.tagValue).toEqual({ kind: "call" });
    expect(rowsTaggedBy("http_req_duration", "endpoint").every((r) => Object.keys(r.otherTags).length === 0)).toBe(
      true,
    );
  });

  it("keeps the base row's conditions and lists the other topologies' variants apart", () => {
    // The table's rows carry their shared/ACP limits as variants; the dashboard draws the base row's conditions.
    const overall = thresholdTable().find(
      (r) => r.metric === "http_req_duration" && r.tags?.kind === "call" && !r.tags.scenario,
    );
    expect(overall?.variants?.acp).toBeDefined();
    expect(conditionsFor("http_req_duration", { kind: "call" })).toEqual(overall?.conditions.map(parseCondition));
    const acp = overall?.variants?.acp;
    expect(topologyVariants("http_req_duration", { kind: "call" })).toContainEqual({
      topology: "acp",
      conditions: acp === "dropped" ? "dropped" : acp?.conditions,
    });
    expect(topologyVariants("http_req_duration", { endpoint: "status" }).map((v) => v.topology)).toContain("shared");
    // A row not judged in a topology says so; a row judged alike everywhere has none.
    expect(topologyVariants("sse_delivery_lag")).toEqual([{ topology: "acp", conditions: "dropped" }]);
    expect(topologyVariants("idle_status_duration")).toEqual([{ topology: "acp+shared", conditions: "dropped" }]);
    expect(topologyVariants("no_such_metric")).toEqual([]);
  });

  it("colours the breach side of each line", () => {
    expect(thresholdSteps([parseCondition("p(95)<500"), parseCondition("p(99)<2000")])).toEqual([
      { value: null, color: "green" },
      { value: 500, color: "red" },
      { value: 2000, color: "red" },
    ]);
    expect(thresholdSteps([parseCondition("rate>0.99")])).toEqual([
      { value: null, color: "red" },
      { value: 0.99, color: "green" },
    ]);
  });
});

describe("Grafana macro expansion (model used by the InfluxDB test)", () => {
  const testid = (current: string): TemplateVariable => ({
    name: "testid",
    multi: false,
    includeAll: false,
    options: [],
    current,
  });
  const scenario = (current: string | string[], allValue: string | null = ".*"): TemplateVariable => ({
    name: "scenario",
    multi: true,
    includeAll: true,
    allValue,
    options: ["authentication", "list_tools"],
    current,
  });

  it("substitutes single, multi and All values as the InfluxDB datasource formats them", () => {
    const q = `"testid" =~ /^$testid$/ AND "scenario" =~ /^($scenario)$/ AND "x" = '\${testid}'`;
    expect(interpolateVariables(q, [testid("20261127-021500-a1b2"), scenario("$__all")])).toBe(
      `"testid" =~ /^20261127-021500-a1b2$/ AND "scenario" =~ /^(.*)$/ AND "x" = '20261127-021500-a1b2'`,
    );
    expect(interpolateVariables(q, [testid("run.1"), scenario(["authentication", "list_tools"])])).toBe(
      `"testid" =~ /^run\\.1$/ AND "scenario" =~ /^(authentication|list_tools)$/ AND "x" = 'run\\.1'`,
    );
    expect(interpolateVariables("/^($scenario)$/", [scenario(["$__all"], null)])).toBe(
      "/^(authentication|list_tools)$/",
    );
    expect(interpolateVariables("$timeFilter $__interval $unknown", [testid("x")])).toBe(
      "$timeFilter $__interval $unknown",
    );
    expect(influxSpecialRegexEscape("a.b")).toBe("a\\\\.b");
  });

  it("expands the backend macros with Grafana's interval calculation", () => {
    const ctx = { fromMs: 0, toMs: 1_800_000, maxDataPoints: 900, minInterval: "1s", variables: [testid("t")] };
    expect(intervalMs(ctx)).toBe(2_000);
    expect(intervalMs({ ...ctx, toMs: 60_000 })).toBe(1_000);
    expect(formatInterval(120_000)).toBe("2m");
    expect(formatInterval(500)).toBe("500ms");
    expect(expandQuery("WHERE $timeFilter GROUP BY time($__interval) x * 1000 / $__interval_ms", ctx)).toBe(
      "WHERE time >= 0ms and time <= 1800000ms GROUP BY time(2s) x * 1000 / 2000",
    );
  });
});
