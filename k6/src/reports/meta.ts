// What the reports say about the run besides k6's numbers.

export interface ReportMeta {
  /** One line describing the run's configuration (config.describeConfig). */
  config: string;
  profile: string;
  testId: string;
  /** How the SSE step ran: xk6-sse or the stock-k6 polling fallback. */
  eventsTransport: string;
  /** ISO time the report was generated. */
  generatedAt: string;
  /** MAX_PROMPTS: the run's prompt budget, null without one (the Agents section shows prompts sent against it). */
  promptBudget: number | null;
  /**
   * false when setup() stopped the run before any VU started (k6 still calls handleSummary, exits 108): the reports
   * then say so instead of a pass or fail on thresholds no journey fed.
   */
  setupCompleted: boolean;
}

/** The verdict's word: PASSED / FAILED on the thresholds, or ABORTED when setup stopped the run. */
export function verdictWord(meta: ReportMeta, passed: boolean): "PASSED" | "FAILED" | "ABORTED" {
  if (!meta.setupCompleted) return "ABORTED";
  return passed ? "PASSED" : "FAILED";
}
