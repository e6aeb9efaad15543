// Turns k6's summary.json (the data handed to handleSummary) into a Markdown job summary: the verdict, every
// threshold with pass/fail, and the headline metrics. No dependencies, so a workflow can run it with plain `node`.
// Usage: node .github/scripts/k6-summary.mjs reports/<testid>/summary.json [testid] >> "$GITHUB_STEP_SUMMARY"
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

/** @typedef {{ ok: boolean }} ThresholdResult */
/** @typedef {{ type: string, contains?: string, values: Record<string, number>, thresholds?: Record<string, ThresholdResult> }} Metric */
/** @typedef {{ metrics: Record<string, Metric>, state?: { testRunDurationMs?: number } }} Summary */

/** Headline metrics shown when present, in this order. */
const HEADLINE = [
  "http_reqs",
  "http_req_failed",
  "http_req_duration",
  "checks",
  "iterations",
  "auth_success_rate",
  "mcp_connection_success_rate",
  "tool_execution_success_rate",
  "disconnect_success_rate",
  "auth_duration",
  "mcp_connection_duration",
  "tool_execution_duration",
  "disconnect_duration",
  "sse_time_to_first_event",
  "agent_busy_total",
  "timeout_count",
  "connection_failures",
  "token_refresh_count",
];

/**
 * @param {string} message
 * @returns {never}
 */
function fail(message) {
  process.stderr.write(`k6-summary: ${message}\n`);
  process.exit(1);
}

/**
 * @param {unknown} value
 * @returns {value is Summary}
 */
function isSummary(value) {
  if (typeof value !== "object" || value === null) return false;
  const metrics = /** @type {{ metrics?: unknown }} */ (value).metrics;
  return typeof metrics === "object" && metrics !== null;
}

/**
 * @param {number | undefined} value
 * @param {string | undefined} contains
 */
function format(value, contains) {
  if (value === undefined || Number.isNaN(value)) return "–";
  if (contains === "time") return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`;
  if (contains === "data") return `${(value / 1024).toFixed(1)} KiB`;
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

/** @param {string} text */
const cell = (text) => text.replace(/\|/g, "\\|");

/**
 * @param {Metric} metric
 * @returns {string}
 */
function describe(metric) {
  const v = metric.values;
  switch (metric.type) {
    case "rate":
      return `${((v.rate ?? 0) * 100).toFixed(2)} %`;
    case "counter":
      return `${format(v.count, metric.contains)} (${(v.rate ?? 0).toFixed(2)}/s)`;
    case "gauge":
      return `${format(v.value, metric.contains)} (max ${format(v.max, metric.contains)})`;
    default:
      return ["avg", "p(95)", "p(99)", "max"]
        .filter((stat) => v[stat] !== undefined)
        .map((stat) => `${stat} ${format(v[stat], metric.contains)}`)
        .join(" · ");
  }
}

/**
 * @param {Summary} summary
 * @param {string | undefined} testid
 * @returns {{ markdown: string, breached: number }}
 */
export function renderSummary(summary, testid) {
  const rows = [];
  let breached = 0;
  for (const [name, metric] of Object.entries(summary.metrics).sort(([a], [b]) => a.localeCompare(b))) {
    for (const [condition, result] of Object.entries(metric.thresholds ?? {})) {
      if (!result.ok) breached += 1;
      rows.push(`| \`${cell(name)}\` | \`${cell(condition)}\` | ${result.ok ? "✅ pass" : "❌ fail"} |`);
    }
  }
  const durationMs = summary.state?.testRunDurationMs;
  const lines = [
    `## k6 load test: ${breached === 0 ? "✅ passed" : `❌ ${breached} threshold(s) breached`}`,
    "",
    [
      testid ? `testid \`${testid}\`` : undefined,
      durationMs !== undefined ? `duration ${(durationMs / 1000).toFixed(0)} s` : undefined,
      `${rows.length} thresholds`,
    ]
      .filter(Boolean)
      .join(" · "),
    "",
    "### Thresholds",
    "",
    "| metric | condition | result |",
    "| --- | --- | --- |",
    ...(rows.length > 0 ? rows : ["| – | no thresholds in this run | – |"]),
    "",
    "### Headline metrics",
    "",
    "| metric | value |",
    "| --- | --- |",
    ...HEADLINE.filter((name) => summary.metrics[name] !== undefined).map(
      (name) => `| \`${name}\` | ${describe(/** @type {Metric} */ (summary.metrics[name]))} |`,
    ),
    "",
  ];
  return { markdown: lines.join("\n"), breached };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const [file, testid] = process.argv.slice(2);
  if (!file) fail("usage: k6-summary.mjs <summary.json> [testid]");
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    fail(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isSummary(parsed)) fail(`${file} is not a k6 summary (no "metrics" object)`);
  process.stdout.write(renderSummary(parsed, testid).markdown);
}
