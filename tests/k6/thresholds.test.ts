// The threshold table: enough rows, every metric it names exists, valid k6 expressions, and the selection that
// keeps a filtered run from failing on metrics it never feeds.
import { describe, expect, it } from "vitest";
import { builtinMetrics, customMetrics } from "../../k6/src/metric-catalog";
import { AGENTAPI_ENDPOINTS, ENDPOINTS, SCENARIO_NAMES } from "../../k6/src/names";
import {
  buildK6Thresholds,
  scaleAgentBudgets,
  selectThresholds,
  thresholdTable,
  thresholdKey,
} from "../../k6/src/thresholds";
import { parseThreshold } from "./harness/summary";

const known = new Map<string, string>([...builtinMetrics(), ...customMetrics()].map((m) => [m.name, m.type]));

describe("thresholdTable()", () => {
  it("has at least 20 rows, including the seed's limits and checks > 99%", () => {
    expect(thresholdTable().length).toBeGreaterThanOrEqual(20);
    const keys = Object.fromEntries(thresholdTable().map((r) => [thresholdKey(r), r.conditions]));
    // Calls only (GET /events streams last as long as they are watched); calibrated to upstream's ≈ 1.1 s send.
    expect(keys["http_req_duration{kind:call}"]).toEqual(["p(95)<1500", "p(99)<3000"]);
    expect(keys.http_req_failed).toEqual(["rate<0.01"]);
    expect(keys.checks).toEqual(["rate>0.99"]);
    expect(keys["http_req_duration{endpoint:status}"]).toEqual(["p(95)<300"]);
    expect(keys["http_req_duration{endpoint:messages}"]).toEqual(["p(95)<300"]);
    expect(keys["http_req_duration{endpoint:message}"]).toEqual(["p(95)<1500"]);
    expect(keys["http_req_duration{endpoint:oauth_init}"]).toEqual(["p(95)<500"]);
    for (const name of ["mcp_connection_success_rate", "tool_execution_success_rate", "auth_success_rate"]) {
      expect(keys[name]).toEqual(["rate>0.99"]);
    }
    for (const scenario of SCENARIO_NAMES.slice(0, 6))
      expect(keys[`http_req_duration{scenario:${scenario},kind:call}`]).toBeDefined();
    expect(keys.agent_turn_failures).toEqual(["count<1"]);
    expect(keys.agent_turn_duration).toEqual(["p(95)<6000"]);
    expect(keys.agent_first_output).toEqual(["p(95)<2000"]);
    expect(keys.sse_streams_dropped).toEqual(["count<1"]);
  });

  it("says why each number is what it is", () => {
    for (const row of thresholdTable()) expect(row.why.length, thresholdKey(row)).toBeGreaterThan(15);
  });

  it("AGENT_BUDGET_SCALE multiplies the agent-time limits and nothing else", () => {
    const scaled = scaleAgentBudgets(thresholdTable(), 20);
    const byKey = new Map(scaled.map((r) => [thresholdKey(r), r.conditions]));
    expect(byKey.get("agent_turn_duration")).toEqual(["p(95)<120000"]);
    expect(byKey.get("http_req_duration{endpoint:message}")).toEqual(["p(95)<30000"]);
    expect(byKey.get("http_req_duration{endpoint:status}")).toEqual(["p(95)<300"]);
    expect(byKey.get("agent_turn_failures")).toEqual(["count<1"]);
    expect(scaleAgentBudgets(thresholdTable(), 1)).toEqual(thresholdTable());
  });

  it("names only metrics that exist (k6 built-ins or the suite's custom metrics)", () => {
    for (const row of thresholdTable()) expect(known.has(row.metric), row.metric).toBe(true);
  });

  it("uses valid expressions whose statistic fits the metric type", () => {
    const fits: Record<string, RegExp> = {
      trend: /^(avg|min|max|med|p\(\d+(\.\d+)?\))$/,
      rate: /^rate$/,
      counter: /^(count|rate)$/,
      gauge: /^(value|min|max)$/,
    };
    for (const row of thresholdTable()) {
      for (const condition of row.conditions) {
        const { statistic } = parseThreshold(condition);
        expect(statistic, `${thresholdKey(row)} ${condition}`).toMatch(fits[known.get(row.metric) ?? ""] ?? /^$/);
      }
    }
  });

  it("tags only with endpoint and scenario values the suite uses", () => {
    for (const row of thresholdTable()) {
      for (const [tag, value] of Object.entries(row.tags ?? {})) {
        if (tag === "endpoint") expect(ENDPOINTS).toContain(value);
        else if (tag === "scenario") expect(SCENARIO_NAMES).toContain(value);
        else if (tag === "kind") expect(["call", "stream"]).toContain(value);
        else throw new Error(`unexpected tag ${tag} in ${thresholdKey(row)}`);
      }
    }
  });
});

describe("selecting thresholds for a run", () => {
  it("keeps everything when every scenario runs with the broker", () => {
    expect(selectThresholds(SCENARIO_NAMES, false)).toHaveLength(thresholdTable().length);
  });

  it("drops rate thresholds no selected scenario feeds (an empty Rate fails in k6)", () => {
    const keys = selectThresholds(["list_tools"], false).map(thresholdKey);
    expect(keys).toContain("mcp_connection_success_rate");
    expect(keys).not.toContain("disconnect_success_rate");
    expect(keys).not.toContain("tool_execution_success_rate");
    expect(keys).not.toContain("http_req_duration{scenario:authentication}");
    expect(keys).toContain("checks");
  });

  it("agent-only keeps only AgentAPI rows", () => {
    const rows = selectThresholds(["tool_execution", "list_tools", "mixed_workload"], true);
    for (const row of rows) {
      const endpoint = row.tags?.endpoint;
      if (endpoint !== undefined) expect(AGENTAPI_ENDPOINTS).toContain(endpoint);
      expect(row.metric).not.toMatch(/^(auth|mcp_connection|disconnect)_/);
    }
  });

  it("renders k6 thresholds with abortOnFail where the profile asks, plus breakdown sub-metrics", () => {
    const thresholds = buildK6Thresholds(selectThresholds(SCENARIO_NAMES, false), SCENARIO_NAMES, ["http_req_failed"]);
    expect(thresholds.http_req_failed).toEqual([{ threshold: "rate<0.01", abortOnFail: true, delayAbortEval: "1m" }]);
    expect(thresholds.checks).toEqual(["rate>0.99"]);
    for (const endpoint of ENDPOINTS) expect(thresholds[`http_req_duration{endpoint:${endpoint}}`]).toBeDefined();
    expect(thresholds["http_req_duration{endpoint:upload}"]).toEqual([]);
  });
});
