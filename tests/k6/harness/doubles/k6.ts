// Double of the `k6` module: check, group, sleep, fail — with k6's samples (checks, group_duration) and tags.
import { runtime } from "./runtime";

type Checkers<T> = Record<string, (value: T) => unknown>;

export function check<T>(value: T, sets: Checkers<T>, tags?: Record<string, string>): boolean {
  const rt = runtime();
  let all = true;
  for (const [name, fn] of Object.entries(sets)) {
    const ok = Boolean(fn(value));
    rt.emit("checks", "rate", ok ? 1 : 0, { ...rt.stateTags(), ...tags, check: name });
    if (ok) rt.passedChecks++;
    else rt.failedChecks++;
    all &&= ok;
  }
  return all;
}

export function group<T>(name: string, fn: () => T): T {
  if (name.includes("::")) throw new Error(`group name "${name}" contains "::" (k6 refuses it)`);
  const rt = runtime();
  const outer = rt.groupPath;
  rt.groupPath = `${outer}::${name}`;
  const started = Date.now();
  try {
    return fn();
  } finally {
    rt.emit("group_duration", "trend", Date.now() - started, rt.stateTags());
    rt.groupPath = outer;
  }
}

export function sleep(seconds: number): void {
  runtime().sleep(seconds);
}

export function fail(message?: string): never {
  throw new Error(message ?? "fail() called");
}

export default { check, group, sleep, fail };
