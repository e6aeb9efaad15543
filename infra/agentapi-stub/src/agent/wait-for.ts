// Upstream's lib/util WaitFor, on this agent's timers: evaluate `condition` (after a first sleep when `initialWait`),
// then again after sleeps that double from `minIntervalMs` up to `maxIntervalMs`, until it holds or `timeoutMs` has
// passed. As upstream, the timeout is only seen while sleeping: a condition that itself waits (phase 1 sleeps 1 s
// inside it) always completes.
import type { AgentTimers } from "./timers";

export interface WaitOptions {
  timeoutMs: number;
  minIntervalMs: number;
  maxIntervalMs: number;
  initialWait: boolean;
}

/** true when the condition held, false when the timeout passed first. */
export async function waitFor(
  timers: AgentTimers,
  options: WaitOptions,
  condition: () => boolean | Promise<boolean>,
): Promise<boolean> {
  const deadline = timers.now() + options.timeoutMs;
  let interval = options.minIntervalMs;
  let sleepFirst = options.initialWait;
  for (;;) {
    if (sleepFirst) {
      const left = deadline - timers.now();
      if (left <= interval) {
        await timers.sleep(left);
        return false;
      }
      await timers.sleep(interval);
    }
    sleepFirst = true;
    if (await condition()) return true;
    interval = Math.min(interval * 2, options.maxIntervalMs);
  }
}
