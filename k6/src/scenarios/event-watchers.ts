// Journey 8 — event_watchers: people who keep a browser tab on a working agent. Find an agent that is running
// (a few tries among the fleet), hold its /events stream while it works, then move on. Records watcher_events,
// sse_delivery_lag (receive time − the event's message time) and sse_streams_dropped. Watchers never prompt.

import { check } from "k6";
import { getStatus } from "../clients/agentapi";
import { watchEvents } from "../clients/events";
import type { WatchObservation } from "../clients/watch-state";
import { agentCount, agentUrlOf } from "../config";
import { beginIteration } from "../lib/iteration";
import { think } from "../lib/think";
import { metrics } from "../metrics";
import { agentUrl } from "../agent-target";
import { config } from "../run-config";

/** How long one watch lasts at most (a tab left open while the agent works). */
export const WATCH_MS = 60_000;
/** How many random agents a watcher looks at to find a running one. */
const TRIES = 4;

function pickWorkingAgent(): string {
  const count = agentCount(config.agents);
  for (let i = 0; i < TRIES && count > 1; i++) {
    const url = agentUrlOf(config.agents, 1 + Math.floor(Math.random() * count));
    const s = getStatus(url);
    if (s.body !== null && s.body.status === "running") return url;
  }
  return agentUrl();
}

const WATCH_CHECK = { "watch: stream opened": (w: WatchObservation) => w.initialStatus !== null };

export function eventWatchers(): void {
  beginIteration();
  const watch = watchEvents(pickWorkingAgent(), WATCH_MS);
  check(watch, WATCH_CHECK);
  metrics.watcherEvents.add(watch.events, { observed_by: watch.observedBy });
  for (const lag of watch.lagsMs) metrics.sseDeliveryLag.add(lag, { observed_by: watch.observedBy });
  if (watch.dropped) metrics.sseStreamsDropped.add(1);
  think(1, 3);
}
