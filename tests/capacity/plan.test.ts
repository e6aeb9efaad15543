// The capacity plan as k6 runs it and the tools read it: the default fits ~10 steps in 15 minutes, TIME_SCALE
// shortens everything, the steps are ramping-arrival-rate stages held per step, a sample's step and phase follow
// from its iteration's start, and bad input is one line. Plus the verdict's edge: a run without step tags.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../k6/src/config";
import { CapacityPlanError, loadCapacityPlan, stepAt, type CapacityPlan } from "../../k6/src/capacity/plan";
import { capacitySettings } from "../../tools/capacity/settings";
import { EXIT, judgeCapacity } from "../../tools/capacity/verdict";
import { createInfluxStore } from "../../tools/store/index";
import { loadOptions } from "../k6/harness/index";
import { memoryReader } from "./memory-reader";

const ENV = { AGENT_ONLY: "true", SCENARIOS: "list_tools,tool_execution", BASE_URL: "http://127.0.0.1:9" };

function plan(env: Record<string, string>): CapacityPlan {
  const all = { ...ENV, CAPACITY: "rate", ...env };
  return loadCapacityPlan(all, loadConfig(all)) as CapacityPlan;
}

describe("capacity plan", () => {
  it("by default: 10 steps of 90 s (15 min), the first 30 s of each a warm-up, up to 50 iterations/s", () => {
    const p = plan({});
    expect(p.steps).toHaveLength(10);
    expect(p.stepSeconds).toBe(90);
    expect(p.warmupSeconds).toBe(30);
    expect(p.steps.map((s) => s.rate)).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
    expect((p.steps.at(-1)?.endS ?? 0) / 60).toBe(15);
  });

  it("the default mix (SCENARIOS unset) leaves the minute-long watchers out, so 10 steps still fit 15 minutes", () => {
    const p = plan({ SCENARIOS: "", AGENT_ONLY: "false" });
    expect(Object.keys(p.mix)).not.toContain("event_watchers");
    expect(Object.keys(p.mix)).toContain("agent_conversation");
    expect(p.stepSeconds * p.steps.length).toBe(15 * 60);
    // Named, they are in.
    expect(Object.keys(plan({ SCENARIOS: "event_watchers,list_tools" }).mix)).toContain("event_watchers");
  });

  it("TIME_SCALE shortens steps and warm-up alike (whole seconds, ≥ 1 s)", () => {
    const p = plan({ TIME_SCALE: "0.1" });
    expect(p.stepSeconds).toBe(9);
    expect(p.warmupSeconds).toBe(3);
  });

  it("a step is at least 3 of the mix's slowest iterations (think times included)", () => {
    const p = plan({ SCENARIOS: "agent_conversation" });
    expect(p.stepSeconds).toBeGreaterThanOrEqual(3 * p.slowestIterationS);
    expect(p.warmupSeconds).toBeGreaterThanOrEqual(p.slowestIterationS);
  });

  it("each scenario is a ramping-arrival-rate held per step at its share of the mix, per minute", () => {
    const p = plan({ CAPACITY_RATES: "2,4", CAPACITY_MIX: "list_tools=3,tool_execution=1", CAPACITY_MAX_VUS: "20" });
    expect(p.mix).toEqual({ list_tools: 0.75, tool_execution: 0.25 });
    expect(p.scenarios.list_tools).toMatchObject({
      executor: "ramping-arrival-rate",
      exec: "listTools",
      timeUnit: "60s",
      startRate: 90,
      maxVUs: 15,
      preAllocatedVUs: 15,
      stages: [
        { duration: "90s", target: 90 },
        { duration: "1s", target: 180 },
        { duration: "89s", target: 180 },
      ],
    });
    expect(p.maxVUs.tool_execution).toBe(5);
  });

  it("a sample's step and phase: warm-up first, then steady, the last step's after the schedule is warm-up", () => {
    const p = plan({ CAPACITY_RATES: "1,2" });
    expect(stepAt(p, 0)).toEqual({ step: 1, phase: "warmup" });
    expect(stepAt(p, 29.9)).toEqual({ step: 1, phase: "warmup" });
    expect(stepAt(p, 30)).toEqual({ step: 1, phase: "steady" });
    expect(stepAt(p, 90)).toEqual({ step: 2, phase: "warmup" });
    expect(stepAt(p, 179)).toEqual({ step: 2, phase: "steady" });
    expect(stepAt(p, 185)).toEqual({ step: 2, phase: "warmup" });
  });

  it("bad input stops with one line naming every problem", () => {
    for (const [env, message] of [
      [{ CAPACITY_RATES: "4,2" }, /CAPACITY_RATES must rise/],
      [{ CAPACITY_RATES: "1,x" }, /CAPACITY_RATES must be positive numbers/],
      [{ CAPACITY_MAX_VUS: "0" }, /CAPACITY_MAX_VUS must be a positive whole number/],
      [{ CAPACITY_MIX: "nope=1" }, /CAPACITY_MIX names "nope"/],
      [{ CAPACITY: "vus" }, /CAPACITY must be "rate"/],
    ] as const) {
      const error = (() => {
        try {
          plan(env);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(CapacityPlanError);
      expect((error as Error).message).toMatch(/^invalid capacity plan: /);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain("\n");
    }
  });

  it("k6 reads the plan: arrival-rate scenarios, and no pass/fail thresholds (the verdict is per step)", async () => {
    const options = await loadOptions({ ...ENV, CAPACITY_RATES: "1,2", TESTID: "capacity-options" });
    expect(Object.values(options.scenarios ?? {}).map((s) => s.executor)).toEqual([
      "ramping-arrival-rate",
      "ramping-arrival-rate",
    ]);
    expect(Object.values(options.thresholds ?? {}).every((list) => list.length === 0)).toBe(true);
    // Without CAPACITY_* the suite's own profile runs, as before.
    const usual = await loadOptions({ ...ENV, TESTID: "usual" });
    expect(Object.values(usual.scenarios ?? {}).every((s) => s.executor === "ramping-vus")).toBe(true);
  });

  it("the verdict on a run without step tags: no samples, exit 3", async () => {
    const { plan: p, rows } = capacitySettings({ ...ENV, CAPACITY_RATES: "1,2" });
    const tags = { testid: "not-capacity", endpoint: "status", kind: "call" };
    const samples = [1, 2, 3].map((i) => ({
      metric: "http_req_duration",
      type: "trend" as const,
      value: 5,
      tags,
      time: i,
    }));
    const result = await judgeCapacity(createInfluxStore(memoryReader(samples)), "not-capacity", rows, p);
    expect(result.outcome).toBe("no-samples");
    expect(result.exitCode).toBe(EXIT.noSamples);
  });
});
