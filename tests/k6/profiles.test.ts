// Profiles and configuration: the schedules' numbers, SCENARIOS/VUS_FACTOR/AGENT_ONLY handling, and the
// one-line refusals (bad values, production without confirmation).
import { describe, expect, it } from "vitest";
import { agentCount, agentNumberForVu, agentUrlOf, ConfigError, loadConfig } from "../../k6/src/config";
import { parseDuration } from "../../k6/src/lib/duration";
import { AGENT_ONLY_SCENARIOS, SCENARIO_EXEC, SCENARIO_NAMES } from "../../k6/src/names";
import {
  buildScenarios,
  maxRunSeconds,
  peakVus,
  PROFILES,
  scaleSeconds,
  scaleTarget,
  scheduleSeconds,
  vusAt,
  type RampingScenario,
} from "../../k6/src/profiles";

const all = (profile: keyof typeof PROFILES, factor = 1) => buildScenarios(PROFILES[profile], SCENARIO_NAMES, factor);
const peaks = (scenarios: Record<string, RampingScenario>) =>
  Object.fromEntries(Object.entries(scenarios).map(([name, s]) => [name, peakVus(s)]));
const totalPeak = (scenarios: Record<string, RampingScenario>) =>
  Object.values(scenarios).reduce((n, s) => n + peakVus(s), 0);

describe("profiles", () => {
  it("local is the seed's schedule (peaks 100/50/200/150/50/300) plus the agent journeys, about 20 minutes", () => {
    const local = all("local");
    expect(peaks(local)).toEqual({
      authentication: 100,
      mcp_connection: 50,
      tool_execution: 200,
      list_tools: 150,
      disconnect: 50,
      mixed_workload: 300,
      agent_conversation: 100,
      event_watchers: 50,
    });
    expect(totalPeak(local)).toBe(1000);
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
    expect(totalPeak(staging)).toBe(500);
    expect(peaks(production)).toEqual({
      authentication: 10,
      mcp_connection: 5,
      tool_execution: 20,
      list_tools: 15,
      disconnect: 5,
      mixed_workload: 30,
      agent_conversation: 10,
      event_watchers: 5,
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
    expect(totalPeak(all("local", 2))).toBe(2000);
  });

  it("a scenario filter keeps only those scenarios and shifts the earliest to start at 0", () => {
    const only = buildScenarios(PROFILES.local, ["list_tools", "mixed_workload"], 1);
    expect(Object.keys(only)).toEqual(["list_tools", "mixed_workload"]);
    expect(only.list_tools?.startTime).toBe("0s");
    expect(only.mixed_workload?.startTime).toBe("2m");
  });
});

describe("vusAt: a plan's VUs over time, as k6 ramps them", () => {
  const plan = {
    startTime: "10s",
    startVUs: 0,
    stages: [
      { duration: "20s", target: 40 },
      { duration: "10s", target: 0 },
    ],
  };

  it("is 0 before the start, linear within each stage, and 0 once the last stage is over", () => {
    expect([0, 9.9, 10, 20, 30, 35, 40, 41].map((t) => vusAt(plan, t))).toEqual([0, 0, 0, 20, 40, 20, 0, 0]);
  });

  it("follows the local profile's peak exactly where the plan puts it", () => {
    const p = PROFILES.local.plans.mixed_workload;
    const peakAt = parseDuration(p.startTime) + p.stages.slice(0, 2).reduce((n, s) => n + parseDuration(s.duration), 0);
    expect(vusAt(p, peakAt)).toBe(p.stages[1]?.target);
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

describe("TIME_SCALE: the same profile shape in a fraction of the time", () => {
  const seconds = (text: string) => parseDuration(text);

  it("local at 0.1 keeps every stage and target, with every duration a tenth (whole seconds)", () => {
    const full = all("local");
    const tenth = buildScenarios(PROFILES.local, SCENARIO_NAMES, 1, 0.1);
    expect(Object.keys(tenth)).toEqual(Object.keys(full));
    for (const [name, s] of Object.entries(full)) {
      const t = tenth[name]!;
      expect(t.exec, name).toBe(s.exec);
      expect(t.startVUs, name).toBe(s.startVUs);
      expect(
        t.stages.map((stage) => stage.target),
        name,
      ).toEqual(s.stages.map((stage) => stage.target));
      expect(
        t.stages.map((stage) => seconds(stage.duration)),
        name,
      ).toEqual(s.stages.map((stage) => Math.max(1, Math.round(seconds(stage.duration) / 10))));
      expect(seconds(t.startTime), name).toBe(Math.round(seconds(s.startTime) / 10));
      expect(seconds(t.gracefulRampDown), name).toBe(Math.round(seconds(s.gracefulRampDown) / 10));
      expect(seconds(t.gracefulStop), name).toBe(Math.round(seconds(s.gracefulStop) / 10));
      for (const text of [t.startTime, t.gracefulRampDown, t.gracefulStop, ...t.stages.map((x) => x.duration)]) {
        expect(text, name).toMatch(/^(\d+m)?(\d+s)?$/);
      }
    }
    expect(totalPeak(tenth)).toBe(totalPeak(full));
    expect(Math.abs(maxRunSeconds(tenth) - maxRunSeconds(full) / 10)).toBeLessThanOrEqual(2);
    expect(Math.abs(scheduleSeconds(tenth) - scheduleSeconds(full) / 10)).toBeLessThanOrEqual(2);
  });

  it("rounds to whole seconds and never below 1 s for a non-zero duration; 1 leaves the plan untouched", () => {
    expect(scaleSeconds(60, 0.1)).toBe(6);
    expect(scaleSeconds(30, 0.05)).toBe(2);
    expect(scaleSeconds(40, 0.001)).toBe(1);
    expect(scaleSeconds(0, 0.1)).toBe(0);
    const tiny = buildScenarios(PROFILES.smoke, SCENARIO_NAMES, 1, 0.001);
    for (const s of Object.values(tiny)) {
      expect(s.startTime).toBe("0s");
      for (const text of [s.gracefulRampDown, s.gracefulStop, ...s.stages.map((x) => x.duration)]) {
        expect(text).toBe("1s");
      }
    }
    expect(buildScenarios(PROFILES.local, SCENARIO_NAMES, 1, 1)).toEqual(all("local"));
  });

  it("a scenario filter still starts the earliest at 0, the others at their scaled offset", () => {
    const only = buildScenarios(PROFILES.local, ["list_tools", "mixed_workload"], 1, 0.1);
    expect(only.list_tools?.startTime).toBe("0s");
    expect(only.mixed_workload?.startTime).toBe("12s");
  });

  it("the configuration reads TIME_SCALE in (0, 1] and refuses anything else in one line", () => {
    expect(loadConfig({}).timeScale).toBe(1);
    expect(loadConfig({ TIME_SCALE: "0.1" }).timeScale).toBe(0.1);
    expect(loadConfig({ TIME_SCALE: " 1 " }).timeScale).toBe(1);
    for (const bad of ["0", "-0.5", "1.5", "abc", "Infinity"]) {
      let message = "";
      try {
        loadConfig({ TIME_SCALE: bad });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message, bad).toBe(
        `invalid configuration: TIME_SCALE must be a number in (0, 1], e.g. 0.1 (got "${bad}")`,
      );
    }
  });
});

describe("fleet targets with an explicit BASE_URL (one real server)", () => {
  it("BASE_URL with AGENTAPI_URL_TEMPLATE and AGENTS passed empty (what run-tests.sh does) is one server", () => {
    const config = loadConfig({ BASE_URL: "http://host.docker.internal:3284", AGENTAPI_URL_TEMPLATE: "", AGENTS: "" });
    expect(config.agents).toEqual({ kind: "single", url: "http://host.docker.internal:3284" });
    expect(config.baseUrl).toBe("http://host.docker.internal:3284");
  });
});
