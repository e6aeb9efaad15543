// GET /events over SSE with xk6-sse (the project's k6 image): connect, time the first event, read the initial
// state (a message_update per message, then a status_change), close. The stock-k6 build swaps this module
// for events.poll.ts, which has the same exports.

import sse from "k6/x/sse";
import { metrics } from "../metrics";
import { isMessageUpdate, isStatusChange, type AgentStatus } from "../lib/guards";
import type { InitialState } from "./events-state";

export const EVENTS_TRANSPORT: InitialState["transport"] = "xk6-sse";

/** Stop reading after this many events even if no status_change came (a misbehaving target must not hang the VU). */
const MAX_EVENTS = 500;

function parse(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

/** What the handlers learn while the stream is open (an object, so the handlers' writes are visible after). */
interface Reading {
  firstEventMs: number | null;
  messages: number;
  events: number;
  agentStatus: AgentStatus | null;
  error: string | null;
  closing: boolean;
}

export function readInitialState(baseUrl: string): InitialState {
  const started = Date.now();
  const seen: Reading = { firstEventMs: null, messages: 0, events: 0, agentStatus: null, error: null, closing: false };

  const res = sse.open(
    `${baseUrl}/events`,
    { method: "GET", headers: { Accept: "text/event-stream" }, tags: { endpoint: "events" } },
    (client) => {
      const close = (): void => {
        seen.closing = true;
        client.close();
      };
      client.on("event", (event) => {
        seen.events++;
        if (seen.firstEventMs === null) seen.firstEventMs = Date.now() - started;
        const data = parse(event.data);
        if (event.name === "message_update" && isMessageUpdate(data)) {
          seen.messages++;
        } else if (event.name === "status_change" && isStatusChange(data)) {
          // The initial state ends with the status; everything after it is live traffic.
          seen.agentStatus = data.status;
          close();
          return;
        } else if (event.name === "message_update" || event.name === "status_change") {
          seen.error = `malformed ${event.name} event`;
          close();
          return;
        }
        // Other upstream events (agent_error, screen updates) are allowed but not part of the state.
        if (seen.events >= MAX_EVENTS) close();
      });
      client.on("error", (e) => {
        // Closing the body makes xk6-sse's reader fail, and that failure may still reach this handler: it is the
        // close we asked for, not a stream error.
        if (seen.closing) return;
        seen.error = e.error();
        close();
      });
    },
  );

  metrics.totalRequests.add(1, { endpoint: "events" });
  if (seen.firstEventMs !== null) metrics.sseTimeToFirstEvent.add(seen.firstEventMs);
  if (res.status === 0) metrics.connectionFailures.add(1, { endpoint: "events" });
  if (seen.agentStatus === null && seen.error === null && res.status === 200) {
    // The stream ended before the initial state was complete: a timeout from the client's point of view.
    metrics.timeoutCount.add(1, { endpoint: "events" });
  }
  return {
    transport: EVENTS_TRANSPORT,
    status: res.status,
    firstEventMs: seen.firstEventMs,
    messages: seen.messages,
    agentStatus: seen.agentStatus,
    error: seen.error ?? (res.error !== "" ? res.error : null),
  };
}
