// Upstream's server-wide reader/writer lock (lib/httpapi/server.go `mu sync.RWMutex`): POST /message holds it
// exclusively for the whole send; GET /status and GET /messages hold it shared, so they wait behind a send. Like Go's
// sync.RWMutex it prefers writers: while a writer holds or waits, new readers queue; when the writer unlocks, the
// readers that queued behind it run before the next writer. Readers here are synchronous (they answer at once),
// so a reader only ever waits for writers.
export class ServerLock {
  private writing = false;
  private readonly readers: (() => void)[] = [];
  private readonly writers: (() => void)[] = [];

  /** True when a reader may run right now (the hot path checks this and answers synchronously). */
  get readable(): boolean {
    return !this.writing;
  }

  /** Resolves when a reader may run; only needed when `readable` is false. */
  waitForRead(): Promise<void> {
    if (!this.writing) return Promise.resolve();
    return new Promise<void>((resolve) => this.readers.push(resolve));
  }

  /** Run `fn` holding the lock exclusively. */
  async write<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.writing) await new Promise<void>((resolve) => this.writers.push(resolve));
    else this.writing = true;
    try {
      return await fn();
    } finally {
      this.unlock();
    }
  }

  /** Readers and writers waiting (for tests and the benchmark). */
  get waiting(): { readers: number; writers: number } {
    return { readers: this.readers.length, writers: this.writers.length };
  }

  private unlock(): void {
    for (const reader of this.readers.splice(0)) reader();
    const next = this.writers.shift();
    // Ownership passes straight to the next writer; its continuation runs after the readers released above.
    if (next) next();
    else this.writing = false;
  }
}
