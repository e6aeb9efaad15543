// Profiles and configuration: the schedules' numbers, SCENARIOS/VUS_FACTOR/AGENT_ONLY handling, and the
// one-line refusals (bad values, production without confirmation).
import { describe, expect, it } from "vitest";
import { agentCount, agentNumberForVu, agentUrlOf, ConfigError, loadConfig } from "../../k6/src/config";
import { AGENT_ONLY_SCENARIOS, SCENARIO_EXEC, SCENARIO_NAMES } from "../../k6/src/names";
import {
  buildScenarios,
  maxRunSeconds,
  peakVus,
  PROFILES,
  scaleTarget,
  scheduleSeconds,
  type RampingScenario,
} from "../../k6/src/profiles";

const all = (profile: keyof typeof PROFILES, factor = 1) => buildScenarios(PROFILES[profile], SCENARIO_NAMES, factor);
const peaks = (scenarios: Record<string, RampingScenario>) =>
  Object.fromEntries(Object.entries(scenarios).map(([name, s]) => [name, peakVus(s)]));
const totalPeak = (scenarios: Record<string, RampingScenario>) =>
  Object.values(scenarios).reduce((n, s) => n + peakVus(s), 0);

describe("profiles", () => {
  it("local is the seed's schedule: peaks 100/50/200/150/50/300, staggered, about 20 minutes", () => {
    const local = all("local");
    expect(peaks(local)).toEqual({
      authentication: 100,
      mcp_connection: 50,
      tool_execution: 200,
      list_tools: 150,
      disconnect: 50,
      mixed_workload: 300,
    });
    expect(totalPeak(local)).toBe(850);
    expect(local.mixed_workload?.startTime).toBe("6m");
    expect(scheduleSeconds(local)).toBe(19 * 60);
    expect(maxRunSeconds(local)).toBeGreaterThanOrEqual(19 * 60);
    expect(maxRunSeconds(local)).toBeLessThanOrEqual(21 * 60);
    for (const [name, s] of Object.entries(local)) {
      expect(s.executor).toBe("ramping-vus");
      expect(s.exec).toBe(SCENARIO_EXEC[name as keyof typeof SCENARIO_EXEC]);
      expect(s.stages.at(-1)?.target).toBe(0);
    }
  });

  it("smoke runs every scenario at 1 VU and finishes under 60 s", () => {
    const smoke = all("smoke");
    expect(Object.keys(smoke)).toEqual([...SCENARIO_NAMES]);
    for (const s of Object.values(smoke)) expect(peakVus(s)).toBe(1);
    expect(maxRunSeconds(smoke)).toBeLessThan(60);
  });

  it("staging is half and production a tenth of local, same timings", () => {
    const local = all("local");
    const staging = all("staging");
    const production = all("production");
    expect(totalPeak(staging)).toBe(425);
    expect(peaks(production)).toEqual({
      authentication: 10,
      mcp_connection: 5,
      tool_execution: 20,
      list_tools: 15,
      disconnect: 5,
      mixed_workload: 30,
    });
    expect(scheduleSeconds(staging)).toBe(scheduleSeconds(local));
    expect(scheduleSeconds(production)).toBe(scheduleSeconds(local));
    expect(PROFILES.production.abortOnFail).toContain("http_req_failed");
  });

  it("VUS_FACTOR scales every stage target but never below 1 VU (ramp-downs stay 0)", () => {
    expect(scaleTarget(100, 0.001)).toBe(1);
    expect(scaleTarget(0, 5)).toBe(0);
    expect(scaleTarget(150, 2)).toBe(300);
    const tiny = all("local", 0.0001);
    for (const s of Object.values(tiny)) {
      for (const stage of s.stages) expect(stage.target === 0 || stage.target === 1).toBe(true);
      expect(peakVus(s)).toBe(1);
    }
    expect(totalPeak(all("local", 2))).toBe(1700);
  });

  it("a scenario filter keeps only those scenarios and shifts the earliest to start at 0", () => {
    const only = buildScenarios(PROFILES.local, ["list_tools", "mixed_workload"], 1);
    expect(Object.keys(only)).toEqual(["list_tools", "mixed_workload"]);
    expect(only.list_tools?.startTime).toBe("0s");
    expect(only.mixed_workload?.startTime).toBe("2m");
  });
});

describe("configuration from __ENV", () => {
  it("defaults to the local profile against localhost", () => {
    const config = loadConfig({}, new Date("2025-01-02T03:04:05Z"));
    expect(config.profile.name).toBe("local");
    expect(config.baseUrl).toBe("http://localhost:3284");
    expect(config.oauthBaseUrl).toBe("http://localhost:3000/api/mcp/oauth");
    expect(config.authUrl).toBe("http://localhost:3000/api/auth/token");
    expect(config.mcpUrl).toBe("http://localhost:3000/mcp");
    expect(config.scenarios).toEqual([...SCENARIO_NAMES]);
    expect(config.reportDir).toBe("reports");
    expect(config.testId).toBe("local-20250102T030405Z");
    expect(config.agentOnly).toBe(false);
  });

  it("SCENARIOS filters, in the suite's order; unknown names are refused", () => {
    expect(loadConfig({ SCENARIOS: "mixed_workload, authentication" }).scenarios).toEqual([
      "authentication",
      "mixed_workload",
    ]);
    expect(() => loadConfig({ SCENARIOS: "authentication,login" })).toThrow(/SCENARIOS has unknown login/);
  });

  it("AGENT_ONLY keeps the scenarios that make sense without the broker", () => {
    expect(loadConfig({ AGENT_ONLY: "true" }).scenarios).toEqual([...AGENT_ONLY_SCENARIOS]);
    expect(() => loadConfig({ AGENT_ONLY: "true", SCENARIOS: "disconnect" })).toThrow(/need the broker/);
  });

  it("production refuses to start without CONFIRM_PRODUCTION=yes", () => {
    expect(() => loadConfig({ PROFILE: "production" })).toThrow(ConfigError);
    expect(() => loadConfig({ PROFILE: "production", CONFIRM_PRODUCTION: "true" })).toThrow(/CONFIRM_PRODUCTION=yes/);
    expect(loadConfig({ PROFILE: "production", CONFIRM_PRODUCTION: "yes" }).profile.name).toBe("production");
  });

  it("every problem is reported on one readable line", () => {
    let message = "";
    try {
      loadConfig({ PROFILE: "prod", BASE_URL: "localhost:3284", VUS_FACTOR: "0", AGENT_ONLY: "maybe" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain("\n");
    expect(message).toMatch(/^invalid configuration: /);
    for (const part of [
      "PROFILE must be one of",
      "BASE_URL must be an http(s) URL",
      "VUS_FACTOR must be a positive",
      "AGENT_ONLY must be true or false",
    ]) {
      expect(message).toContain(part);
    }
  });

  it("trims trailing slashes and accepts custom URLs", () => {
    const config = loadConfig({ BASE_URL: "http://agent:3284/", MCP_URL: "https://broker.example/mcp" });
    expect(config.baseUrl).toBe("http://agent:3284");
    expect(config.mcpUrl).toBe("https://broker.example/mcp");
  });
});

describe("fleet targets (a real AgentAPI server drives one agent)", () => {
  it("BASE_URL alone is one server; every VU maps to it", () => {
    const { agents } = loadConfig({ BASE_URL: "http://agent:3284" });
    expect(agents).toEqual({ kind: "single", url: "http://agent:3284" });
    expect([1, 2, 77].map((vu) => agentUrlOf(agents, agentNumberForVu(agents, vu)))).toEqual(
      Array.from({ length: 3 }, () => "http://agent:3284"),
    );
  });

  it("a template with {agent} and AGENTS gives each VU its own agent, wrapping beyond the fleet", () => {
    const config = loadConfig({ AGENTAPI_URL_TEMPLATE: "http://stub:3284/agents/{agent}/", AGENTS: "3" });
    expect(config.agents).toEqual({ kind: "template", template: "http://stub:3284/agents/{agent}", agents: 3 });
    expect(config.baseUrl).toBe("http://stub:3284/agents/1");
    expect([1, 2, 3, 4].map((vu) => agentNumberForVu(config.agents, vu))).toEqual([1, 2, 3, 1]);
    expect(agentUrlOf(config.agents, 2)).toBe("http://stub:3284/agents/2");
    expect(agentCount(config.agents)).toBe(3);
  });

  it("AGENTAPI_URLS lists the servers", () => {
    const config = loadConfig({ AGENTAPI_URLS: "http://a:3284, http://b:3284/" });
    expect(agentCount(config.agents)).toBe(2);
    expect([1, 2, 3].map((vu) => agentUrlOf(config.agents, agentNumberForVu(config.agents, vu)))).toEqual([
      "http://a:3284",
      "http://b:3284",
      "http://a:3284",
    ]);
  });

  it("VU ids of a distributed run (k6 numbers them across instances) never share an agent", () => {
    const { agents } = loadConfig({ AGENTAPI_URL_TEMPLATE: "http://s/agents/{agent}", AGENTS: "10" });
    // Three runners of a 10-VU run (segments 0:1/3, 1/3:2/3, 2/3:1) got these ids from a real k6 v1.8.1.
    const runners = [
      [1, 4, 7, 10],
      [2, 5, 8],
      [3, 6, 9],
    ];
    const used = runners.flat().map((vu) => agentNumberForVu(agents, vu));
    expect(new Set(used).size).toBe(10);
  });

  it("bad fleet settings fail at start with one line", () => {
    const problem = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return "";
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
    };
    expect(problem({ AGENTAPI_URL_TEMPLATE: "http://stub:3284/agents", AGENTS: "3" })).toMatch(
      /must contain \{agent\}/,
    );
    expect(problem({ AGENTAPI_URL_TEMPLATE: "http://s/{agent}", AGENTS: "0" })).toMatch(
      /AGENTS must be a whole number ≥ 1/,
    );
    expect(problem({ AGENTAPI_URL_TEMPLATE: "http://s/{agent}", AGENTS: "2.5" })).toMatch(/AGENTS must be/);
    expect(problem({ AGENTS: "4" })).toMatch(/AGENTS needs AGENTAPI_URL_TEMPLATE/);
    expect(problem({ AGENTAPI_URLS: "http://a:1,,http://b:2" })).toMatch(/empty URL at position 2/);
    expect(problem({ AGENTAPI_URLS: "http://a:1", AGENTAPI_URL_TEMPLATE: "http://s/{agent}" })).toMatch(/not both/);
    expect(problem({ AGENTAPI_URL_TEMPLATE: "ftp://s/{agent}", AGENTS: "2" })).toMatch(/http\(s\) URL/);
    for (const message of [problem({ AGENTS: "x" })]) expect(message.split("\n")).toHaveLength(1);
  });
});
