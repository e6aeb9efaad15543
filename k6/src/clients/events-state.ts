// What the SSE step learns from GET /events: the state a client rebuilds on connect. Shared by the xk6-sse
// implementation (clients/events.ts) and the stock-k6 fallback (clients/events.poll.ts).

import type { AgentStatus } from "../lib/guards";

export interface InitialState {
  transport: "xk6-sse" | "polling";
  /** HTTP status of the stream (or of the polled /messages). */
  status: number;
  /** Connect → first event; null when no event came (or when polling). */
  firstEventMs: number | null;
  /** `message_update` events (or polled messages) that made up the initial state. */
  messages: number;
  /** Agent status from the initial `status_change` (or from /status when polling). */
  agentStatus: AgentStatus | null;
  /** Events that did not parse as upstream's shapes, or a stream error. */
  error: string | null;
}
