// The in-memory Store: one Map per kind, insertion-ordered so the first key is always the entry written or touched
// longest ago (evicted first at the cap). Expired entries are dropped when read and by a periodic sweep whose timer
// never keeps the process alive.
import {
  STORE_KINDS,
  type CollectionStats,
  type ExpiringCollection,
  type MemoryStoreOptions,
  type Store,
  type StoreCaps,
  type StoreKind,
} from "./types";

/**
 * Documented caps (README). Sized for the seed's heaviest profile (300 VUs for 13 minutes) with room to spare;
 * MCP sessions are lower because each one holds a live McpServer and transport.
 */
export const DEFAULT_STORE_CAPS: Readonly<StoreCaps> = Object.freeze({
  users: 10_000,
  oauthStates: 10_000,
  oauthCodes: 10_000,
  mcpConfigs: 10_000,
  refreshTokens: 10_000,
  revocations: 10_000,
  mcpSessions: 1_000,
});

export const DEFAULT_SWEEP_INTERVAL_MS = 10_000;

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export class MemoryCollection<V> implements ExpiringCollection<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private evicted = 0;
  private expired = 0;

  constructor(
    readonly cap: number,
    private readonly now: () => number,
  ) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`store cap must be a positive integer, got ${cap}`);
  }

  /** The live entry, dropping it if it has expired. */
  private live(key: string): Entry<V> | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      this.expired++;
      return undefined;
    }
    return entry;
  }

  private insert(key: string, value: V, ttlMs: number): void {
    // Re-inserting moves the key to the end of the Map's order: "most recently written or touched".
    this.entries.delete(key);
    while (this.entries.size >= this.cap) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
      this.evicted++;
    }
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  get(key: string): Promise<V | undefined> {
    return Promise.resolve(this.live(key)?.value);
  }

  set(key: string, value: V, ttlMs: number): Promise<void> {
    this.insert(key, value, ttlMs);
    return Promise.resolve();
  }

  take(key: string): Promise<V | undefined> {
    const entry = this.live(key);
    if (entry !== undefined) this.entries.delete(key);
    return Promise.resolve(entry?.value);
  }

  touch(key: string, ttlMs: number): Promise<V | undefined> {
    const entry = this.live(key);
    if (entry !== undefined) this.insert(key, entry.value, ttlMs);
    return Promise.resolve(entry?.value);
  }

  delete(key: string): Promise<boolean> {
    return Promise.resolve(this.entries.delete(key));
  }

  /** Drop every expired entry; returns how many. */
  sweep(): number {
    const now = this.now();
    let dropped = 0;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) {
        this.entries.delete(key);
        dropped++;
      }
    }
    this.expired += dropped;
    return dropped;
  }

  stats(): CollectionStats {
    return { size: this.entries.size, cap: this.cap, evicted: this.evicted, expired: this.expired };
  }

  clear(): void {
    this.entries.clear();
  }
}

export interface MemoryStore extends Store {
  /** Run one sweep now (the timer does this every `sweepIntervalMs`); returns the number of entries dropped. */
  sweep(): number;
}

/** `now` is injectable so tests can move time without sleeping. */
export function createMemoryStore(options: MemoryStoreOptions, now: () => number = Date.now): MemoryStore {
  const collections = Object.fromEntries(
    STORE_KINDS.map((kind) => [kind, new MemoryCollection<unknown>(options.caps[kind], now)]),
  ) as Record<StoreKind, MemoryCollection<unknown>>;

  const sweep = (): number => STORE_KINDS.reduce((sum, kind) => sum + collections[kind].sweep(), 0);
  const timer = setInterval(sweep, options.sweepIntervalMs);
  timer.unref();

  const store = {
    ...collections,
    sweep,
    stats: () =>
      Promise.resolve(
        Object.fromEntries(STORE_KINDS.map((kind) => [kind, collections[kind].stats()])) as Record<
          StoreKind,
          CollectionStats
        >,
      ),
    close: () => {
      clearInterval(timer);
      for (const kind of STORE_KINDS) collections[kind].clear();
      return Promise.resolve();
    },
  };
  // Each collection is MemoryCollection<unknown>; the Store interface gives each kind its record type.
  return store as unknown as MemoryStore;
}
