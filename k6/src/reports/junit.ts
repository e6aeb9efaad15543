// junit.xml: one <testcase> per threshold condition, failed when the threshold failed — CI systems show a
// load test like any other test suite.

import type { ReportMeta } from "./meta";
import { formatValue, thresholdResults, type SummaryData } from "./summary-data";

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

export function renderJunit(data: SummaryData, meta: ReportMeta): string {
  const results = thresholdResults(data);
  const failures = results.filter((r) => !r.ok).length;
  const seconds = (data.state.testRunDurationMs / 1000).toFixed(3);
  const cases = results
    .map((r) => {
      const observed = formatValue(r.observed, r.type, r.isTime, r.statistic);
      const name = escapeXml(`${r.key} ${r.condition}`);
      const open = `    <testcase classname="${escapeXml(`k6.thresholds.${r.metric}`)}" name="${name}" time="0">`;
      const body = r.ok
        ? `\n      <system-out>${escapeXml(`${r.statistic}=${observed}`)}</system-out>`
        : `\n      <failure type="threshold" message="${escapeXml(`${r.statistic}=${observed} does not meet ${r.condition}`)}"/>`;
      return `${open}${body}\n    </testcase>`;
    })
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="agentapi-load" tests="${results.length}" failures="${failures}" errors="0" time="${seconds}">
  <testsuite name="${escapeXml(`k6 thresholds (${meta.profile}, ${meta.testId})`)}" tests="${results.length}" failures="${failures}" errors="0" skipped="0" time="${seconds}" timestamp="${escapeXml(meta.generatedAt)}">
    <properties>
      <property name="profile" value="${escapeXml(meta.profile)}"/>
      <property name="testid" value="${escapeXml(meta.testId)}"/>
      <property name="config" value="${escapeXml(meta.config)}"/>
    </properties>
${cases}
  </testsuite>
</testsuites>
`;
}
