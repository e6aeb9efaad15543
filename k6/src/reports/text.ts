// The readable summary k6 prints on stdout at the end (handleSummary replaces k6's own).

import { CUSTOM_METRICS } from "../metric-catalog";
import type { ReportMeta } from "./meta";
import { allChecks, breakdownBy, formatValue, thresholdResults, verdict, type SummaryData } from "./summary-data";

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

export function renderText(data: SummaryData, meta: ReportMeta, reportFiles: ReadonlyArray<string>): string {
  const out: string[] = [];
  const outcome = verdict(data);
  const seconds = (data.state.testRunDurationMs / 1000).toFixed(1);
  out.push("");
  out.push(
    `agentapi-load ${outcome.passed ? "PASSED" : "FAILED"}: ${outcome.total - outcome.failed}/${outcome.total} thresholds met ` +
      `(profile ${meta.profile}, ${seconds}s, testid ${meta.testId}, SSE via ${meta.eventsTransport})`,
  );
  out.push(`  ${meta.config}`);

  out.push("", "THRESHOLDS");
  const results = thresholdResults(data);
  const keyWidth = Math.max(10, ...results.map((r) => r.key.length)) + 2;
  for (const r of results) {
    out.push(
      `  ${r.ok ? "✓" : "✗"} ${pad(r.key, keyWidth)}${pad(r.condition, 14)}${r.statistic}=${formatValue(r.observed, r.type, r.isTime, r.statistic)}`,
    );
  }

  for (const [title, tag] of [
    ["LATENCY BY ENDPOINT", "endpoint"],
    ["LATENCY BY SCENARIO", "scenario"],
  ] as const) {
    const rows = breakdownBy(data, "http_req_duration", tag);
    if (rows.length === 0) continue;
    out.push("", `${title} (count / p95 / p99 / max)`);
    for (const row of rows) {
      const v = row.values;
      out.push(
        `  ${pad(row.label, 18)}${pad(formatValue(v.count, "trend", false, "count"), 8)}` +
          ["p(95)", "p(99)", "max"].map((s) => pad(formatValue(v[s], "trend", true, s), 11)).join(""),
      );
    }
  }

  out.push("", "CUSTOM METRICS");
  for (const spec of CUSTOM_METRICS) {
    const m = data.metrics[spec.name];
    if (!m) continue;
    const isTime = m.contains === "time";
    const shown =
      m.type === "trend"
        ? `avg=${formatValue(m.values.avg, m.type, isTime, "avg")} p95=${formatValue(m.values["p(95)"], m.type, isTime, "p(95)")}`
        : m.type === "rate"
          ? formatValue(m.values.rate, "rate", false, "rate")
          : m.type === "counter"
            ? formatValue(m.values.count, "counter", false, "count")
            : `last=${formatValue(m.values.value, "gauge", false, "value")} max=${formatValue(m.values.max, "gauge", false, "max")}`;
    out.push(`  ${pad(spec.name, 30)}${shown}`);
  }

  const checks = allChecks(data.root_group);
  const passes = checks.reduce((n, c) => n + c.passes, 0);
  const fails = checks.reduce((n, c) => n + c.fails, 0);
  out.push("", `CHECKS  ${passes} passed, ${fails} failed`);
  for (const c of checks.filter((x) => x.fails > 0)) {
    out.push(`  ✗ ${c.name}: ${c.fails} failed of ${c.passes + c.fails} (${c.path})`);
  }

  if (reportFiles.length > 0) out.push("", `reports: ${reportFiles.join(", ")}`);
  out.push("");
  return out.join("\n");
}
