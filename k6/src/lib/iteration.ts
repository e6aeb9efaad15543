// Who and where the current iteration is: the VU's stable identity and counters, from k6/execution.

import exec from "k6/execution";
import { metrics } from "../metrics";

/** A stable user id per VU, so the broker sees a bounded set of users. */
export function userId(): string {
  return `k6-vu-${exec.vu.idInTest}`;
}

export function vuId(): number {
  return exec.vu.idInTest;
}

export function iteration(): number {
  return exec.vu.iterationInScenario;
}

/**
 * The instance's VUs together sample concurrent_users about this often (k6 samples its own `vus` once a second): each
 * VU at most once every vusActive / SAMPLES_PER_SECOND seconds, instead of at every iteration (one point per
 * iteration, about one per request in mixed_workload, for a number k6 already records).
 */
const SAMPLES_PER_SECOND = 4;
let usersSampledAt = 0;

/** Call first in every journey: samples concurrent_users (active VUs on this instance) now and then (above). */
export function beginIteration(): void {
  const now = Date.now();
  const active = exec.instance.vusActive;
  if (now - usersSampledAt >= (active * 1000) / SAMPLES_PER_SECOND) {
    usersSampledAt = now;
    metrics.concurrentUsers.add(active);
  }
}

/** What is recorded once per iteration, at its end (journey-run.ts calls it after every journey). */
export function endIteration(): void {
  metrics.flushRequestCounts();
}
