// What a capacity search leaves: reports/<testid>/capacity.json (the plan, every step's numbers and verdict, every
// row's outcome per step) and a one-screen table for stdout.
import type { CapacityPlan } from "../../k6/src/capacity/plan";
import type { CapacityResult, StepResult } from "./verdict";

export const REPORT_VERSION = 1;

export function capacityJson(result: CapacityResult, plan: CapacityPlan, store: string): string {
  const document = {
    version: REPORT_VERSION,
    testid: result.testid,
    store,
    outcome: result.outcome,
    exitCode: result.exitCode,
    summary: result.summary,
    generator: result.generator,
    highestHeld: result.highestHeld === null ? null : { step: result.highestHeld.step, rate: result.highestHeld.rate },
    firstNotHeld:
      result.firstNotHeld === null
        ? null
        : {
            step: result.firstNotHeld.step,
            rate: result.firstNotHeld.rate,
            verdict: result.firstNotHeld.verdict,
            broke: result.firstNotHeld.broke,
          },
    plan: {
      mode: plan.mode,
      unit: "iterations/s of the mix",
      mix: plan.mix,
      stepSeconds: plan.stepSeconds,
      warmupSeconds: plan.warmupSeconds,
      maxVUs: plan.maxVUs,
      steps: plan.steps,
    },
    steps: result.steps,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

const ms = (v: number | null) => (v === null ? "–" : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const pct = (v: number | null) => (v === null ? "–" : `${(v * 100).toFixed(v < 0.1 ? 2 : 1)}%`);
const num = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

const COLUMNS = ["step", "it/s", "started", "req/s", "p95 ms", "p99 ms", "errors", "verdict"] as const;

function row(s: StepResult): string[] {
  return [
    String(s.step),
    num(s.rate),
    `${num(s.startedRate)} (${(s.delivered * 100).toFixed(0)}%)`,
    s.requestRate === null ? "–" : num(s.requestRate),
    ms(s.p95Ms),
    ms(s.p99Ms),
    pct(s.errorRate),
    s.verdict,
  ];
}

/** The table: one line per step, what broke under the first step that was not held, then the verdict. */
export function capacityTable(result: CapacityResult, plan: CapacityPlan): string {
  const cells = [COLUMNS.map(String), ...result.steps.map(row)];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((c) => (c[i] ?? "").length)));
  const line = (c: string[]) =>
    c.map((cell, i) => (i === c.length - 1 ? cell : cell.padStart(widths[i] ?? 0))).join("  ");
  const out = [
    `capacity: testid ${result.testid}, ${plan.steps.length} steps of ${plan.stepSeconds} s (first ${plan.warmupSeconds} s warm-up, not judged); ` +
      `mix ${Object.entries(plan.mix)
        .map(([name, share]) => `${name} ${((share ?? 0) * 100).toFixed(0)}%`)
        .join(", ")}`,
    "p95/p99: http_req_duration{kind:call} of the step's steady part; errors: http_req_failed",
    "",
    ...cells.map(line),
    "",
  ];
  for (const s of result.steps) {
    if (s.broke.length > 0) out.push(`step ${s.step} ${s.verdict}: ${s.broke.join("; ")}`);
  }
  const g = result.generator;
  out.push(
    `generator: ${g.droppedIterations} iterations dropped over the run (k6 dropped_iterations), ` +
      `at most ${g.vusMax ?? "–"} of ${g.poolSize} VUs`,
    "",
    `result: ${result.summary}`,
  );
  return `${out.join("\n")}\n`;
}
