// A long run's dataset for the dashboard speed checks (scripts/bench-dashboards.ts, tests/dashboards/long-run.test.ts):
// what a full `local` profile run writes to InfluxDB over 20 minutes, in xk6-output-influxdb's schema.
//
// How it matches a real run:
//  - Series and per-iteration sample kinds come from a real journey run: recordRun() (the harness runs every journey
//    against the in-process target, healthy and struggling) gives, per scenario, the samples of its iterations —
//    every measurement, tag set (endpoint, status, method, group, observed_by, reason…) and value the journeys emit.
//    One iteration of scenario S in the long run replays those samples (cycling through them, samplesPerIteration
//    = S's samples / S's iterations in the harness run), so the (measurement, tag set) combinations and the mix of
//    sample kinds per request are the harness's. Samples without a scenario tag (vus, vus_max) are k6's
//    once-a-second gauges: one each per second.
//  - Load over time follows k6/src/profiles.ts: per scenario, VUs(t) of the `local` profile's ramping-vus plan
//    (linear between stage targets, from the scenario's startTime), over the first 20 minutes.
//  - The harness has no think time, so its iterations/s per VU are not k6's. The absolute rate is therefore one
//    factor for all scenarios, chosen so the dataset has `points` points: at the default 5.0 M that is the measured
//    size of a real 20-minute full local run (5.0 M points, 849 series); smaller datasets keep the same shape (same
//    series, same VU ramps, same mix) at a proportionally lower rate.
import { SCENARIO_NAMES, type ScenarioName } from "../../../k6/src/names";
import { PROFILES, vusAt } from "../../../k6/src/profiles";
import type { RunningInfluxd } from "./influxd";
import { toLineProtocol } from "./line-protocol";
import { prng } from "../../../tools/compare/stats";
import type { MetricSample } from "./journey-samples";

export const LONG_RUN_SECONDS = 20 * 60;
/** The measured size of a real 20-minute full local run. */
export const REAL_RUN_POINTS = 5_000_000;

/** VUs of a `local` plan at second t of the run. */
export function localVus(scenario: ScenarioName, t: number): number {
  return vusAt(PROFILES.local.plans[scenario], t);
}

interface ScenarioTemplate {
  samples: MetricSample[];
  perIteration: number;
}

/** Per scenario: the harness run's samples and how many of them one iteration emits. */
export function templatesOf(samples: readonly MetricSample[]): Map<string, ScenarioTemplate> {
  const byScenario = new Map<string, MetricSample[]>();
  for (const s of samples) {
    const scenario = s.tags.scenario;
    if (scenario === undefined) continue;
    byScenario.set(scenario, [...(byScenario.get(scenario) ?? []), s]);
  }
  const templates = new Map<string, ScenarioTemplate>();
  for (const [scenario, list] of byScenario) {
    const iterations = Math.max(1, list.filter((s) => s.metric === "iterations").length);
    templates.set(scenario, { samples: list, perIteration: list.length / iterations });
  }
  return templates;
}

export interface LongRunOptions {
  testid: string;
  /** epoch ms of the run's first second. */
  startMs: number;
  /** Points to write (≈; default REAL_RUN_POINTS). */
  points?: number;
  durationSeconds?: number;
  batchLines?: number;
  db: string;
  rp: string;
}

export interface LongRunStats {
  points: number;
  series: number;
  writeMs: number;
  startMs: number;
  endMs: number;
}

/** Where a long run goes, second by second: `add` each point, `second` after each second, `end` once. */
export interface LongRunSink {
  add(sample: MetricSample): void;
  second(endMs: number): Promise<void>;
  end(endMs: number): Promise<void>;
}

/** Writes the long run into InfluxDB, second by second, in batches. */
export async function writeLongRun(
  influx: RunningInfluxd,
  harnessSamples: readonly MetricSample[],
  opts: LongRunOptions,
): Promise<LongRunStats> {
  let batch: string[] = [];
  const series = new Set<string>();
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const lines = batch;
    batch = [];
    await influx.write(lines, opts.db, opts.rp);
  };
  const stats = await writeLongRunTo(
    {
      add(sample) {
        const line = toLineProtocol(sample);
        series.add(line.slice(0, line.indexOf(" ")));
        batch.push(line);
      },
      async second() {
        if (batch.length >= (opts.batchLines ?? 50_000)) await flush();
      },
      end: flush,
    },
    harnessSamples,
    opts,
  );
  return { ...stats, series: series.size };
}

/** The long run's points, in time order second by second, into any sink (InfluxDB's lines, k6's remote write). */
export async function writeLongRunTo(
  sink: LongRunSink,
  harnessSamples: readonly MetricSample[],
  opts: Omit<LongRunOptions, "db" | "rp">,
): Promise<LongRunStats> {
  const duration = opts.durationSeconds ?? LONG_RUN_SECONDS;
  const target = opts.points ?? REAL_RUN_POINTS;
  const templates = templatesOf(harnessSamples);
  const unscoped = [...new Map(harnessSamples.filter((s) => s.tags.scenario === undefined).map((s) => [s.metric, s]))];
  const scenarios = SCENARIO_NAMES.filter((s) => templates.has(s));

  // Σ_t Σ_S VUs_S(t) × perIteration_S is the points per (iteration/s per VU); scale to the target.
  let weight = 0;
  for (let t = 0; t < duration; t++)
    for (const s of scenarios) weight += localVus(s, t) * (templates.get(s) as ScenarioTemplate).perIteration;
  const rate = Math.max(0, target - unscoped.length * duration) / weight; // iterations per second per VU

  const rnd = prng(42);
  const cursor = new Map<string, number>();
  const carry = new Map<string, number>();
  let points = 0;
  const started = Date.now();
  const emit = (s: MetricSample, time: number): void => {
    sink.add({ ...s, tags: { ...s.tags, testid: opts.testid }, time });
    points++;
  };

  for (let t = 0; t < duration; t++) {
    const secondMs = opts.startMs + t * 1000;
    for (const [, s] of unscoped)
      emit({ ...s, value: Math.round(scenarios.reduce((n, sc) => n + localVus(sc, t), 0)) }, secondMs);
    for (const scenario of scenarios) {
      const template = templates.get(scenario) as ScenarioTemplate;
      const due = localVus(scenario, t) * rate * template.perIteration + (carry.get(scenario) ?? 0);
      const n = Math.floor(due);
      carry.set(scenario, due - n);
      let i = cursor.get(scenario) ?? 0;
      for (let k = 0; k < n; k++) {
        const s = template.samples[i % template.samples.length] as MetricSample;
        i++;
        // Sub-millisecond spread (ns precision comes from the fraction), so no two points of a series collide.
        emit(s, secondMs + rnd() * 1000);
      }
      cursor.set(scenario, i);
    }
    await sink.second(secondMs + 1000);
  }
  const endMs = opts.startMs + duration * 1000;
  await sink.end(endMs);
  return {
    points,
    series: 0,
    writeMs: Date.now() - started,
    startMs: opts.startMs,
    endMs,
  };
}
