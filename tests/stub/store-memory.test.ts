// The in-memory Store: TTL expiry (lazy and swept), single-use take, touch, least-recently-written eviction at the
// cap, and a long burst that stays within the documented caps.
import { afterEach, describe, expect, it } from "vitest";
import {
  createMemoryStore,
  DEFAULT_STORE_CAPS,
  type MemoryStore,
  type StoreKind,
} from "../../infra/agentapi-stub/src/store";
import { waitFor } from "../support/wait";

let clock = 1_000_000;
const now = (): number => clock;
let store: MemoryStore | undefined;

function memoryStore(caps: Partial<Record<StoreKind, number>> = {}, sweepIntervalMs = 60_000) {
  store = createMemoryStore({ caps: { ...DEFAULT_STORE_CAPS, ...caps }, sweepIntervalMs }, now);
  return store;
}

afterEach(async () => {
  await store?.close();
  store = undefined;
});

const state = (configId: string) => ({ configId, ownerId: "alice" });

describe("memory store", () => {
  it("expires entries lazily on read and counts them", async () => {
    const s = memoryStore();
    await s.oauthStates.set("a", state("c1"), 100);
    clock += 99;
    expect(await s.oauthStates.get("a")).toEqual(state("c1"));
    clock += 1;
    expect(await s.oauthStates.get("a")).toBeUndefined();
    expect((await s.stats()).oauthStates).toMatchObject({ size: 0, expired: 1 });
  });

  it("take() returns a record once", async () => {
    const s = memoryStore();
    await s.oauthCodes.set("code", { configId: "c", ownerId: "u", state: "s", codeChallenge: "x" }, 1000);
    expect(await s.oauthCodes.take("code")).toMatchObject({ configId: "c" });
    expect(await s.oauthCodes.take("code")).toBeUndefined();
    expect(await s.oauthCodes.get("code")).toBeUndefined();
  });

  it("touch() extends the TTL of a live entry only", async () => {
    const s = memoryStore();
    await s.oauthStates.set("a", state("c1"), 100);
    clock += 90;
    expect(await s.oauthStates.touch("a", 100)).toEqual(state("c1"));
    clock += 90;
    expect(await s.oauthStates.get("a")).toBeDefined();
    clock += 20;
    expect(await s.oauthStates.touch("a", 100)).toBeUndefined();
  });

  it("evicts the entry written or touched longest ago when the cap is reached", async () => {
    const s = memoryStore({ oauthStates: 3 });
    for (const key of ["a", "b", "c"]) await s.oauthStates.set(key, state(key), 10_000);
    await s.oauthStates.touch("a", 10_000);
    await s.oauthStates.set("d", state("d"), 10_000);
    expect(await s.oauthStates.get("b")).toBeUndefined();
    for (const key of ["a", "c", "d"]) expect(await s.oauthStates.get(key)).toEqual(state(key));
    // Overwriting an existing key never evicts.
    await s.oauthStates.set("c", state("c2"), 10_000);
    expect((await s.stats()).oauthStates).toMatchObject({ size: 3, cap: 3, evicted: 1 });
  });

  it("sweeps expired entries of every kind without reads", async () => {
    const s = memoryStore();
    await s.oauthStates.set("short", state("c"), 50);
    await s.oauthStates.set("long", state("c"), 5_000);
    await s.users.set("u", { userId: "u", firstSeenAt: clock, tokensIssued: 1 }, 50);
    await s.revocations.set("r", { configId: "r", ownerId: "u", revokedAt: clock }, 50);
    clock += 60;
    expect(s.sweep()).toBe(3);
    const stats = await s.stats();
    expect(stats.oauthStates).toMatchObject({ size: 1, expired: 1 });
    expect(stats.users).toMatchObject({ size: 0, expired: 1 });
    expect(stats.revocations).toMatchObject({ size: 0, expired: 1 });
  });

  it("runs the sweep on its own timer", async () => {
    const s = memoryStore({}, 20);
    await s.oauthCodes.set("c", { configId: "c", ownerId: "u", state: "s", codeChallenge: "x" }, 10);
    clock += 60;
    // stats() reads no entry, so only a sweep can drop it: wait for the timer's sweep, not for a guessed time.
    let last: unknown;
    const swept = await waitFor(
      async () => {
        const { oauthCodes } = await s.stats();
        last = oauthCodes;
        return oauthCodes.size === 0 ? oauthCodes : undefined;
      },
      5_000,
      5,
      () => `the 20 ms sweep timer dropping the expired entry (last stats: ${JSON.stringify(last)})`,
    );
    expect(swept).toMatchObject({ size: 0, expired: 1 });
  });

  it("refuses a cap that is not a positive integer", () => {
    expect(() => memoryStore({ users: 0 })).toThrow(/positive integer/);
  });

  it("stays within the documented caps through a burst of 50k records per kind", async () => {
    const s = memoryStore();
    const burst = 50_000;
    for (let i = 0; i < burst; i++) {
      const key = `k${i}`;
      await s.users.set(key, { userId: key, firstSeenAt: clock, tokensIssued: 1 }, 3_600_000);
      await s.oauthStates.set(key, state(key), 600_000);
      await s.oauthCodes.set(key, { configId: key, ownerId: "u", state: key, codeChallenge: "x" }, 60_000);
      await s.refreshTokens.set(key, { configId: key, ownerId: "u" }, 86_400_000);
      await s.mcpSessions.set(key, { sessionId: key, configId: key, ownerId: "u", createdAt: clock }, 300_000);
      clock += 1;
    }
    const stats = await s.stats();
    for (const kind of ["users", "oauthStates", "oauthCodes", "refreshTokens", "mcpSessions"] as const) {
      expect(stats[kind].size).toBe(DEFAULT_STORE_CAPS[kind]);
      expect(stats[kind].evicted).toBe(burst - DEFAULT_STORE_CAPS[kind]);
    }
    // The newest survive, the oldest are gone.
    expect(await s.users.get(`k${burst - 1}`)).toBeDefined();
    expect(await s.users.get("k0")).toBeUndefined();
  });
});
