// The timers of one agent. Everything the agent and upstream's send procedure wait for is a timer registered here,
// so an idle agent holds none and close() cancels all of them at once (pending sleeps reject with ShutdownError).

/** A wait that was cut short because the agent is shutting down (upstream: the server's context is cancelled). */
export class ShutdownError extends Error {
  constructor() {
    super("context canceled");
    this.name = "ShutdownError";
  }
}

interface Pending {
  timer: NodeJS.Timeout;
  cancel?: (error: Error) => void;
}

export class AgentTimers {
  private readonly pending = new Set<Pending>();
  private closed = false;

  /** Monotonic milliseconds (the same clock for every agent). */
  now(): number {
    return performance.now();
  }

  /** Run `fn` after `ms`; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void {
    if (this.closed) return noop;
    const entry: Pending = {
      timer: setTimeout(
        () => {
          this.pending.delete(entry);
          fn();
        },
        Math.max(0, ms),
      ),
    };
    this.pending.add(entry);
    return () => {
      clearTimeout(entry.timer);
      this.pending.delete(entry);
    };
  }

  /** Resolves after `ms`; rejects with ShutdownError if the agent closes first. */
  sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.reject(new ShutdownError());
    return new Promise<void>((resolve, reject) => {
      const entry: Pending = {
        timer: setTimeout(
          () => {
            this.pending.delete(entry);
            resolve();
          },
          Math.max(0, ms),
        ),
        cancel: reject,
      };
      this.pending.add(entry);
    });
  }

  /** How many timers are pending (an idle agent has none). */
  get size(): number {
    return this.pending.size;
  }

  close(): void {
    this.closed = true;
    for (const entry of this.pending) {
      clearTimeout(entry.timer);
      entry.cancel?.(new ShutdownError());
    }
    this.pending.clear();
  }
}

function noop(): void {
  // Nothing to cancel: the timer was never set.
}
