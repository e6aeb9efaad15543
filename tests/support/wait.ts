// Waiting for a condition, never for a guessed time: a test that expects something polls for it (or is woken by
// it) up to a bound, and when the bound passes it fails saying what it waited for. The bound is how long a broken
// system is given, not how long a working one takes, so it can be generous without slowing a green run.

/** Polls `probe` every `everyMs` until it returns a value other than undefined; fails after `timeoutMs` naming `what`
 * (a function is asked only then, so it can report the state at the deadline). */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 5_000,
  everyMs = 10,
  what: string | (() => string) = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`${typeof what === "string" ? what : what()}: not met within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Waits until `condition()` holds (polled every `everyMs`); fails after `timeoutMs` naming `what`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 5_000,
  everyMs = 10,
): Promise<void> {
  await waitFor(async () => ((await condition()) ? true : undefined), timeoutMs, everyMs, what);
}
