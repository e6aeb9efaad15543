// junit.xml: one <testcase> per threshold condition, failed when the threshold failed — CI systems show a
// load test like any other test suite. A condition whose metric got no sample (k6 judged it on 0) and held is
// <skipped message="no samples"/>: CI tools show it as skipped, neither passed nor failed. The Agents figures and
// every custom counter go into the suite's <properties> (machine-readable) and <system-out> (readable); they are
// not test cases, since they have no pass/fail criterion.

import { AGENTS_NOTE, agentFigures } from "./agents";
import { escapeMarkup } from "./escape";
import type { ReportMeta } from "./meta";
import {
  customCounters,
  formatValue,
  thresholdResults,
  withZeroCounters,
  type SummaryData,
  type ThresholdResult,
} from "./summary-data";

function testcase(r: ThresholdResult): string {
  const observed = `${r.statistic}=${formatValue(r.observed, r.type, r.isTime, r.statistic)}`;
  const name = escapeMarkup(`${r.key} ${r.condition}`);
  const open = `    <testcase classname="${escapeMarkup(`k6.thresholds.${r.metric}`)}" name="${name}" time="0">`;
  let body: string;
  if (r.noSamples && r.ok) body = `\n      <skipped message="no samples"/>`;
  else if (r.noSamples) {
    body = `\n      <failure type="threshold" message="${escapeMarkup(`no samples: k6 judged ${r.statistic} as 0, which does not meet ${r.condition}`)}"/>`;
  } else if (r.ok) body = `\n      <system-out>${escapeMarkup(observed)}</system-out>`;
  else {
    body = `\n      <failure type="threshold" message="${escapeMarkup(`${observed} does not meet ${r.condition}`)}"/>`;
  }
  return `${open}${body}\n    </testcase>`;
}

function property(name: string, value: string): string {
  return `      <property name="${escapeMarkup(name)}" value="${escapeMarkup(value)}"/>`;
}

export function renderJunit(raw: SummaryData, meta: ReportMeta): string {
  const data = withZeroCounters(raw);
  const results = thresholdResults(data);
  const failures = results.filter((r) => !r.ok).length;
  const skipped = results.filter((r) => r.ok && r.noSamples).length;
  const seconds = (data.state.testRunDurationMs / 1000).toFixed(3);
  const figures = agentFigures(data, meta.promptBudget);
  const properties = [
    property("profile", meta.profile),
    property("testid", meta.testId),
    property("config", meta.config),
    property("setup", meta.setupCompleted ? "completed" : "aborted: no VU ran"),
    ...customCounters().map((name) => property(`counter.${name}`, String(data.metrics[name]?.values.count ?? 0))),
    ...figures.flatMap((f) =>
      Object.keys(f.values).length === 0
        ? [property(`agents.${f.key}`, "no samples")]
        : Object.entries(f.values).map(([stat, v]) => property(`agents.${f.key}.${stat}`, String(v))),
    ),
  ];
  const agents = ["Agents", AGENTS_NOTE, ...figures.map((f) => `${f.label}: ${f.value}`)].join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="agentapi-load" tests="${results.length}" failures="${failures}" errors="0" time="${seconds}">
  <testsuite name="${escapeMarkup(`k6 thresholds (${meta.profile}, ${meta.testId})`)}" tests="${results.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds}" timestamp="${escapeMarkup(meta.generatedAt)}">
    <properties>
${properties.join("\n")}
    </properties>
${results.map(testcase).join("\n")}
    <system-out>${escapeMarkup(agents)}</system-out>
  </testsuite>
</testsuites>
`;
}
