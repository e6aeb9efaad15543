// Stock-k6 stand-in for clients/events.ts (same exports): without xk6-sse there is no stream to read, so the
// SSE step rebuilds the same state by polling — GET /messages, then GET /status. No time-to-first-event.

import { sleep } from "k6";
import { getMessages, getStatus } from "./agentapi";
import type { InitialState } from "./events-state";
import type { AgentMessage } from "../lib/guards";
import { deliveryTime, isReplyAfter, type TurnObservation, type WatchObservation } from "./watch-state";

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

/** How often the stock build polls while following a turn or watching (the error of its timings). */
const POLL_S = 0.25;

/**
 * The stock-k6 turn: poll GET /messages until an agent message follows the prompt (first output), then GET /status
 * until `stable`, within the bound. Timings are quantized to the poll interval (tagged observed_by=poll).
 *
 * Where VUs share an agent, another user's prompt can take the agent the moment it is stable, and this VU's next poll
 * then waits behind that send and reads `running`: polling can miss the stable moment over and over (an SSE stream
 * sees its event). But the agent accepts a prompt only when it is stable, so a later user message in the list means
 * this turn was over by the time that prompt's send began: the turn is then timed on the server's own clock, from this
 * prompt's send start to the next one's (both are upstream's message times, stamped as each send begins).
 */
export function watchTurn(baseUrl: string, prompt: string, sentAt: number, boundMs: number): TurnObservation {
  const seen: TurnObservation = { observedBy: "poll", firstOutputMs: null, stableMs: null, error: null, lost: false };
  let own: AgentMessage | undefined;
  while (Date.now() - sentAt <= boundMs) {
    if (seen.firstOutputMs === null) {
      const r = getMessages(baseUrl);
      if (r.body === null) {
        seen.error = `GET /messages answered ${r.reply.status}`;
        seen.lost = true;
        return seen;
      }
      own = r.body.messages.filter((m) => m.role === "user" && m.content === prompt).pop();
      const userId = own ? own.id : null;
      if (r.body.messages.some((m) => isReplyAfter(userId, m.id, m.role))) seen.firstOutputMs = Date.now() - sentAt;
    } else {
      const s = getStatus(baseUrl);
      if (s.body === null) {
        seen.error = `GET /status answered ${s.reply.status}`;
        seen.lost = true;
        return seen;
      }
      if (s.body.status === "stable") {
        seen.stableMs = Date.now() - sentAt;
        return seen;
      }
      const next = own === undefined ? undefined : nextPrompt(baseUrl, own);
      if (next !== undefined) {
        seen.stableMs = Math.max(0, Date.parse(next.time) - Date.parse(own?.time ?? next.time));
        return seen;
      }
    }
    sleep(POLL_S);
  }
  return seen;
}

/** The first user message after `own` (another user's prompt, which the agent took once this turn was over). */
function nextPrompt(baseUrl: string, own: AgentMessage): AgentMessage | undefined {
  const r = getMessages(baseUrl);
  if (r.body === null) return undefined;
  for (const m of r.body.messages) if (m.role === "user" && m.id > own.id) return m;
  return undefined;
}

/** The stock-k6 watch: poll GET /messages while the agent runs, counting message changes as events. */
export function watchEvents(baseUrl: string, watchMs: number): WatchObservation {
  const seen: WatchObservation = { observedBy: "poll", events: 0, lagsMs: [], dropped: null, initialStatus: null };
  const started = Date.now();
  const last = new Map<number, string>();
  let first = true;
  for (;;) {
    const status = getStatus(baseUrl);
    const messages = getMessages(baseUrl);
    if (status.body === null || messages.body === null) {
      seen.dropped = "error";
      return seen;
    }
    if (seen.initialStatus === null) seen.initialStatus = status.body.status;
    for (const m of messages.body.messages) {
      const before = last.get(m.id);
      if (!first && before !== m.time) {
        seen.events++;
        const sent = deliveryTime(m, started);
        if (sent !== null) seen.lagsMs.push(Math.max(0, Date.now() - sent));
      }
      last.set(m.id, m.time);
    }
    first = false;
    if (status.body.status === "stable" || Date.now() - started > watchMs) return seen;
    sleep(POLL_S);
  }
}
