// GET /events over SSE with xk6-sse (the project's k6 image): connect, time the first event, read the initial
// state (a message_update per message, then a status_change), close. The stock-k6 build swaps this module
// for events.poll.ts, which has the same exports.

import sse, { type SseResponse } from "k6/x/sse";
import { metrics } from "../metrics";
import { failureCauseOf } from "./http";
import { agentUrlName } from "../agent-urls";
import { config } from "../run-config";
import { isMessageUpdate, isStatusChange, type AgentStatus } from "../lib/guards";
import type { InitialState } from "./events-state";
import { deliveryTime, isReplyAfter, type TurnObservation, type WatchObservation } from "./watch-state";

export const EVENTS_TRANSPORT: InitialState["transport"] = "xk6-sse";

/** Every stream's request: the SSE Accept header, the run's AgentAPI credentials, the endpoint and kind tags. */
const STREAM_PARAMS = {
  method: "GET",
  headers: { Accept: "text/event-stream", ...config.agentApiHeaders },
  tags: { endpoint: "events", kind: "stream", name: `${agentUrlName(config.agents)}/events` },
};

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

  const res = sse.open(`${baseUrl}/events`, STREAM_PARAMS, (client) => {
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
  });

  metrics.totalRequests.add(1, { endpoint: "events" });
  if (seen.firstEventMs !== null) metrics.sseTimeToFirstEvent.add(seen.firstEventMs);
  if (res.status === 0) metrics.connectionFailures.add(1, { endpoint: "events", cause: failureCauseOf(res.error) });
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

/** Wall-clock ms (k6 has no monotonic clock in JS). */
const now = (): number => Date.now();

type Close = () => void;

/**
 * GET /events held open until a handler closes it: `onEvent` gets each event's name and parsed data with a close
 * function; a stream error that is not our own close goes to `onError`. Counts the request as every stream does.
 */
function stream(
  baseUrl: string,
  onEvent: (name: string, data: unknown, close: Close) => void,
  onError: (message: string) => void,
): { res: SseResponse; closedByUs: boolean } {
  let closedByUs = false;
  const res = sse.open(`${baseUrl}/events`, STREAM_PARAMS, (client) => {
    const close: Close = () => {
      closedByUs = true;
      client.close();
    };
    client.on("event", (event) => onEvent(event.name, parse(event.data), close));
    client.on("error", (e) => {
      // Closing the body makes xk6-sse's reader fail; that is the close we asked for, not a stream error.
      if (closedByUs) return;
      onError(e.error());
      close();
    });
  });
  metrics.totalRequests.add(1, { endpoint: "events" });
  if (res.status === 0) metrics.connectionFailures.add(1, { endpoint: "events", cause: failureCauseOf(res.error) });
  return { res, closedByUs };
}

/**
 * Follow a turn whose prompt was sent at `sentAt` and accepted: open /events, find the prompt's user message, time
 * the first agent message after it and the return to `stable`, then close. Upstream keeps no event buffer, so a
 * stream opened after POST returns rebuilds the state first: a reply that started already shows in that replay.
 * xk6-sse can only close from a handler, so the bound is checked on each event (a running agent keeps sending).
 */
export function watchTurn(baseUrl: string, prompt: string, sentAt: number, boundMs: number): TurnObservation {
  const seen: TurnObservation = { observedBy: "sse", firstOutputMs: null, stableMs: null, error: null, lost: false };
  let userId: number | null = null;
  const { res, closedByUs } = stream(
    baseUrl,
    (name, data, close) => {
      if (name === "message_update" && isMessageUpdate(data)) {
        if (data.role === "user" && data.message === prompt) userId = data.id;
        else if (seen.firstOutputMs === null && isReplyAfter(userId, data.id, data.role)) {
          seen.firstOutputMs = now() - sentAt;
        }
      } else if (name === "status_change" && isStatusChange(data) && data.status === "stable") {
        if (seen.firstOutputMs !== null) {
          seen.stableMs = now() - sentAt;
          close();
          return;
        }
      }
      if (now() - sentAt > boundMs) close();
    },
    (message) => (seen.error = message),
  );
  if (seen.error === null && res.error !== "") seen.error = res.error;
  // The server ended the stream (a restart), it failed, or it never opened.
  seen.lost = !closedByUs || seen.error !== null;
  return seen;
}

/**
 * Watch an agent's events for up to `watchMs` (a browser tab on a running agent): count live events, measure the
 * delivery lag of each agent message update, and close when the agent turns stable or at the first event past the watch. An idle
 * agent (stable when the state was rebuilt) is not watched: nothing would come, and xk6-sse cannot time out.
 */
export function watchEvents(baseUrl: string, watchMs: number): WatchObservation {
  const seen: WatchObservation = { observedBy: "sse", events: 0, lagsMs: [], dropped: null, initialStatus: null };
  const started = now();
  let live = false;
  const { res, closedByUs } = stream(
    baseUrl,
    (name, data, close) => {
      if (!live) {
        // The initial state ends with the status.
        if (name === "status_change" && isStatusChange(data)) {
          live = true;
          seen.initialStatus = data.status;
          if (data.status === "stable") close();
        }
        return;
      }
      seen.events++;
      if (name === "message_update" && isMessageUpdate(data)) {
        const sent = deliveryTime(data, started);
        if (sent !== null) seen.lagsMs.push(Math.max(0, now() - sent));
      } else if (name === "status_change" && isStatusChange(data) && data.status === "stable") {
        close();
        return;
      }
      if (now() - started > watchMs) close();
    },
    () => (seen.dropped = "error"),
  );
  // The server ended the stream before the watch closed it.
  if (res.status === 200 && !closedByUs && seen.dropped === null) seen.dropped = "server_closed";
  return seen;
}
