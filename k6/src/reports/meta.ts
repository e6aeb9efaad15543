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
}
