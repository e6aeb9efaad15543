// summary.html: one self-contained page — verdict, every threshold, latency per endpoint and per scenario,
// Agents, custom metrics, checks — with inline CSS and inline SVG charts. No scripts, fonts or images from anywhere.

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
  type Breakdown,
  type SummaryData,
  type ThresholdResult,
} from "./summary-data";
import { escapeMarkup } from "./escape";

/** The reports' stylesheet (also used by tools/compare's compare.html, for the same look). */
export const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#5b6475;font-size:13px;word-break:break-all}
.verdict{display:inline-block;padding:6px 14px;border-radius:6px;font-weight:700;color:#fff;margin:12px 0}
.pass{background:#1a7f37}.fail{background:#c62828}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde1e7}
th,td{padding:6px 10px;border-bottom:1px solid #eceff3;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.bad td{background:#fdecea}.ok{color:#1a7f37;font-weight:700}.ko{color:#c62828;font-weight:700}
.skip{color:#5b6475;font-weight:700}
svg{background:#fff;border:1px solid #dde1e7;margin-top:8px}
.chart-label{font-size:12px;fill:#1d2330}.chart-value{font-size:11px;fill:#5b6475}
`;

/** A condition on an empty metric shows "no samples", not k6's 0 ("pass 0.00ms" would claim a measurement). */
function thresholdRows(results: ThresholdResult[]): string {
  return results
    .map((r) => {
      const shown = r.noSamples ? "no samples" : formatValue(r.observed, r.type, r.isTime, r.statistic);
      const [css, word] = !r.ok ? ["ko", "FAIL"] : r.noSamples ? ["skip", "skipped"] : ["ok", "pass"];
      return (
        `<tr class="${r.ok ? "" : "bad"}"><td>${escapeMarkup(r.key)}</td><td><code>${escapeMarkup(r.condition)}</code></td>` +
        `<td class="num">${escapeMarkup(shown)}</td><td class="${css}">${word}</td></tr>`
      );
    })
    .join("\n");
}

function agentsTable(data: SummaryData, promptBudget: number | null): string {
  const rows = agentFigures(data, promptBudget)
    .map(
      (f) =>
        `<tr><td>${escapeMarkup(f.label)}</td><td class="num">${escapeMarkup(f.value)}</td><td><code>${escapeMarkup(f.key)}</code></td></tr>`,
    )
    .join("\n");
  return (
    `<p class="meta">${escapeMarkup(AGENTS_NOTE)}</p>` +
    `<table><thead><tr><th>measure</th><th>value</th><th>metric</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

const LATENCY_STATS = ["count", "avg", "med", "p(90)", "p(95)", "p(99)", "max"] as const;

function latencyTable(rows: Breakdown[], label: string): string {
  if (rows.length === 0) return `<p class="meta">No ${escapeMarkup(label)} data.</p>`;
  const head = LATENCY_STATS.map((s) => `<th>${s}</th>`).join("");
  const body = rows
    .map(
      (row) =>
        `<tr><td>${escapeMarkup(row.label)}</td>` +
        LATENCY_STATS.map(
          (s) => `<td class="num">${escapeMarkup(formatValue(row.values[s], "trend", true, s))}</td>`,
        ).join("") +
        `</tr>`,
    )
    .join("\n");
  return `<table><thead><tr><th>${escapeMarkup(label)}</th>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Horizontal bars of p95 per row, with the row's p95 limit (from a threshold) drawn as a red tick. */
function p95Chart(rows: Breakdown[], limits: Record<string, number>, title: string): string {
  if (rows.length === 0) return "";
  const labelWidth = 170;
  const barWidth = 640;
  const rowHeight = 24;
  const height = rows.length * rowHeight + 30;
  const max = Math.max(1, ...rows.map((r) => Math.max(r.values["p(95)"] ?? 0, limits[r.key] ?? 0))) * 1.1;
  const bars = rows
    .map((row, i) => {
      const y = 20 + i * rowHeight;
      const p95 = row.values["p(95)"] ?? 0;
      const w = Math.max(1, (p95 / max) * barWidth);
      const limit = limits[row.key];
      const over = limit !== undefined && p95 >= limit;
      const tick =
        limit === undefined
          ? ""
          : `<line x1="${labelWidth + (limit / max) * barWidth}" x2="${labelWidth + (limit / max) * barWidth}" y1="${y - 2}" y2="${y + 18}" stroke="#c62828" stroke-width="2"/>`;
      return (
        `<text class="chart-label" x="${labelWidth - 8}" y="${y + 13}" text-anchor="end">${escapeMarkup(row.label)}</text>` +
        `<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="16" fill="${over ? "#e57373" : "#5c8dd6"}"/>` +
        tick +
        `<text class="chart-value" x="${labelWidth + w + 6}" y="${y + 13}">${escapeMarkup(formatValue(p95, "trend", true, "p(95)"))}</text>`
      );
    })
    .join("");
  return (
    `<svg role="img" aria-label="${escapeMarkup(title)}" width="${labelWidth + barWidth + 90}" height="${height}" viewBox="0 0 ${labelWidth + barWidth + 90} ${height}">` +
    `<text class="chart-value" x="${labelWidth}" y="12">${escapeMarkup(title)} (red tick: threshold)</text>${bars}</svg>`
  );
}

/** The smallest `p(95)<N` limit per metric key, for the chart ticks. */
function p95Limits(results: ThresholdResult[]): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const r of results) {
    const match = /^p\(95\)\s*<=?\s*(\d+(?:\.\d+)?)$/.exec(r.condition.trim());
    if (match && match[1] !== undefined) {
      const n = Number(match[1]);
      limits[r.key] = Math.min(limits[r.key] ?? Infinity, n);
    }
  }
  return limits;
}

function customMetricsTable(data: SummaryData): string {
  const rows = customMetrics().map((spec) => {
    const m = data.metrics[spec.name];
    let shown = "no samples";
    if (m && !hasNoSamples(m)) {
      const isTime = m.contains === "time";
      if (m.type === "trend") {
        shown = ["avg", "p(95)", "max"].map((s) => `${s}=${formatValue(m.values[s], m.type, isTime, s)}`).join(" ");
      } else if (m.type === "rate") {
        shown = `${formatValue(m.values.rate, "rate", false, "rate")} (${m.values.passes ?? 0} of ${(m.values.passes ?? 0) + (m.values.fails ?? 0)})`;
      } else if (m.type === "counter") {
        shown = `${formatValue(m.values.count, "counter", false, "count")} (${formatValue(m.values.rate, "counter", false, "rate")})`;
      } else {
        shown = `last=${formatValue(m.values.value, "gauge", false, "value")} min=${formatValue(m.values.min, "gauge", false, "min")} max=${formatValue(m.values.max, "gauge", false, "max")}`;
      }
    }
    return `<tr><td>${escapeMarkup(spec.name)}</td><td>${spec.type}</td><td>${escapeMarkup(shown)}</td><td class="meta">${escapeMarkup(spec.description)}</td></tr>`;
  }).join("\n");
  return `<table><thead><tr><th>metric</th><th>type</th><th>value</th><th>meaning</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function checksTable(data: SummaryData): string {
  const checks = allChecks(data.root_group);
  if (checks.length === 0) return `<p class="meta">No checks ran.</p>`;
  const rows = checks
    .map(
      (c) =>
        `<tr class="${c.fails > 0 ? "bad" : ""}"><td>${escapeMarkup(c.path.replace(/^::/, "").split("::").slice(0, -1).join(" › ") || "(root)")}</td>` +
        `<td>${escapeMarkup(c.name)}</td><td class="num">${c.passes}</td><td class="num">${c.fails}</td></tr>`,
    )
    .join("\n");
  return `<table><thead><tr><th>group</th><th>check</th><th>passed</th><th>failed</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function overview(data: SummaryData): string {
  const v = (name: string, stat: string) => data.metrics[name]?.values[stat];
  const items: Array<[string, string]> = [
    ["duration", formatValue(data.state.testRunDurationMs, "trend", true, "max")],
    ["HTTP requests", formatValue(v("http_reqs", "count"), "counter", false, "count")],
    ["request rate", formatValue(v("http_reqs", "rate"), "counter", false, "rate")],
    ["failed requests", formatValue(v("http_req_failed", "rate"), "rate", false, "rate")],
    ["checks passed", formatValue(v("checks", "rate"), "rate", false, "rate")],
    ["iterations", formatValue(v("iterations", "count"), "counter", false, "count")],
    ["max VUs", formatValue(v("vus_max", "max") ?? v("vus", "max"), "gauge", false, "max")],
    ["p95 latency", formatValue(v("http_req_duration", "p(95)"), "trend", true, "p(95)")],
  ];
  return `<table><tbody>${items.map(([k, val]) => `<tr><th>${k}</th><td class="num">${escapeMarkup(val)}</td></tr>`).join("")}</tbody></table>`;
}

function verdictBox(meta: ReportMeta, outcome: ReturnType<typeof verdict>): string {
  if (!meta.setupCompleted) {
    return `<div class="verdict fail">ABORTED — setup stopped the run before any VU started (k6's log says why)</div>`;
  }
  return `<div class="verdict ${outcome.passed ? "pass" : "fail"}">${outcome.passed ? "PASS" : "FAIL"} — ${outcome.met} of ${outcome.total - outcome.noSamples} thresholds met${outcome.noSamples > 0 ? `, ${outcome.noSamples} without samples` : ""}</div>`;
}

export function renderHtml(raw: SummaryData, meta: ReportMeta): string {
  const data = withZeroCounters(raw);
  const results = thresholdResults(data);
  const outcome = verdict(data);
  const limits = p95Limits(results);
  const endpoints = breakdownBy(data, "http_req_duration", "endpoint");
  const scenarios = breakdownBy(data, "http_req_duration", "scenario");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>agentapi-load: ${escapeMarkup(meta.testId)} — ${verdictWord(meta, outcome.passed)}</title>
<style>${STYLE}</style></head>
<body><main>
<h1>AgentAPI load test — ${escapeMarkup(meta.profile)} profile</h1>
<div class="meta">test id ${escapeMarkup(meta.testId)} · generated ${escapeMarkup(meta.generatedAt)} · SSE via ${escapeMarkup(meta.eventsTransport)}</div>
<div class="meta">${escapeMarkup(meta.config)}</div>
${verdictBox(meta, outcome)}
<h2>Overview</h2>
${overview(data)}
<h2>Thresholds</h2>
<table><thead><tr><th>metric</th><th>condition</th><th>observed</th><th>result</th></tr></thead><tbody>
${thresholdRows(results)}
</tbody></table>
<h2>Latency per endpoint</h2>
${p95Chart(endpoints, limits, "p95 latency per endpoint")}
${latencyTable(endpoints, "endpoint")}
<h2>Latency per scenario</h2>
${p95Chart(scenarios, limits, "p95 latency per scenario")}
${latencyTable(scenarios, "scenario")}
<h2>Agents</h2>
${agentsTable(data, meta.promptBudget)}
<h2>Custom metrics</h2>
${customMetricsTable(data)}
<h2>Checks</h2>
${checksTable(data)}
</main></body></html>
`;
}
