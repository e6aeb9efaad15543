// The report renderers on a summary with passing and failing thresholds: JUnit XML that parses with one
// testcase per threshold, a self-contained HTML page naming every threshold, and the text summary.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { renderHtml } from "../../k6/src/reports/html";
import { renderReports } from "../../k6/src/reports/index";
import { renderJunit } from "../../k6/src/reports/junit";
import type { ReportMeta } from "../../k6/src/reports/meta";
import { thresholdResults, type SummaryData } from "../../k6/src/reports/summary-data";
import { renderText } from "../../k6/src/reports/text";
import { buildSummary } from "./harness/summary";
import type { MetricSample } from "./harness/types";

const meta: ReportMeta = {
  config: "profile=smoke scenarios=list_tools agentapi=http://localhost:3284 <script>",
  profile: "smoke",
  testId: "smoke-20250101T000000Z",
  eventsTransport: "xk6-sse",
  generatedAt: "2025-01-01T00:00:30.000Z",
};

function sample(
  metric: string,
  type: MetricSample["type"],
  value: number,
  tags: Record<string, string> = {},
): MetricSample {
  return { metric, type, value, tags: { scenario: "list_tools", group: "", ...tags }, time: 0 };
}

/** A small run: fast /status, one slow /messages (breaks its p95 limit), one failed check, a busy agent. */
function summary(): SummaryData {
  const samples: MetricSample[] = [];
  for (let i = 0; i < 20; i++) {
    samples.push(sample("http_req_duration", "trend", 5 + i, { endpoint: "status" }));
    samples.push(sample("http_reqs", "counter", 1, { endpoint: "status" }));
    samples.push(sample("http_req_failed", "rate", 0, { endpoint: "status" }));
    samples.push(sample("checks", "rate", 1, { check: "status: 200", group: "::agent status" }));
  }
  samples.push(sample("http_req_duration", "trend", 900, { endpoint: "messages" }));
  samples.push(sample("checks", "rate", 0, { check: "messages: ids ascending", group: "::conversation" }));
  samples.push(sample("agent_busy_total", "counter", 1));
  samples.push(sample("sse_time_to_first_event", "trend", 12));
  const thresholds = {
    http_req_duration: ["p(95)<500", "p(99)<2000"],
    "http_req_duration{endpoint:status}": ["p(95)<200"],
    "http_req_duration{endpoint:messages}": ["p(95)<300"],
    "http_req_duration{endpoint:upload}": [],
    checks: ["rate>0.99"],
    http_req_failed: ["rate<0.01"],
    timeout_count: ["count<1"],
  };
  return buildSummary(
    samples,
    { thresholds, summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "count"] },
    30_000,
  );
}

describe("report renderers", () => {
  const data = summary();
  const results = thresholdResults(data);

  it("the summary judges thresholds like k6 (the fixture has passes and failures)", () => {
    expect(results.length).toBe(7);
    const failed = results.filter((r) => !r.ok).map((r) => `${r.key} ${r.condition}`);
    expect(failed.sort()).toEqual(["checks rate>0.99", "http_req_duration{endpoint:messages} p(95)<300"]);
  });

  it("junit.xml is valid XML with one testcase per threshold, failures marked", () => {
    const xml = renderJunit(data, meta);
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml) as {
      testsuites: {
        tests: string;
        failures: string;
        testsuite: { testcase: Array<{ name: string; failure?: { message: string } }> };
      };
    };
    const cases = parsed.testsuites.testsuite.testcase;
    expect(cases).toHaveLength(results.length);
    expect(parsed.testsuites.tests).toBe(String(results.length));
    expect(parsed.testsuites.failures).toBe("2");
    for (const r of results) {
      const tc = cases.find((c) => c.name === `${r.key} ${r.condition}`);
      expect(tc, `${r.key} ${r.condition}`).toBeDefined();
      expect(tc?.failure !== undefined).toBe(!r.ok);
    }
    expect(cases.find((c) => c.name.startsWith("http_req_duration{endpoint:messages}"))?.failure?.message).toMatch(
      /p\(95\)=900\.00ms does not meet p\(95\)<300/,
    );
  });

  it("summary.html names every threshold, shows the verdict and has no external assets", () => {
    const html = renderHtml(data, meta);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("FAIL — 5 of 7 thresholds met");
    for (const r of results) {
      expect(html).toContain(r.key.replace(/&/g, "&amp;"));
      expect(html).toContain(r.condition.replace(/</g, "&lt;").replace(/>/g, "&gt;"));
    }
    expect(html).toContain("<svg");
    expect(html).toContain("agent_busy_total");
    // Nothing loaded from anywhere: no scripts, stylesheets, images, fonts or imports by URL.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    // Text from the run is escaped.
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;");
  });

  it("the text summary lists every threshold with ✓/✗ and the failed checks", () => {
    const text = renderText(data, meta, ["reports/summary.json"]);
    expect(text).toContain("agentapi-load FAILED: 5/7 thresholds met");
    expect(text).toMatch(/✗ http_req_duration\{endpoint:messages\}\s+p\(95\)<300\s+p\(95\)=900\.00ms/);
    expect(text).toMatch(/✓ checks|✗ checks/);
    expect(text).toContain("✗ messages: ids ascending: 1 failed of 1");
    expect(text).toContain("LATENCY BY ENDPOINT");
  });

  it("handleSummary's output map writes JSON, HTML and JUnit under REPORT_DIR plus stdout", () => {
    const out = renderReports(data, meta, "out/run1");
    expect(Object.keys(out).sort()).toEqual([
      "out/run1/junit.xml",
      "out/run1/summary.html",
      "out/run1/summary.json",
      "stdout",
    ]);
    expect(JSON.parse(out["out/run1/summary.json"] ?? "")).toEqual(JSON.parse(JSON.stringify(data)));
  });

  it("a passing run says PASS everywhere", () => {
    const passing: SummaryData = JSON.parse(JSON.stringify(data)) as SummaryData;
    for (const m of Object.values(passing.metrics)) {
      for (const t of Object.values(m.thresholds ?? {})) t.ok = true;
    }
    expect(renderHtml(passing, meta)).toContain("PASS — 7 of 7 thresholds met");
    expect(renderText(passing, meta, [])).toContain("agentapi-load PASSED: 7/7");
    expect(renderJunit(passing, meta)).not.toContain("<failure");
  });
});
