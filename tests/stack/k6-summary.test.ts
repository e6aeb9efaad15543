// .github/scripts/k6-summary.mjs: the load-tests workflow's job summary, rendered from k6's summary.json format.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "./repo";

const SCRIPT = ".github/scripts/k6-summary.mjs";
const scratch = mkdtempSync(join(tmpdir(), "agentapi-load-summary-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A summary in the shape k6 hands to handleSummary (and the suite writes as summary.json). */
function summary(breach: boolean): unknown {
  return {
    state: { testRunDurationMs: 61_500 },
    metrics: {
      http_reqs: { type: "counter", contains: "default", values: { count: 1234, rate: 20.1 } },
      http_req_failed: {
        type: "rate",
        contains: "default",
        values: { rate: 0.002, passes: 2, fails: 1232 },
        thresholds: { "rate<0.01": { ok: true } },
      },
      http_req_duration: {
        type: "trend",
        contains: "time",
        values: { avg: 42.5, "p(95)": 180.25, "p(99)": 1450, max: 2100 },
        thresholds: { "p(95)<500": { ok: true }, "p(99)<1000": { ok: !breach } },
      },
      "http_req_duration{endpoint:status}": {
        type: "trend",
        contains: "time",
        values: { avg: 3, "p(95)": 9 },
        thresholds: { "p(95)<200": { ok: true } },
      },
      checks: { type: "rate", contains: "default", values: { rate: 1, passes: 500, fails: 0 } },
      active_connections: { type: "gauge", contains: "default", values: { value: 3, min: 0, max: 12 } },
    },
  };
}

function render(data: unknown, testid = "20260101-020000-abcd") {
  const file = join(scratch, `summary-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(file, typeof data === "string" ? data : JSON.stringify(data));
  return run("node", [SCRIPT, file, testid]);
}

describe("k6-summary.mjs", () => {
  it("renders a passing run: verdict, every threshold as a row, headline metrics", () => {
    const result = render(summary(false));
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^## k6 load test: ✅ passed$/m);
    expect(result.stdout).toContain("testid `20260101-020000-abcd` · duration 62 s · 4 thresholds");
    expect(result.stdout).toContain("| `http_req_duration` | `p(95)<500` | ✅ pass |");
    expect(result.stdout).toContain("| `http_req_duration{endpoint:status}` | `p(95)<200` | ✅ pass |");
    expect(result.stdout).toContain("| `http_reqs` | 1234 (20.10/s) |");
    expect(result.stdout).toContain("| `http_req_failed` | 0.20 % |");
    expect(result.stdout).toContain(
      "| `http_req_duration` | avg 42.5 ms · p(95) 180.3 ms · p(99) 1.45 s · max 2.10 s |",
    );
  });

  it("marks breached thresholds and says how many", () => {
    const result = render(summary(true));
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^## k6 load test: ❌ 1 threshold\(s\) breached$/m);
    expect(result.stdout).toContain("| `http_req_duration` | `p(99)<1000` | ❌ fail |");
  });

  it("fails with one line on a missing or malformed file", () => {
    const missing = run("node", [SCRIPT, join(scratch, "nope.json")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toMatch(/^k6-summary: cannot read /);

    const malformed = render("{not json");
    expect(malformed.status).toBe(1);
    expect(malformed.stderr.trim().split("\n")).toHaveLength(1);

    const wrongShape = render({ hello: "world" });
    expect(wrongShape.status).toBe(1);
    expect(wrongShape.stderr).toMatch(/is not a k6 summary/);
  });
});
