// handleSummary's output: every report, keyed by where k6 writes it ("stdout" or a file path).

import { renderHtml } from "./html";
import { renderJunit } from "./junit";
import type { ReportMeta } from "./meta";
import { withZeroCounters, type SummaryData } from "./summary-data";
import { renderText } from "./text";

export type { ReportMeta } from "./meta";
export type { SummaryData } from "./summary-data";

export function reportFiles(reportDir: string): { json: string; html: string; junit: string } {
  return {
    json: `${reportDir}/summary.json`,
    html: `${reportDir}/summary.html`,
    junit: `${reportDir}/junit.xml`,
  };
}

/**
 * Every report from one summary: k6's data plus the custom counters k6 left out for lack of samples (count 0,
 * `synthesized: true`), so summary.json, summary.html, JUnit and stdout all show those counters as 0.
 */
export function renderReports(raw: SummaryData, meta: ReportMeta, reportDir: string): Record<string, string> {
  const data = withZeroCounters(raw);
  const files = reportFiles(reportDir);
  return {
    stdout: renderText(data, meta, [files.json, files.html, files.junit]),
    [files.json]: JSON.stringify(data, null, 2),
    [files.html]: renderHtml(data, meta),
    [files.junit]: renderJunit(data, meta),
  };
}
