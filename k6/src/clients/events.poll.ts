// Stock-k6 stand-in for clients/events.ts (same exports): without xk6-sse there is no stream to read, so the
// SSE step rebuilds the same state by polling — GET /messages, then GET /status. No time-to-first-event.

import { getMessages, getStatus } from "./agentapi";
import type { InitialState } from "./events-state";

export const EVENTS_TRANSPORT: InitialState["transport"] = "polling";

export function readInitialState(baseUrl: string): InitialState {
  const messages = getMessages(baseUrl);
  const status = getStatus(baseUrl);
  const problem =
    messages.body === null
      ? `GET /messages answered ${messages.reply.status}`
      : status.body === null
        ? `GET /status answered ${status.reply.status}`
        : null;
  return {
    transport: EVENTS_TRANSPORT,
    status: messages.reply.status,
    firstEventMs: null,
    messages: messages.body ? messages.body.messages.length : 0,
    agentStatus: status.body ? status.body.status : null,
    error: problem,
  };
}
