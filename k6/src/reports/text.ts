// The readable summary k6 prints on stdout at the end (handleSummary replaces k6's own).

import { customMetrics } from "../metric-catalog";
import { AGENTS_NOTE, agentFigures } from "./agents";
import { verdictWord, type ReportMeta } from "./meta";
import {
  allChecks,
  breakdownBy,
  formatValue,
  hasNoSamples,
  thresholdResults,
  verdict,
  withZeroCounters,
  type SummaryData,
  type ThresholdResult,
} from "./summary-data";

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

/** ✓ met, ✗ failed, – held only on an empty metric (k6 judged it as 0). */
function mark(r: ThresholdResult): string {
  return !r.ok ? "✗" : r.noSamples ? "–" : "✓";
}

function observed(r: ThresholdResult): string {
  if (r.noSamples) return r.ok ? "no samples" : "no samples (k6 judged it as 0 and failed it)";
  return `${r.statistic}=${formatValue(r.observed, r.type, r.isTime, r.statistic)}`;
}

export function renderText(raw: SummaryData, meta: ReportMeta, reportFiles: ReadonlyArray<string>): string {
  const data = withZeroCounters(raw);
  const out: string[] = [];
  const outcome = verdict(data);
  const seconds = (data.state.testRunDurationMs / 1000).toFixed(1);
  out.push("");
  const word = verdictWord(meta, outcome.passed);
  out.push(
    word === "ABORTED"
      ? `agentapi-load ABORTED in setup: no VU ran (profile ${meta.profile}, testid ${meta.testId}); k6's line above says why`
      : `agentapi-load ${word}: ${outcome.met}/${outcome.total - outcome.noSamples} thresholds met ` +
          `(profile ${meta.profile}, ${seconds}s, testid ${meta.testId}, SSE via ${meta.eventsTransport})` +
          (outcome.noSamples > 0 ? `; ${outcome.noSamples} without samples` : ""),
  );
  out.push(`  ${meta.config}`);

  out.push("", "THRESHOLDS");
  const results = thresholdResults(data);
  const keyWidth = Math.max(10, ...results.map((r) => r.key.length)) + 2;
  for (const r of results) {
    out.push(
      `  ${mark(r)} ${pad(r.key, keyWidth)}${pad(r.condition, 14)}${observed(r)}`,
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

  out.push("", "AGENTS", `  ${AGENTS_NOTE}`);
  for (const f of agentFigures(data, meta.promptBudget)) out.push(`  ${pad(f.label, 36)}${f.value}`);

  out.push("", "CUSTOM METRICS");
  for (const spec of customMetrics()) {
    const m = data.metrics[spec.name];
    if (!m) {
      out.push(`  ${pad(spec.name, 30)}no samples`);
      continue;
    }
    const isTime = m.contains === "time";
    const shown = hasNoSamples(m)
      ? "no samples"
      : m.type === "trend"
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
