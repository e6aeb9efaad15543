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

/** Call first in every journey: samples concurrent_users (active VUs on this instance). */
export function beginIteration(): void {
  metrics.concurrentUsers.add(exec.instance.vusActive);
}
