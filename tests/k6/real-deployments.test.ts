// What the suite needs to tell the truth about a real deployment, as pure functions: whether VUs share agents (and
// the threshold rows that follow), credentials for fleets behind an authenticating proxy (secrets never printed),
// and a prompt budget that is a hard cap (shared out exactly, known before the run starts).
import { describe, expect, it } from "vitest";
import { ConfigError, describeConfig, loadConfig } from "../../k6/src/config";
import { PROMPTING_SCENARIOS } from "../../k6/src/names";
import { buildScenarios, PROFILES } from "../../k6/src/profiles";
import { splitPromptBudget, vuSeconds, worstCasePrompts } from "../../k6/src/prompt-plan";
import { runThresholds } from "../../k6/src/run-thresholds";
import { mixedSchedule, operationAt, promptOrdinal } from "../../k6/src/scenarios/mixed-schedule";
import { agentSharing, largestVuId } from "../../k6/src/sharing";
import { resolveTopology, thresholdTable, thresholdKey, type ThresholdRow } from "../../k6/src/thresholds";

const SECRET = "s3cr3t-token-value-0123456789";

function problem(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return "";
}

const byKey = (rows: ReadonlyArray<ThresholdRow>): Record<string, string[]> =>
  Object.fromEntries(rows.map((r) => [thresholdKey(r), r.conditions]));

describe("agents shared or not: known from the configuration", () => {
  const local = (vusFactor = 1) => buildScenarios(PROFILES.local, loadConfig({}).scenarios, vusFactor, 1);

  it("one server for every VU is shared; a fleet as large as the largest VU id is not; one agent short is", () => {
    const scenarios = local();
    expect(largestVuId(scenarios)).toBe(1000);
    expect(agentSharing(scenarios, { kind: "single", url: "http://a" })).toBe("shared");
    expect(agentSharing(scenarios, { kind: "template", template: "http://a/{agent}", agents: 1000 })).toBe("own");
    expect(agentSharing(scenarios, { kind: "template", template: "http://a/{agent}", agents: 999 })).toBe("shared");
    expect(agentSharing(local(2), { kind: "template", template: "http://a/{agent}", agents: 1000 })).toBe("shared");
    const smoke = buildScenarios(PROFILES.smoke, ["tool_execution"], 1, 1);
    expect(agentSharing(smoke, { kind: "single", url: "http://a" })).toBe("own");
  });

  it("shared agents change only the read rows, to one send's limit; the fleet rows are never loosened", () => {
    const own = byKey(thresholdTable());
    const shared = byKey(resolveTopology(thresholdTable(), { sharing: "shared", transport: "pty" }));
    const changed = Object.keys(own).filter((key) => JSON.stringify(own[key]) !== JSON.stringify(shared[key]));
    expect(changed.sort()).toEqual([
      "http_req_duration{endpoint:messages}",
      "http_req_duration{endpoint:status}",
      "http_req_duration{scenario:list_tools,kind:call}",
    ]);
    for (const key of changed) expect(shared[key]).toEqual(own["http_req_duration{endpoint:message}"]);
    // The server's own read time is held to the same limit in both topologies.
    expect(own["idle_status_duration"]).toEqual(["p(95)<300"]);
    expect(shared["idle_status_duration"]).toEqual(["p(95)<300"]);
    expect(resolveTopology(thresholdTable(), { sharing: "own", transport: "pty" })).toEqual(thresholdTable());
  });

  it("the run's rows: one server → shared rows, scaled by AGENT_BUDGET_SCALE like every agent-time row", () => {
    const config = loadConfig({ AGENT_ONLY: "true", AGENT_BUDGET_SCALE: "2", PROFILE: "smoke" });
    const judged = runThresholds(config, buildScenarios(config.profile, config.scenarios, 1, 1));
    expect(judged.sharing).toBe("shared");
    const rows = byKey(judged.rows);
    expect(rows["http_req_duration{endpoint:status}"]).toEqual(["p(95)<3000"]);
    expect(rows["idle_status_duration"]).toEqual(["p(95)<300"]);
    const fleet = loadConfig({
      AGENT_ONLY: "true",
      PROFILE: "smoke",
      AGENTAPI_URL_TEMPLATE: "http://ws-{agent}.test",
      AGENTS: "5",
    });
    const own = runThresholds(fleet, buildScenarios(fleet.profile, fleet.scenarios, 1, 1));
    expect(own.sharing).toBe("own");
    expect(byKey(own.rows)["http_req_duration{endpoint:status}"]).toEqual(["p(95)<300"]);
  });
});

describe("credentials for AgentAPI fleets (secrets)", () => {
  it("AGENTAPI_TOKEN is a bearer token; AGENTAPI_HEADERS adds its pairs", () => {
    const config = loadConfig({
      AGENTAPI_TOKEN: SECRET,
      AGENTAPI_HEADERS: JSON.stringify({ "Coder-Session-Token": SECRET, "X-Team": "load" }),
    });
    expect(config.agentApiHeaders).toEqual({
      "Coder-Session-Token": SECRET,
      "X-Team": "load",
      Authorization: `Bearer ${SECRET}`,
    });
    expect(loadConfig({}).agentApiHeaders).toEqual({});
  });

  it("the configuration line names the headers, never their values", () => {
    const config = loadConfig({
      AGENTAPI_TOKEN: SECRET,
      AGENTAPI_HEADERS: JSON.stringify({ "Coder-Session-Token": SECRET }),
    });
    const line = describeConfig(config);
    expect(line).toContain("agentapi_credentials=Coder-Session-Token+bearer");
    expect(line).not.toContain(SECRET);
    expect(describeConfig(loadConfig({}))).toContain("agentapi_credentials=none");
  });

  it("bad credentials stop the run with one line that never shows a value", () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ AGENTAPI_HEADERS: `not json ${SECRET}` }, /AGENTAPI_HEADERS must be a JSON object/],
      [{ AGENTAPI_HEADERS: JSON.stringify([SECRET]) }, /AGENTAPI_HEADERS must be a JSON object/],
      [{ AGENTAPI_HEADERS: JSON.stringify({ "Bad Name": SECRET }) }, /"Bad Name", not a header name/],
      [{ AGENTAPI_HEADERS: JSON.stringify({ "X-Token": `${SECRET}\n` }) }, /X-Token"\] must be a string of printable/],
      [{ AGENTAPI_HEADERS: JSON.stringify({ "X-Token": 42 }) }, /X-Token"\] must be a string/],
      [
        { AGENTAPI_TOKEN: SECRET, AGENTAPI_HEADERS: JSON.stringify({ authorization: SECRET }) },
        /AGENTAPI_TOKEN or in AGENTAPI_HEADERS, not both/,
      ],
      [{ AGENTAPI_TOKEN: `${SECRET}\u0007` }, /AGENTAPI_TOKEN must be printable/],
    ];
    for (const [env, expected] of cases) {
      const message = problem(env);
      expect(message, JSON.stringify(Object.keys(env))).toMatch(expected);
      expect(message.split("\n")).toHaveLength(1);
      expect(message).not.toContain(SECRET);
    }
  });
});

describe("the prompt budget (MAX_PROMPTS)", () => {
  it("is a whole number ≥ 0, or unset", () => {
    expect(loadConfig({}).maxPrompts).toBeNull();
    expect(loadConfig({ MAX_PROMPTS: "0" }).maxPrompts).toBe(0);
    expect(loadConfig({ MAX_PROMPTS: " 25 " }).maxPrompts).toBe(25);
    for (const bad of ["-1", "1.5", "ten"])
      expect(problem({ MAX_PROMPTS: bad })).toMatch(/MAX_PROMPTS must be a whole/);
    expect(loadConfig({ CONFIRM_PROMPTS: "yes" }).confirmPrompts).toBe(true);
    expect(loadConfig({ CONFIRM_PROMPTS: "y" }).confirmPrompts).toBe(false);
  });

  it("is shared between the prompting scenarios by peak VUs, summing exactly to the budget", () => {
    const all = buildScenarios(PROFILES.local, loadConfig({}).scenarios, 1, 1);
    // tool_execution 200, mixed_workload 300, agent_conversation 100 VUs at their peaks.
    expect(splitPromptBudget(600, all)).toEqual({ tool_execution: 200, mixed_workload: 300, agent_conversation: 100 });
    for (const budget of [0, 1, 2, 7, 100, 1001]) {
      const shares = splitPromptBudget(budget, all);
      expect(
        Object.values(shares).reduce((a, b) => a + (b ?? 0), 0),
        `budget ${budget}`,
      ).toBe(budget);
      expect(Object.keys(shares).sort()).toEqual([...PROMPTING_SCENARIOS].sort());
    }
    const smoke = buildScenarios(PROFILES.smoke, ["tool_execution", "mixed_workload", "list_tools"], 1, 1);
    expect(splitPromptBudget(5, smoke)).toEqual({ tool_execution: 3, mixed_workload: 2 });
    expect(splitPromptBudget(5, buildScenarios(PROFILES.smoke, ["list_tools"], 1, 1))).toEqual({});
  });

  it("mixed_workload knows from its run-wide iteration alone whether it prompts and how many prompts came before", () => {
    for (const agentOnly of [false, true]) {
      const schedule = mixedSchedule(agentOnly);
      let prompts = 0;
      for (let k = 0; k < 5 * schedule.cycle.length + 3; k++) {
        const prompting = operationAt(schedule, k) === "send message";
        if (prompting) expect(promptOrdinal(schedule, k)).toBe(prompts);
        if (prompting) prompts++;
      }
      // A share of n prompts is spent by exactly the first n prompting iterations.
      expect(schedule.promptsPerCycle / schedule.cycle.length).toBeCloseTo(agentOnly ? 20 / 75 : 0.2);
    }
  });

  it("the worst case a schedule allows: VU-seconds over the shortest think time, per prompt an iteration sends", () => {
    const smoke = buildScenarios(PROFILES.smoke, ["tool_execution", "mixed_workload", "agent_conversation"], 1, 1);
    const seconds = vuSeconds(smoke.tool_execution!);
    expect(seconds).toBeGreaterThan(0);
    const worst = worstCasePrompts(smoke, 1, true);
    const expected =
      seconds / 3 + (vuSeconds(smoke.mixed_workload!) / 1) * (20 / 75) + vuSeconds(smoke.agent_conversation!) / 5;
    expect(worst).toBe(Math.ceil(expected));
    expect(worstCasePrompts(smoke, 0.5, true)).toBeGreaterThan(worst);
    expect(worstCasePrompts(smoke, 0, true)).toBe(Infinity);
    expect(worstCasePrompts(buildScenarios(PROFILES.smoke, ["list_tools"], 1, 1), 1, true)).toBe(0);
  });
});
