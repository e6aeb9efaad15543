// What watching an agent over GET /events learns, shared by the xk6-sse implementation (clients/events.ts) and the
// stock-k6 fallback that polls (clients/events.poll.ts): a turn (prompt → first output → stable) and a watch (a
// long-lived stream on a working agent, like a browser tab).

export type ObservedBy = "sse" | "poll";

export interface TurnObservation {
  observedBy: ObservedBy;
  /** Prompt sent (and accepted) → the first agent message after it; null when none came within the bound. */
  firstOutputMs: number | null;
  /** Prompt sent (and accepted) → the agent back to `stable`; null when it did not return within the bound. */
  stableMs: number | null;
  /** A stream or poll error, if any. */
  error: string | null;
  /** The stream ended (or the polls failed) before the turn did: the agent went away (a restart, a crash). */
  lost: boolean;
}

/** Why a watcher's stream ended before its watch did: the server ended it, or it failed (no answer, a reset). */
export type DropReason = "server_closed" | "error";

export interface WatchObservation {
  observedBy: ObservedBy;
  /** Live events (after the initial state) the watch saw. */
  events: number;
  /** Receive time − the message's time, for each live agent message update (deliveryTime). */
  lagsMs: number[];
  /** Why the stream ended before the watch did, or null when the watch ended it. */
  dropped: DropReason | null;
  /** The agent's status when the watch began. */
  initialStatus: "running" | "stable" | null;
}

/** A message update worth timing: an agent message after the prompt's user message. */
export function isReplyAfter(userId: number | null, id: number, role: string): boolean {
  return role === "agent" && userId !== null && id > userId;
}

/** How far the server's clock may run behind this one for an update stamped during a watch still to count. */
const CLOCK_SLACK_MS = 1000;

/**
 * When a live message update was emitted, as its `time` says — for agent messages stamped since the watch began.
 * Upstream stamps an agent message with the snapshot that changed it, and emits the update on that same snapshot
 * (lib/screentracker pty_conversation.go updateLastAgentMessageLocked), so receive − time is the delivery lag. Not:
 * a user message (it carries the time its send began but is emitted when the send completes, ≈ 1.1 s later), nor an
 * update stamped before the watch began — a restarted server replays its restored history with the original times.
 * null for those and for unparseable times.
 */
export function deliveryTime(update: { role: string; time: string }, watchStartedAt: number): number | null {
  if (update.role !== "agent") return null;
  const time = Date.parse(update.time);
  return Number.isFinite(time) && time >= watchStartedAt - CLOCK_SLACK_MS ? time : null;
}
