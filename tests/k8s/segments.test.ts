// A distributed run's identities: k6-operator runs runner k of N on the execution segment (k-1)/N:k/N of
// 0,1/N,…,1, and k6 numbers each runner's VUs from its own stripe of the run (exec.vu.idInTest). Every identity the
// journeys send is a function of that id (user k6-vu-<id>, the VU's agent, the prompts), so it must stay unique
// across the runners — and the harness, running two instances of one run side by side against one fleet, must show
// no agent shared, no failed check, and each instance's reports in its own folder.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentNumberForVu, type AgentTargets } from "../../k6/src/config";
import { instanceOf, instanceReportDir } from "../../k6/src/instance";
import { SCENARIO_NAMES } from "../../k6/src/names";
import { buildScenarios, peakVus, PROFILES } from "../../k6/src/profiles";
import { runnerPlan } from "../../scripts/k8s-render";
import {
  executionTuple,
  operatorSegment,
  renderSummary,
  runJourneys,
  summarize,
  type JourneyRun,
} from "../k6/harness/index";
import { SegmentedIndex } from "../k6/harness/segments";
import { startTarget, type RunningStub } from "../k6/helpers";

/** The run-wide VU ids runner k of N gets for these per-scenario VU counts, in k6's allocation order. */
function runnerIds(k: number, n: number, vus: ReadonlyArray<number>): number[] {
  const flags = operatorSegment(k, n);
  const tuple = executionTuple(flags?.executionSegment, flags?.executionSegmentSequence);
  const index = new SegmentedIndex(tuple.stripe);
  const count = vus.reduce((sum, v) => sum + tuple.scale(v), 0);
  return Array.from({ length: count }, () => index.next().unscaled);
}

const fleet = (agents: number): AgentTargets => ({ kind: "template", template: "http://ws-{agent}/agentapi", agents });

describe("identities across the runners of a k6-operator run", () => {
  it("generates k6-operator's segment flags: 0,1/N,…,1 and (k-1)/N:k/N, none for one runner", () => {
    expect(operatorSegment(1, 1)).toBeUndefined();
    expect(operatorSegment(1, 3)).toEqual({ executionSegment: "0:1/3", executionSegmentSequence: "0,1/3,2/3,1" });
    expect(operatorSegment(3, 3)).toEqual({ executionSegment: "2/3:1", executionSegmentSequence: "0,1/3,2/3,1" });
    expect(operatorSegment(2, 4)?.executionSegment).toBe("1/4:2/4");
    expect(() => operatorSegment(5, 4)).toThrow(/exceeds/);
  });

  it("numbers VUs as k6 v1.8.1 did for three runners of 10 VUs: {1,4,7,10}, {2,5,8}, {3,6,9}", () => {
    expect([1, 2, 3].map((k) => runnerIds(k, 3, [10]))).toEqual([
      [1, 4, 7, 10],
      [2, 5, 8],
      [3, 6, 9],
    ]);
  });

  it("keeps idInTest, user ids and agents unique for 1..16 runners of every profile", () => {
    for (const profile of Object.values(PROFILES)) {
      const peaks = Object.values(buildScenarios(profile, SCENARIO_NAMES, 1)).map(peakVus);
      const total = peaks.reduce((a, b) => a + b, 0);
      for (let n = 1; n <= Math.min(16, total); n++) {
        const ids = Array.from({ length: n }, (_, i) => runnerIds(i + 1, n, peaks));
        const all = ids.flat();
        expect(all, `${profile.name} ×${n}`).toHaveLength(total);
        expect(new Set(all).size, `${profile.name} ×${n}: idInTest`).toBe(total);
        expect(new Set(all.map((id) => `k6-vu-${id}`)).size, `${profile.name} ×${n}: user ids`).toBe(total);
        // Agents: distinct with a fleet that covers the largest id (what k8s-render checks and prints).
        const { largest } = runnerPlan(peaks, n);
        expect(Math.max(...all), `${profile.name} ×${n}: largest id`).toBe(largest);
        const agents = all.map((id) => agentNumberForVu(fleet(largest), id));
        expect(new Set(agents).size, `${profile.name} ×${n}: agents`).toBe(total);
      }
    }
  });

  it("needs a fleet larger than the run's VUs when runners round each scenario up", () => {
    const peaks = Object.values(buildScenarios(PROFILES.local, SCENARIO_NAMES, 1)).map(peakVus);
    const all = Array.from({ length: 16 }, (_, i) => runnerIds(i + 1, 16, peaks)).flat();
    expect(all).toHaveLength(1000);
    expect(Math.max(...all)).toBeGreaterThan(1000);
    // With AGENTS = the VU total, the ids past 1000 wrap onto agents other VUs already drive.
    expect(new Set(all.map((id) => agentNumberForVu(fleet(1000), id))).size).toBeLessThan(1000);
  });

  it("names each instance's report folder after its place in the sequence", () => {
    expect(instanceOf(null, null)).toBeNull();
    expect(instanceOf("0:1", null)).toBeNull();
    expect(instanceOf("0:1", "0,1")).toBeNull();
    for (let n = 2; n <= 16; n++) {
      for (let k = 1; k <= n; k++) {
        // As k6 reports them in exec.test.options (reduced fractions).
        const tuple = executionTuple(
          operatorSegment(k, n)!.executionSegment,
          operatorSegment(k, n)!.executionSegmentSequence,
        );
        const instance = instanceOf(tuple.executionSegment, tuple.executionSegmentSequence);
        expect(instance, `${k}/${n}`).toMatchObject({ index: k, count: n, folder: `instance-${k}` });
        expect(instanceReportDir("reports/run-1", instance)).toBe(`reports/run-1/instance-${k}`);
      }
    }
    // Without a sequence the position is ambiguous: the folder names the segment itself.
    expect(instanceOf("1/3:2/3", null)?.folder).toBe("segment-1_3-2_3");
    expect(instanceOf("1/2", null)?.folder).toBe("segment-0-1_2");
  });
});

describe("two instances of one run against one fleet (harness)", () => {
  // The whole run's VUs per scenario; each instance runs its share (k6's ScaleInt64).
  const VUS = { agent_conversation: 4, tool_execution: 3, mixed_workload: 2, authentication: 1 };
  const TOTAL = Object.values(VUS).reduce((a, b) => a + b, 0);
  const TESTID = "segments-check";
  const segments = [operatorSegment(1, 2)!, operatorSegment(2, 2)!];
  let stub: RunningStub;
  let agents: number;
  let runs: JourneyRun[];

  beforeAll(async () => {
    agents = runnerPlan(Object.values(VUS), 2).largest;
    stub = await startTarget({ agents });
    runs = await Promise.all(
      segments.map((segment, i) =>
        runJourneys({
          agentApiUrl: stub.agentApiUrl,
          brokerUrl: stub.brokerUrl,
          scenarios: Object.keys(VUS),
          vus: VUS,
          iterations: 2,
          ...segment,
          // What k6-operator and the TestRun add to every runner's command line.
          tags: { testid: TESTID, instance_id: String(i + 1) },
          env: {
            PROFILE: "local",
            TESTID,
            REPORT_DIR: `reports/${TESTID}`,
            AGENTAPI_URL_TEMPLATE: `${stub.agentApiUrl}/agents/{agent}`,
            AGENTS: String(agents),
          },
          timeoutMs: 90_000,
        }),
      ),
    );
  }, 150_000);

  afterAll(async () => {
    await stub?.close();
  });

  it("runs both instances without errors or failed checks, every sample tagged with the one testid", () => {
    for (const run of runs) {
      expect(run.errors).toEqual([]);
      expect(run.failedChecks).toBe(0);
      expect(run.passedChecks).toBeGreaterThan(0);
      expect(run.samples.filter((s) => s.tags.testid !== TESTID)).toEqual([]);
    }
  });

  it("splits the run's VUs between the instances with k6's striping", () => {
    const [one, two] = runs.map((run) => run.vus);
    expect(one!.length + two!.length).toBe(TOTAL);
    expect(one!.map((v) => v.idInTest)).toEqual([1, 3, 5, 7, 9, 11]);
    expect(two!.map((v) => v.idInTest)).toEqual([2, 4, 6, 8]);
    expect(one!.map((v) => v.idInInstance)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(two!.map((v) => v.idInInstance)).toEqual([1, 2, 3, 4]);
  });

  it("gives each VU its own agent and shares none between the instances", () => {
    const agentsOf = (run: JourneyRun) =>
      run.vus.map((vu) => {
        const requested = new Set(vu.requested.flatMap((r) => /\/agents\/(\d+)\//.exec(r)?.[1] ?? []).map(Number));
        return { vu: vu.idInTest, requested: [...requested] };
      });
    const [one, two] = runs.map(agentsOf);
    for (const { vu, requested } of [...one!, ...two!]) {
      // Every journey here reads its agent's status at least; each VU talks to its own agent only.
      expect(requested, `VU ${vu}`).toEqual([agentNumberForVu(fleet(agents), vu)]);
    }
    const used = (side: typeof one) => new Set(side!.flatMap((a) => a.requested));
    const shared = [...used(one)].filter((a) => used(two).has(a));
    expect(shared).toEqual([]);
    expect(used(one).size + used(two).size).toBe(TOTAL);
  });

  it("writes each instance's reports to its own folder under the run's testid", async () => {
    const outputs = await Promise.all(runs.map((run) => renderSummary(summarize(run), run.env)));
    outputs.forEach((out, i) => {
      const folder = `reports/${TESTID}/instance-${i + 1}`;
      expect(Object.keys(out).sort()).toEqual(
        ["stdout", `${folder}/junit.xml`, `${folder}/summary.html`, `${folder}/summary.json`].sort(),
      );
      expect(out.stdout).toContain(`instance=${i + 1}/2`);
      expect(out[`${folder}/summary.html`]).toContain(TESTID);
    });
  });
});
