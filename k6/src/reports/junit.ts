// junit.xml: one <testcase> per threshold condition, failed when the threshold failed — CI systems show a
// load test like any other test suite.

import type { ReportMeta } from "./meta";
import { formatValue, thresholdResults, type SummaryData } from "./summary-data";
import { escapeMarkup } from "./escape";

export function renderJunit(data: SummaryData, meta: ReportMeta): string {
  const results = thresholdResults(data);
  const failures = results.filter((r) => !r.ok).length;
  const seconds = (data.state.testRunDurationMs / 1000).toFixed(3);
  const cases = results
    .map((r) => {
      const observed = formatValue(r.observed, r.type, r.isTime, r.statistic);
      const name = escapeMarkup(`${r.key} ${r.condition}`);
      const open = `    <testcase classname="${escapeMarkup(`k6.thresholds.${r.metric}`)}" name="${name}" time="0">`;
      const body = r.ok
        ? `\n      <system-out>${escapeMarkup(`${r.statistic}=${observed}`)}</system-out>`
        : `\n      <failure type="threshold" message="${escapeMarkup(`${r.statistic}=${observed} does not meet ${r.condition}`)}"/>`;
      return `${open}${body}\n    </testcase>`;
    })
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="agentapi-load" tests="${results.length}" failures="${failures}" errors="0" time="${seconds}">
  <testsuite name="${escapeMarkup(`k6 thresholds (${meta.profile}, ${meta.testId})`)}" tests="${results.length}" failures="${failures}" errors="0" skipped="0" time="${seconds}" timestamp="${escapeMarkup(meta.generatedAt)}">
    <properties>
      <property name="profile" value="${escapeMarkup(meta.profile)}"/>
      <property name="testid" value="${escapeMarkup(meta.testId)}"/>
      <property name="config" value="${escapeMarkup(meta.config)}"/>
    </properties>
${cases}
  </testsuite>
</testsuites>
`;
}
