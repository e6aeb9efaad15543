// The report renderers on a summary with passing and failing thresholds: JUnit XML that parses with one
// testcase per threshold, a self-contained HTML page naming every threshold, and the text summary; the custom
// counters k6 leaves out without samples shown as 0; thresholds on empty metrics shown as "no samples"; the
// Agents section.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { renderHtml } from "../../k6/src/reports/html";
import { renderReports } from "../../k6/src/reports/index";
import { renderJunit } from "../../k6/src/reports/junit";
import type { ReportMeta } from "../../k6/src/reports/meta";
import { thresholdResults, withZeroCounters, type SummaryData } from "../../k6/src/reports/summary-data";
import { renderText } from "../../k6/src/reports/text";
import { buildK6Thresholds } from "../../k6/src/thresholds";
import { buildSummary } from "./harness/summary";
import type { MetricSample } from "./harness/types";

const meta: ReportMeta = {
  config: "profile=smoke scenarios=list_tools agentapi=http://localhost:3284 <script>",
  profile: "smoke",
  testId: "smoke-20250101T000000Z",
  eventsTransport: "xk6-sse",
  generatedAt: "2025-01-01T00:00:30.000Z",
  promptBudget: 40,
  setupCompleted: true,
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
    // k6's data as is, plus the custom counters it left out (no samples) as zeros.
    expect(JSON.parse(out["out/run1/summary.json"] ?? "")).toEqual(JSON.parse(JSON.stringify(withZeroCounters(data))));
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

  it("a run that setup stopped says ABORTED, not a pass on thresholds no journey fed", () => {
    const passing: SummaryData = JSON.parse(JSON.stringify(data)) as SummaryData;
    for (const m of Object.values(passing.metrics)) {
      for (const t of Object.values(m.thresholds ?? {})) t.ok = true;
    }
    const aborted = { ...meta, setupCompleted: false };
    expect(renderText(passing, aborted, [])).toContain("agentapi-load ABORTED in setup: no VU ran");
    expect(renderText(passing, aborted, [])).not.toContain("PASSED");
    expect(renderHtml(passing, aborted)).toContain("ABORTED — setup stopped the run");
    expect(renderHtml(passing, aborted)).not.toContain("PASS —");
    expect(renderJunit(passing, aborted)).toContain('name="setup" value="aborted: no VU ran"');
  });
});

interface JunitCase {
  name: string;
  failure?: { message: string };
  skipped?: { message: string };
  "system-out"?: string;
}
interface JunitDoc {
  testsuites: {
    tests: string;
    failures: string;
    testsuite: {
      tests: string;
      failures: string;
      skipped: string;
      properties: { property: Array<{ name: string; value: string }> };
      testcase: JunitCase[];
      "system-out": string;
    };
  };
}

function parseJunit(xml: string): JunitDoc {
  expect(XMLValidator.validate(xml)).toBe(true);
  return new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml) as JunitDoc;
}

function propertiesOf(doc: JunitDoc): Record<string, string> {
  return Object.fromEntries(doc.testsuites.testsuite.properties.property.map((p) => [p.name, p.value]));
}

const COUNTERS_THAT_MUST_SHOW = [
  "timeout_count",
  "connection_failures",
  "agent_turn_failures",
  "agent_busy_total",
  "sse_streams_dropped",
];

describe("custom counters without samples", () => {
  const data = summary();

  it("k6 leaves them out; the reports add them in k6's counter shape, marked synthesized", () => {
    // The fixture's run fed no connection failure, turn failure or dropped stream (timeout_count is in because its
    // threshold names it; agent_busy_total got a sample).
    for (const name of ["connection_failures", "agent_turn_failures", "sse_streams_dropped", "watcher_events"]) {
      expect(data.metrics[name], name).toBeUndefined();
    }
    const json = JSON.parse(renderReports(data, meta, "r")["r/summary.json"] ?? "") as SummaryData;
    for (const name of COUNTERS_THAT_MUST_SHOW) expect(json.metrics[name]?.type, name).toBe("counter");
    for (const name of ["connection_failures", "agent_turn_failures", "sse_streams_dropped", "agent_turns"]) {
      expect(json.metrics[name], name).toEqual({
        type: "counter",
        contains: "default",
        values: { count: 0, rate: 0 },
        synthesized: true,
      });
    }
    // What k6 reported stays as it was; trends and rates without samples are not invented.
    expect(json.metrics.agent_busy_total).toEqual(data.metrics.agent_busy_total);
    expect(json.metrics.agent_busy_total?.synthesized).toBeUndefined();
    expect(json.metrics.timeout_count).toEqual(data.metrics.timeout_count);
    for (const name of ["agent_turn_duration", "sse_delivery_lag", "auth_success_rate", "active_connections"]) {
      expect(json.metrics[name], name).toBeUndefined();
    }
    // withZeroCounters does not modify its input.
    expect(data.metrics.connection_failures).toBeUndefined();
  });

  it("they read 0 in the text summary, summary.html and JUnit", () => {
    const text = renderText(data, meta, []);
    for (const name of COUNTERS_THAT_MUST_SHOW.filter((n) => n !== "agent_busy_total")) {
      expect(text, name).toMatch(new RegExp(`\\n  ${name}\\s+0\\n`));
    }
    expect(text).toMatch(/\n {2}agent_busy_total\s+1\n/);

    const html = renderHtml(data, meta);
    for (const name of COUNTERS_THAT_MUST_SHOW.filter((n) => n !== "agent_busy_total")) {
      expect(html, name).toContain(`<tr><td>${name}</td><td>counter</td><td>0 (0.00/s)</td>`);
    }

    const props = propertiesOf(parseJunit(renderJunit(data, meta)));
    for (const name of COUNTERS_THAT_MUST_SHOW) {
      expect(props[`counter.${name}`], name).toBe(name === "agent_busy_total" ? "1" : "0");
    }
  });
});

/** An agent_conversation + event_watchers run: turns, first outputs seen both ways, failures, watchers. */
function agentSummary(): SummaryData {
  const samples: MetricSample[] = [];
  const s = (metric: string, type: MetricSample["type"], value: number, tags: Record<string, string> = {}) =>
    samples.push(sample(metric, type, value, { scenario: "agent_conversation", ...tags }));
  for (let i = 1; i <= 10; i++) {
    s("agent_turn_duration", "trend", 2000 + i * 100);
    s("agent_turns", "counter", 1);
    s("agent_first_output", "trend", 100 + i * 10, { observed_by: i % 2 === 0 ? "sse" : "poll" });
    s("http_req_duration", "trend", 50, { endpoint: "message" });
  }
  s("agent_turn_failures", "counter", 1, { reason: "not_stable" });
  s("agent_busy_total", "counter", 1);
  s("prompts_sent", "counter", 12);
  s("prompts_withheld", "counter", 3);
  for (let i = 0; i < 4; i++) {
    s("watcher_events", "counter", 5, { scenario: "event_watchers", observed_by: "sse" });
    s("sse_delivery_lag", "trend", 10 + i, { scenario: "event_watchers", observed_by: "sse" });
  }
  const thresholds = {
    // The suite's breakdown keys (agent_first_output by observed_by among them), as main.ts builds them.
    ...buildK6Thresholds([], ["agent_conversation", "event_watchers"]),
    "http_req_duration{endpoint:message}": ["p(95)<1500"],
    // Trends nobody fed: one condition holds on k6's 0, one fails on it.
    sse_time_to_first_event: ["p(95)<1000"],
    disconnect_duration: ["p(95)>1"],
    // A rate nobody fed (k6 judges it 0 and fails it).
    auth_success_rate: ["rate>0.99"],
    timeout_count: ["count<1"],
  };
  return buildSummary(
    samples,
    { thresholds, summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "count"] },
    60_000,
  );
}

describe("thresholds whose metric got no sample", () => {
  const data = agentSummary();
  const results = thresholdResults(data);
  const byKey = (key: string) => results.find((r) => r.key === key);

  it("are recognised: trends with count 0 and rates without passes or fails, not counters at 0", () => {
    expect(byKey("sse_time_to_first_event")).toMatchObject({ ok: true, noSamples: true, observed: 0 });
    expect(byKey("disconnect_duration")).toMatchObject({ ok: false, noSamples: true });
    expect(byKey("auth_success_rate")).toMatchObject({ ok: false, noSamples: true });
    // "No timeout" is a count of 0: judged, not "no samples".
    expect(byKey("timeout_count")).toMatchObject({ ok: true, noSamples: false, observed: 0 });
    expect(byKey("http_req_duration{endpoint:message}")).toMatchObject({ ok: true, noSamples: false });
  });

  it("the text summary says no samples instead of k6's 0", () => {
    const text = renderText(data, meta, []);
    expect(text).toMatch(/– sse_time_to_first_event\s+p\(95\)<1000\s+no samples\n/);
    expect(text).toMatch(/✗ disconnect_duration\s+p\(95\)>1\s+no samples \(k6 judged it as 0 and failed it\)\n/);
    expect(text).toMatch(/✗ auth_success_rate\s+rate>0\.99\s+no samples/);
    expect(text).toMatch(/✓ timeout_count\s+count<1\s+count=0\n/);
    expect(text).not.toMatch(/sse_time_to_first_event\s+p\(95\)<1000\s+p\(95\)=/);
    // Verdict: k6's (two failed); the condition held only on an empty metric is counted apart.
    expect(text).toMatch(/agentapi-load FAILED: 2\/4 thresholds met \(profile smoke.*\); 1 without samples\n/);
  });

  it("summary.html shows no samples and a skipped result", () => {
    const html = renderHtml(data, meta);
    expect(html).toContain(
      `<tr class=""><td>sse_time_to_first_event</td><td><code>p(95)&lt;1000</code></td><td class="num">no samples</td><td class="skip">skipped</td></tr>`,
    );
    expect(html).toContain(
      `<tr class="bad"><td>disconnect_duration</td><td><code>p(95)&gt;1</code></td><td class="num">no samples</td><td class="ko">FAIL</td></tr>`,
    );
    expect(html).not.toMatch(/sse_time_to_first_event<\/td><td><code>[^<]*<\/code><\/td><td class="num">0\.00ms/);
    expect(html).toContain("FAIL — 2 of 4 thresholds met, 1 without samples");
  });

  it("JUnit marks a held condition without samples skipped, and a failed one failed", () => {
    const doc = parseJunit(renderJunit(data, meta));
    const suite = doc.testsuites.testsuite;
    const cases = suite.testcase;
    const tc = (name: string) => cases.find((c) => c.name === name);
    expect(suite.tests).toBe(String(results.length));
    expect(suite.skipped).toBe("1");
    expect(suite.failures).toBe("2");
    expect(tc("sse_time_to_first_event p(95)<1000")?.skipped).toEqual({ message: "no samples" });
    expect(tc("sse_time_to_first_event p(95)<1000")?.failure).toBeUndefined();
    expect(tc("disconnect_duration p(95)>1")?.failure?.message).toBe(
      "no samples: k6 judged p(95) as 0, which does not meet p(95)>1",
    );
    expect(tc("timeout_count count<1")?.skipped).toBeUndefined();
    expect(tc("timeout_count count<1")?.["system-out"]).toBe("count=0");
  });
});

describe("Agents section", () => {
  const data = agentSummary();

  it("the suite's thresholds name agent_first_output by observed_by, so k6 reports both sub-metrics", () => {
    expect(data.metrics["agent_first_output{observed_by:sse}"]?.values.count).toBe(5);
    expect(data.metrics["agent_first_output{observed_by:poll}"]?.values.count).toBe(5);
  });

  it("the text summary lists turns, first output (overall and per observed_by), failures, watchers", () => {
    const text = renderText(data, meta, []);
    const section = text.slice(text.indexOf("\nAGENTS\n"), text.indexOf("\nCUSTOM METRICS\n"));
    expect(section).toContain("no per-agent tag");
    // agent_turn_duration 2100…3000 ms: med 2550, p95 2955, p99 2991 (k6's interpolation).
    expect(section).toMatch(/turn duration p50 \/ p95 \/ p99\s+2\.55s \/ 2\.96s \/ 2\.99s\n/);
    expect(section).toMatch(/first output p50 \/ p95\s+155\.00ms \/ 195\.50ms\n/);
    expect(section).toMatch(/first output via poll p50 \/ p95\s+150\.00ms \/ 186\.00ms\n/);
    expect(section).toMatch(/first output via sse p50 \/ p95\s+160\.00ms \/ 196\.00ms\n/);
    expect(section).toMatch(/ turns\s+10 \(0\.17\/s\)\n/);
    expect(section).toMatch(/turn failures\s+1 \(0\.02\/s\)\n/);
    expect(section).toMatch(/busy refusals\s+1 \(0\.02\/s\)\n/);
    // MAX_PROMPTS=40 (meta): prompts sent against the budget, and what the journeys held back.
    expect(section).toMatch(/prompts sent\s+12 \(0\.20\/s\) of a budget of 40, 3 withheld\n/);
    expect(renderText(data, { ...meta, promptBudget: null }, [])).toMatch(
      /prompts sent\s+12 \(0\.20\/s\), no budget\n/,
    );
    expect(section).toMatch(/watcher events\s+20 \(0\.33\/s\)\n/);
    expect(section).toMatch(/delivery lag p95\s+12\.85ms\n/);
    expect(section).toMatch(/streams dropped\s+0 \(0\.00\/s\)\n/);
  });

  it("says no samples for a run without agent scenarios", () => {
    const text = renderText(summary(), meta, []);
    expect(text).toMatch(/turn duration p50 \/ p95 \/ p99\s+no samples\n/);
    expect(text).toMatch(/first output p50 \/ p95\s+no samples\n/);
    expect(text).not.toContain("first output via");
    expect(text).toMatch(/ turns\s+0 \(0\.00\/s\)\n/);
    expect(text).toMatch(/busy refusals\s+1 \(0\.03\/s\)\n/);
  });

  it("summary.html has an Agents table with the same figures", () => {
    const html = renderHtml(data, meta);
    const section = html.slice(html.indexOf("<h2>Agents</h2>"), html.indexOf("<h2>Custom metrics</h2>"));
    expect(section).toContain("no per-agent tag");
    expect(section).toContain(
      `<tr><td>turn duration p50 / p95 / p99</td><td class="num">2.55s / 2.96s / 2.99s</td><td><code>agent_turn_duration</code></td></tr>`,
    );
    expect(section).toContain(
      `<td>first output via sse p50 / p95</td><td class="num">160.00ms / 196.00ms</td><td><code>agent_first_output{observed_by:sse}</code></td>`,
    );
    expect(section).toContain(`<td>streams dropped</td><td class="num">0 (0.00/s)</td>`);
    expect(section).toContain(`<td>delivery lag p95</td><td class="num">12.85ms</td>`);
  });

  it("JUnit carries the figures as suite properties and readable system-out, not as test cases", () => {
    const doc = parseJunit(renderJunit(data, meta));
    const props = propertiesOf(doc);
    expect(Number(props["agents.agent_turn_duration.p(95)"])).toBeCloseTo(2955, 6);
    expect(props["agents.agent_first_output{observed_by:poll}.med"]).toBe("150");
    expect(props["agents.agent_turns.count"]).toBe("10");
    expect(props["agents.sse_streams_dropped.count"]).toBe("0");
    expect(props["agents.watcher_events.count"]).toBe("20");
    const out = doc.testsuites.testsuite["system-out"];
    expect(out).toContain("Agents");
    expect(out).toContain("turn duration p50 / p95 / p99: 2.55s / 2.96s / 2.99s");
    expect(out).toContain("no per-agent tag");
    expect(doc.testsuites.testsuite.testcase.some((c) => c.name.includes("agent_turn"))).toBe(false);
    // Without agent samples: "no samples" properties.
    expect(propertiesOf(parseJunit(renderJunit(summary(), meta)))["agents.agent_turn_duration"]).toBe("no samples");
  });
});
