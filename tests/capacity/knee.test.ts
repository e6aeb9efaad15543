// The capacity search in CI, with the harness (no real k6): one stepped arrival-rate run of list_tools (agent only:
// GET /status + GET /messages per iteration) against the reference target behind a proxy of KNOWN capacity — at
// most C requests at once, each S ms — so the target takes at most C/S requests/s, C/(2S) iterations/s, and past
// that requests queue and latency climbs through the SLO rows. The verdict, read back through tools/store from the
// run's own samples, must put the knee within ±20 % of that limit; and when the generator is starved on purpose
// (one VU for a rate it cannot start), it must say "generator-limited", not blame the target.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capacitySettings } from "../../tools/capacity/settings";
import { capacityJson, capacityTable } from "../../tools/capacity/report";
import { EXIT, judgeCapacity, type CapacityResult } from "../../tools/capacity/verdict";
import { createInfluxReader } from "../../tools/influx/index";
import { createInfluxStore } from "../../tools/store/index";
import { CAPACITY_ROW, collapsedRowPanels, loadCommittedDashboard } from "../dashboards/helpers/dashboard-model";
import { expandQuery } from "../dashboards/helpers/grafana-macros";
import { findInfluxd, startInfluxd, type InfluxSeries } from "../dashboards/helpers/influxd";
import { resolveVariables } from "../dashboards/helpers/resolve-variables";
import { toLineProtocol } from "../dashboards/helpers/line-protocol";
import { runArrivalRate, type JourneyRun } from "../k6/harness/index";
import { closedPortUrl, startTarget, type RunningStub } from "../k6/helpers";
import { startLimitedProxy, type LimitedProxy } from "./limited-proxy";
import { memoryReader } from "./memory-reader";

/** The known limit: 2 requests at once, 100 ms each → 20 requests/s → 10 iterations/s of 2 requests. */
const CONCURRENCY = 2;
const SERVICE_MS = 100;
const REQUESTS_PER_ITERATION = 2;
const AGENTS = 16;
/** 90 s steps × 0.045 = 4 s steps (1 s warm-up, 3 s judged). */
const TIME_SCALE = "0.045";

const INFLUXD = findInfluxd();
if (INFLUXD === undefined) console.warn("SKIP the real-InfluxDB reading in tests/capacity/knee.test.ts: no influxd");

describe("capacity search against a target of known capacity", () => {
  /** The knee run, read again from a real InfluxDB below. */
  let kneeRun: { run: JourneyRun; result: CapacityResult } | undefined;
  let stub: RunningStub;
  let proxy: LimitedProxy;
  let nowhere: string;

  beforeAll(async () => {
    stub = await startTarget({ agents: AGENTS });
    proxy = await startLimitedProxy(stub.agentApiUrl, CONCURRENCY, SERVICE_MS);
    nowhere = await closedPortUrl();
  });

  afterAll(async () => {
    await proxy?.close();
    await stub?.close();
  });

  async function search(
    testid: string,
    env: Record<string, string>,
  ): Promise<{ result: CapacityResult; run: JourneyRun }> {
    const fullEnv = {
      AGENT_ONLY: "true",
      SCENARIOS: "list_tools",
      AGENTAPI_URL_TEMPLATE: `${proxy.url}/agents/{agent}`,
      AGENTS: String(AGENTS),
      TIME_SCALE,
      TESTID: testid,
      ...env,
    };
    const run = await runArrivalRate({ agentApiUrl: proxy.url, brokerUrl: nowhere, env: fullEnv });
    expect(run.errors).toEqual([]);
    const { plan, rows } = capacitySettings({ ...run.env });
    const store = createInfluxStore(memoryReader(run.samples));
    const result = await judgeCapacity(store, testid, rows, plan);
    // The reports render from any result (what the CLI writes and prints).
    expect(JSON.parse(capacityJson(result, plan, store.description))).toMatchObject({
      testid,
      outcome: result.outcome,
    });
    console.log(capacityTable(result, plan));
    return { result, run };
  }

  it("finds the knee within ±20 % of the proxy's limit, and names the rows that broke", async () => {
    const knownIterationsPerSecond = proxy.limitPerSecond / REQUESTS_PER_ITERATION;
    const rates = [0.5, 0.7, 0.9, 1.1, 1.3].map((f) => f * knownIterationsPerSecond);
    const { result, run } = await search("capacity-knee", {
      CAPACITY_RATES: rates.join(","),
      CAPACITY_MAX_VUS: String(AGENTS),
    });
    kneeRun = { run, result };
    // Every sample of a VU carries its step (exec.vu.metrics.tags), and the steady part is told from the warm-up.
    const statuses = run.samples.filter((s) => s.metric === "http_req_duration" && s.tags.endpoint === "status");
    expect(statuses.length).toBeGreaterThan(0);
    expect(
      statuses.every((s) => /^[1-5]$/.test(s.tags.step ?? "") && /^(warmup|steady)$/.test(s.tags.phase ?? "")),
    ).toBe(true);

    expect(result.outcome).toBe("knee");
    expect(result.exitCode).toBe(EXIT.found);
    const knee = result.highestHeld?.rate ?? 0;
    expect(Math.abs(knee - knownIterationsPerSecond) / knownIterationsPerSecond).toBeLessThanOrEqual(0.2);
    expect(result.firstNotHeld?.verdict).toBe("target-limited");
    expect(result.firstNotHeld?.rate ?? 0).toBeGreaterThan(knownIterationsPerSecond);
    // What broke it: latency rows of the reads that queued at the proxy.
    expect(result.firstNotHeld?.broke.join(" ")).toMatch(/endpoint:status|endpoint:messages|idle_status_duration/);
    // The held steps really held: the generator started what they planned.
    for (const step of result.steps.filter((s) => s.verdict === "held")) expect(step.delivered).toBeGreaterThan(0.95);
  }, 120_000);

  it("says generator-limited, not target-limited, when the generator cannot start the planned rate", async () => {
    const knownIterationsPerSecond = proxy.limitPerSecond / REQUESTS_PER_ITERATION;
    // One VU: one iteration (two 100 ms reads) at a time, ≤ 5 iterations/s — below the target's 10.
    const { result } = await search("capacity-starved", {
      CAPACITY_RATES: [0.2, 0.8].map((f) => f * knownIterationsPerSecond).join(","),
      CAPACITY_MAX_VUS: "1",
    });
    expect(result.outcome).toBe("generator-limited");
    expect(result.exitCode).toBe(EXIT.generatorLimited);
    expect(result.steps.map((s) => s.verdict)).toEqual(["held", "generator-limited"]);
    expect(result.firstNotHeld?.broke.join(" ")).toMatch(/generator started \d+ % of the planned iterations/);
    // k6's own record agrees: iterations dropped, the one VU of the pool in use.
    expect(result.generator.droppedIterations).toBeGreaterThan(0);
    expect(result.generator).toMatchObject({ vusMax: 1, poolSize: 1 });
  }, 120_000);

  it.skipIf(INFLUXD === undefined)(
    "read from a real InfluxDB (xk6-output-influxdb's schema), the knee run gets the same verdicts",
    async () => {
      expect(kneeRun, "the knee run ran").toBeDefined();
      const { run, result } = kneeRun as { run: JourneyRun; result: CapacityResult };
      const influx = await startInfluxd(INFLUXD as string);
      try {
        await influx.query(`CREATE DATABASE "k6" WITH NAME "autogen"`);
        await influx.write(run.samples.map(toLineProtocol), "k6", "autogen");
        const { plan, rows } = capacitySettings({ ...run.env });
        const store = createInfluxStore(createInfluxReader({ url: influx.url, token: "t", envFile: null }));
        const again = await judgeCapacity(store, "capacity-knee", rows, plan);
        expect(again.steps.map((s) => s.verdict)).toEqual(result.steps.map((s) => s.verdict));
        expect(again.highestHeld?.step).toBe(result.highestHeld?.step);

        // The load dashboard's "Capacity search" row, its queries as Grafana sends them for this run: one series
        // per step, and the broken step's latency above the held ones'.
        const dashboard = loadCommittedDashboard();
        const variables = await resolveVariables((q) => influx.query(q, "k6"), dashboard, { testid: "capacity-knee" });
        const times = run.samples.map((s) => s.time);
        const range = { fromMs: Math.min(...times) - 1000, toMs: Math.max(...times) + 1000 };
        const row = collapsedRowPanels(dashboard, CAPACITY_ROW);
        const seriesOf = async (title: string) => {
          const target = row.find((p) => p.title === title)?.targets?.[0];
          expect(target, title).toBeDefined();
          const context = { ...range, maxDataPoints: 1000, minInterval: "1s", variables };
          return influx.query(expandQuery(target?.query ?? "", context), "k6");
        };
        const steps = (series: InfluxSeries[]) => series.map((x) => x.tags?.step).sort();
        expect(steps(await seriesOf("Iterations per second by capacity step"))).toEqual(["1", "2", "3", "4", "5"]);
        const p95 = await seriesOf("Request latency p95 by capacity step");
        expect(steps(p95)).toEqual(["1", "2", "3", "4", "5"]);
        const worst = (step: number) =>
          Math.max(...(p95.find((x) => x.tags?.step === String(step))?.values ?? []).map((v) => Number(v[1] ?? 0)));
        const broken = result.firstNotHeld?.step ?? 0;
        expect(worst(broken)).toBeGreaterThan(worst(1));
        expect(steps(await seriesOf("Failed requests by capacity step"))).toEqual(["1", "2", "3", "4", "5"]);
        expect((await seriesOf("Dropped iterations per second")).length).toBe(1);
      } finally {
        await influx.stop();
      }
    },
    60_000,
  );
});
