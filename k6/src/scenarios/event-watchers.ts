// Journey 8 — event_watchers: people who keep a browser tab on a working agent. Find an agent that is running
// (a few tries among the fleet), hold its /events stream while it works, then move on. Records watcher_events,
// sse_delivery_lag (receive time − an agent update's time; PTY only) and sse_streams_dropped. Watchers never prompt.

import { check } from "k6";
import { getStatus } from "../clients/agentapi";
import { watchEvents } from "../clients/events";
import type { WatchObservation } from "../clients/watch-state";
import { agentCount, agentUrlOf } from "../agent-urls";
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
    const url = randomAgent(count);
    const s = getStatus(url);
    if (s.body !== null && s.body.status === "running") return url;
  }
  return agentUrl();
}

function randomAgent(count: number): string {
  return agentUrlOf(config.agents, 1 + Math.floor(Math.random() * count));
}

/**
 * ACP: GET /status of a working agent waits for its whole turn (the prompt holds the server's lock) and then says
 * `stable`, so a working agent is found on its event stream, which the lock does not hold: the first agent whose
 * stream's initial state says running is watched (a stream that opens on an idle agent closes at once).
 */
function watchWorkingAgent(): WatchObservation {
  const count = agentCount(config.agents);
  let watch = watchEvents(count > 1 ? randomAgent(count) : agentUrl(), WATCH_MS);
  for (let i = 1; i < TRIES && count > 1 && watch.initialStatus === "stable"; i++) {
    watch = watchEvents(randomAgent(count), WATCH_MS);
  }
  return watch;
}

const WATCH_CHECK = { "watch: stream opened": (w: WatchObservation) => w.initialStatus !== null };

export function eventWatchers(): void {
  beginIteration();
  const watch = config.transport === "acp" ? watchWorkingAgent() : watchEvents(pickWorkingAgent(), WATCH_MS);
  check(watch, WATCH_CHECK);
  metrics.watcherEvents.add(watch.events, { observed_by: watch.observedBy });
  // ACP stamps an agent message once, when the prompt is submitted: its time says nothing of delivery.
  if (config.transport === "pty") {
    for (const lag of watch.lagsMs) metrics.sseDeliveryLag.add(lag, { observed_by: watch.observedBy });
  }
  if (watch.dropped !== null) metrics.sseStreamsDropped.add(1, { reason: watch.dropped });
  think(1, 3);
}
