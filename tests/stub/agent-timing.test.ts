// The target's model of upstream AgentAPI's timing and concurrency (coder/agentapi v0.12.2), measured through HTTP on
// in-process stubs: the server-wide RW lock (lib/httpapi/server.go `mu`), writeStabilize's two phases
// (lib/screentracker/pty_conversation.go), the 2 s stability rule on the 25 ms snapshot grid, the fleet's routing and
// its cost, and the pure building blocks (ServerLock, lib/util WaitFor). Lower bounds are asserted tightly (the model
// must never be faster than upstream), upper bounds loosely (a busy 2-core machine only ever makes things slower).
import { afterAll, beforeAll, describe, expect, it, type ExpectStatic } from "vitest";
import { ServerLock } from "../../infra/agentapi-stub/src/agent/server-lock";
import {
  AGENT_REDRAW_MS,
  FAST_REDRAW_MS,
  FAST_TIMING,
  UPSTREAM_TIMING,
  type UpstreamTiming,
} from "../../infra/agentapi-stub/src/agent/timing";
import { AgentTimers, ShutdownError } from "../../infra/agentapi-stub/src/agent/timers";
import { waitFor as upstreamWaitFor, type WaitOptions } from "../../infra/agentapi-stub/src/agent/wait-for";
import type { AgentServer } from "../../infra/agentapi-stub/src/agentapi/agent-server";
import type { StubConfig } from "../../infra/agentapi-stub/src/config";
import { startStub, type RunningStub } from "../../infra/agentapi-stub/src/stub";
import { openSse, testStub, type SseStream } from "./helpers/stub";

/** Upstream's wording for the two refusals these tests provoke (huma's 500, `errors[0].message`). */
const BUSY = "failed to send message: message can only be sent when the agent is waiting for user input";
const PROCESS_TIMEOUT =
  "failed to send message: failed to send message: failed to wait for processing to start: timeout waiting for condition";

const now = (): number => performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

interface Timed {
  status: number;
  body: Record<string, unknown>;
  startedAt: number;
  endedAt: number;
  ms: number;
}

async function timed(url: string, init?: RequestInit): Promise<Timed> {
  const startedAt = now();
  const response = await fetch(url, init);
  const text = await response.text();
  const endedAt = now();
  const body = (text === "" ? {} : JSON.parse(text)) as Record<string, unknown>;
  return { status: response.status, body, startedAt, endedAt, ms: endedAt - startedAt };
}

function post(base: string, content: string, type: "user" | "raw" = "user"): Promise<Timed> {
  return timed(`${base}/message`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content, type }),
  });
}

const getStatus = (base: string): Promise<Timed> => timed(`${base}/status`);
const getMessages = (base: string): Promise<Timed> => timed(`${base}/messages`);

function errorMessage(response: Timed): string | undefined {
  return (response.body.errors as { message: string }[] | undefined)?.[0]?.message;
}

function roles(response: Timed): string[] {
  return (response.body.messages as { role: string }[]).map((m) => m.role);
}

/** Polls in-process state (the lock, the timers) every millisecond until `predicate` holds. */
async function until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = now() + timeoutMs;
  while (!predicate()) {
    if (now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(1);
  }
}

/** Resolves with the arrival time of the first `status_change` to `status` after the first `from` events. */
async function statusEventAt(stream: SseStream, status: string, from: number, timeoutMs = 10_000): Promise<number> {
  await stream.until(
    (events) =>
      events
        .slice(from)
        .some((e) => e.event === "status_change" && (JSON.parse(e.data) as { status: string }).status === status),
    timeoutMs,
  );
  return now();
}

/** GET /status from right after start until it says `stable`, every 10 ms. */
async function pollUntilStable(url: string): Promise<Timed[]> {
  const answers: Timed[] = [];
  for (;;) {
    const answer = await getStatus(url);
    answers.push(answer);
    if (answer.body.status === "stable") return answers;
    await sleep(10);
  }
}

/**
 * The boot rule over HTTP: `running` until the banner has been still for the stability length, never `stable` earlier.
 * "Right after start" is checked when the first answer came back within that length (on an overloaded machine
 * starting the listeners alone can take longer, and then nothing before `stable` is observable).
 */
function expectBoot(expect: ExpectStatic, answers: Timed[], startedAt: number, stabilityMs: number): void {
  const [first] = answers;
  const stable = answers.at(-1)!;
  const when = (answer: Timed): string =>
    `${answer.body.status as string}, asked ${Math.round(answer.startedAt - startedAt)} ms after start, ` +
    `answered ${Math.round(answer.endedAt - startedAt)} ms after`;
  if (first!.endedAt - startedAt < stabilityMs) expect(first!.body.status, when(first!)).toBe("running");
  for (const answer of answers.slice(0, -1)) expect(answer.body.status).toBe("running");
  expect(stable.endedAt - startedAt, when(stable)).toBeGreaterThanOrEqual(stabilityMs);
  expect(stable.startedAt - startedAt).toBeLessThan(2 * stabilityMs + 2000);
}

/**
 * One user turn on `server`, timed three ways: the POST itself; the `stable` event as an SSE client receives it; and
 * server-side instants (a listener runs synchronously with each change) of the send's completion (the user message
 * is added just before the 200 is written) and of `stable`.
 */
async function timedTurn(
  server: AgentServer,
  base: string,
  content: string,
): Promise<{ send: Timed; stableSeenAt: number; sentAt: number; stableAt: number }> {
  const { conversation } = server;
  await conversation.untilStable();
  let sentAt = 0;
  let stableAt = 0;
  const stop = conversation.subscribe((event) => {
    if (event.type === "message_update" && event.message.role === "user") sentAt ||= now();
    if (event.type === "status_change" && event.status === "stable" && sentAt > 0) stableAt ||= now();
  });
  const stream = await openSse(`${base}/events`);
  try {
    await stream.until((events) => events.some((e) => e.event === "status_change"));
    const seen = stream.events.length;
    const send = await post(base, content);
    const stableSeenAt = await statusEventAt(stream, "stable", seen);
    return { send, stableSeenAt, sentAt, stableAt };
  } finally {
    stop();
    stream.close();
  }
}

/**
 * The least time from a send's return to `stable`: the agent starts 2 ms after Enter and the send returns once a
 * processing poll (25 ms) has seen that, so think + stability − that poll. A stall of the event loop between the
 * agent's start and that poll delays the return but not the agent's (start-anchored) frames, so it shortens the
 * interval; such a stall also lengthens the send beyond its least duration, which bounds it.
 */
function returnToStableFloor(t: UpstreamTiming, thinkMs: number, sendMs: number): number {
  const leastSend = t.echoPollMs + t.echoSettleMs + t.processPollMs;
  const stall = Math.max(0, sendMs - leastSend);
  return thinkMs + t.stabilityMs - t.processPollMs - 3 - stall;
}

async function withStub(overrides: Partial<StubConfig>, run: (stub: RunningStub) => Promise<void>): Promise<void> {
  const stub = await testStub(overrides);
  try {
    await run(stub);
  } finally {
    await stub.close();
  }
}

// ---- upstream's default timings: each case costs seconds, so they run concurrently, each on its own agent ----------

describe.concurrent("upstream timing (UPSTREAM_TIMING, the defaults)", () => {
  const THINK_MS = 500;
  const T = UPSTREAM_TIMING;
  let stub: RunningStub;
  let bootStartedAt = 0;
  /** Base URL and in-process server of agent n. */
  const base = (n: number): string => `${stub.agentApiUrl}/agents/${n}`;
  const agent = (n: number): AgentServer => stub.fleet.all()[n - 1]!;

  beforeAll(async () => {
    bootStartedAt = now();
    // Not testStub: the boot itself is under test, so nothing waits for the agents here.
    stub = await startStub({
      agentApiPort: 0,
      brokerPort: 0,
      timing: UPSTREAM_TIMING,
      redrawMs: AGENT_REDRAW_MS,
      thinkMs: { min: THINK_MS, max: THINK_MS },
      agents: 6,
    });
  });
  afterAll(() => stub.close());

  /** Starts a user send on agent n and resolves `offsetMs` after it, once the send holds the agent's lock. */
  async function sendAndWait(n: number, offsetMs: number): Promise<{ send: Promise<Timed> }> {
    await agent(n).conversation.untilStable();
    const send = post(base(n), `Prompt for agent ${n}`);
    const issuedAt = now();
    await until(() => !agent(n).lock.readable, `agent ${n}'s send takes the lock`);
    await sleep(issuedAt + offsetMs - now());
    expect(agent(n).lock.readable).toBe(false);
    return { send }; // wrapped: an async function would otherwise wait for the send itself
  }

  /** Resolves once agent n's lock has exactly these requests queued behind the send holding it. */
  async function queued(n: number, expected: { readers: number; writers: number }): Promise<void> {
    const { lock } = agent(n);
    await until(
      () => !lock.readable && lock.waiting.readers === expected.readers && lock.waiting.writers === expected.writers,
      `agent ${n}: ${JSON.stringify(expected)} queued behind its send`,
    );
  }

  it("boot: running right after start, stable once the banner has been still 2 s", async ({ expect }) => {
    const [plain, sixth] = await Promise.all([pollUntilStable(stub.agentApiUrl), pollUntilStable(base(6))]);
    expectBoot(expect, plain, bootStartedAt, T.stabilityMs);
    expectBoot(expect, sixth, bootStartedAt, T.stabilityMs);
  });

  it("a user send takes ≥ 1050 ms (next tick, echo poll 50 ms + 1 s still, Enter, 25 ms); stable ≥ think + 2 s after it returns", async ({
    expect,
  }) => {
    const { send, stableSeenAt, sentAt, stableAt } = await timedTurn(agent(1), base(1), "Add a health check");
    expect(send.status).toBe(200);
    expect(send.ms).toBeGreaterThanOrEqual(T.echoPollMs + T.echoSettleMs + T.processPollMs - 5);
    expect(send.ms).toBeLessThan(2000);
    // From the request: echo poll + 1 s still, then the agent's think time, then 2 s of stillness.
    expect(stableSeenAt - send.startedAt).toBeGreaterThanOrEqual(
      T.echoPollMs + T.echoSettleMs + THINK_MS + T.stabilityMs,
    );
    // From the send's return: think + 2 s − 28 ms on an idle machine.
    expect(stableAt - sentAt).toBeGreaterThanOrEqual(returnToStableFloor(T, THINK_MS, send.ms));
    expect(stableAt - sentAt).toBeLessThan(2 * (THINK_MS + T.stabilityMs));
  });

  it("GET /status and GET /messages issued 150 ms into a send wait for it (shared vs exclusive lock)", async ({
    expect,
  }) => {
    const { send } = await sendAndWait(2, 150);
    const pendingStatus = getStatus(base(2));
    const pendingMessages = getMessages(base(2));
    // Waiting = queued on the lock the send holds (not a guess from how long they took).
    await queued(2, { readers: 2, writers: 0 });
    const [status, messages, done] = await Promise.all([pendingStatus, pendingMessages, send]);
    expect(done.status).toBe(200);
    for (const read of [status, messages]) {
      expect(read.status).toBe(200);
      expect(read.endedAt).toBeGreaterThanOrEqual(done.startedAt + 1050);
    }
    // They ran after the send: the user message is in, and the agent is working.
    expect(status.body.status).toBe("running");
    expect(roles(messages)).toContain("user");
  });

  it("a raw message sent during a user send waits for it too", async ({ expect }) => {
    const { send } = await sendAndWait(3, 150);
    const pendingRaw = post(base(3), "\u001b[B", "raw");
    await queued(3, { readers: 0, writers: 1 });
    const [raw, done] = await Promise.all([pendingRaw, send]);
    expect(done.status).toBe(200);
    expect(raw.status).toBe(200);
    expect(raw.endedAt).toBeGreaterThanOrEqual(done.startedAt + 1050);
  });

  it("a second user POST during a send waits for the first, then is refused with upstream's busy 500", async ({
    expect,
  }) => {
    const { send } = await sendAndWait(4, 150);
    const pendingSecond = post(base(4), "Another prompt");
    await queued(4, { readers: 0, writers: 1 });
    const [second, done] = await Promise.all([pendingSecond, send]);
    expect(done.status).toBe(200);
    expect(second.status).toBe(500);
    expect(errorMessage(second)).toBe(BUSY);
    expect(second.endedAt).toBeGreaterThanOrEqual(done.startedAt + 1050);
    expect(roles(await getMessages(base(4))).filter((r) => r === "user")).toHaveLength(1);
  });

  it("agents are independent: a send on /agents/5 does not block /agents/6/status", async ({ expect }) => {
    await agent(6).conversation.untilStable();
    const { send } = await sendAndWait(5, 150);
    // Whether agent 5's send still held its lock when each answer from agent 6 came back.
    const duringSend = (answer: Promise<Timed>) =>
      answer.then((timedAnswer) => ({ ...timedAnswer, sendHeld: !agent(5).lock.readable }));
    const pendingOtherStatus = duringSend(getStatus(base(6)));
    const pendingOtherMessages = duringSend(getMessages(base(6)));
    const pendingOwnStatus = getStatus(base(5));
    await queued(5, { readers: 1, writers: 0 });
    const [otherStatus, otherMessages, ownStatus, done] = await Promise.all([
      pendingOtherStatus,
      pendingOtherMessages,
      pendingOwnStatus,
      send,
    ]);
    expect(done.status).toBe(200);
    expect(otherStatus.body.status).toBe("stable");
    // Answered while the send on agent 5 was still going on: ordering, not a time budget.
    for (const other of [otherStatus, otherMessages]) {
      expect(other.status).toBe(200);
      expect(other.sendHeld).toBe(true);
      expect(other.endedAt).toBeLessThan(done.endedAt);
    }
    // Agent 5's own read waited for its send.
    expect(ownStatus.endedAt).toBeGreaterThanOrEqual(done.startedAt + 1050);
  });
});

// ---- the fast mode: the same shapes at 2 %, and the cases that would take upstream 15 s; each on its own stub ----

describe.concurrent("fast mode (FAST_TIMING, upstream's waits at 2 %)", () => {
  const F = FAST_TIMING;

  it("a user send takes ≥ echo poll + echo settle; stable ≥ think + stability after it returns", async ({ expect }) => {
    const think = 100;
    await withStub({ thinkMs: { min: think, max: think } }, async (stub) => {
      const turn = await timedTurn(stub.fleet.first, stub.agentApiUrl, "Quick prompt");
      const { send } = turn;
      expect(send.status).toBe(200);
      expect(send.ms).toBeGreaterThanOrEqual(F.echoPollMs + F.echoSettleMs);
      expect(send.ms).toBeLessThan(5000);
      expect(turn.stableSeenAt - send.startedAt).toBeGreaterThanOrEqual(
        F.echoPollMs + F.echoSettleMs + think + F.stabilityMs,
      );
      expect(turn.stableSeenAt - send.startedAt).toBeLessThan(2 * (think + F.stabilityMs) + 5000);
      expect(turn.stableAt - turn.sentAt).toBeGreaterThanOrEqual(returnToStableFloor(F, think, send.ms));
    });
  });

  it("boot: running right after start, stable once the banner has been still for the stability length", async ({
    expect,
  }) => {
    // 40 ms (2 % of 2 s) is over before a first request could land (starting both listeners takes 100-300 ms on a
    // busy machine, after the agents boot); a 1 s stability length keeps the shape observable.
    const timing = { ...F, stabilityMs: 1000 };
    const startedAt = now();
    const stub = await startStub({ agentApiPort: 0, brokerPort: 0, timing, redrawMs: FAST_REDRAW_MS });
    try {
      expectBoot(expect, await pollUntilStable(stub.agentApiUrl), startedAt, timing.stabilityMs);
    } finally {
      await stub.close();
    }
  });

  it("readers, a raw message and a second user send during a send all wait for it; the user send is then refused", async ({
    expect,
  }) => {
    // A 1 s echo settle keeps the send long enough to queue requests behind it reliably, and a 2 s echo bound
    // keeps a stalled event loop from missing the echo (the 40 ms bound would then end phase 1 without it).
    const timing: UpstreamTiming = { ...F, echoSettleMs: 1000, echoTimeoutMs: 2000 };
    await withStub({ timing }, async (stub) => {
      const agent = stub.fleet.first;
      const base = stub.agentApiUrl;
      const send = post(base, "First prompt");
      await until(() => !agent.lock.readable, "the send takes the lock");
      const status = getStatus(base);
      const messages = getMessages(base);
      const raw = post(base, "\u0003", "raw");
      const second = post(base, "Second prompt");
      await until(() => agent.lock.waiting.readers === 2 && agent.lock.waiting.writers === 2, "all four queue");
      const done = await send;
      expect(done.status).toBe(200);
      expect(done.ms).toBeGreaterThanOrEqual(timing.echoSettleMs);
      for (const waited of await Promise.all([status, messages, raw, second])) {
        expect(waited.endedAt).toBeGreaterThanOrEqual(done.startedAt + timing.echoSettleMs);
      }
      expect((await status).body.status).toBe("running");
      expect(roles(await messages)).toEqual(["agent", "user", "agent"]);
      expect((await raw).status).toBe(200);
      expect((await second).status).toBe(500);
      expect(errorMessage(await second)).toBe(BUSY);
    });
  });

  it("an agent that never echoes: the send still succeeds once the echo bound has passed (v0.12.2, non-fatal)", async ({
    expect,
  }) => {
    const timing = { ...F, echoTimeoutMs: 200 };
    await withStub({ timing, echoDelayMs: undefined }, async (stub) => {
      const send = await post(stub.agentApiUrl, "Paste without echo");
      expect(send.status).toBe(200);
      expect(send.body).toMatchObject({ ok: true });
      expect(send.ms).toBeGreaterThanOrEqual(timing.echoTimeoutMs);
      expect(send.ms).toBeLessThan(2 * timing.echoTimeoutMs + 5000);
      expect(roles(await getMessages(stub.agentApiUrl))).toEqual(["agent", "user", "agent"]);
    });
  });

  it("an agent that never reacts to Enter: 500 with upstream's exact error, no user message, stable again", async ({
    expect,
  }) => {
    const timing: UpstreamTiming = { ...F, processTimeoutMs: 300 };
    await withStub({ timing, reactDelayMs: 60_000 }, async (stub) => {
      const base = stub.agentApiUrl;
      const send = await post(base, "Are you there?");
      expect(send.status).toBe(500);
      expect(send.body).toMatchObject({ status: 500, detail: "unexpected error occurred" });
      expect(send.body.errors).toEqual([{ message: PROCESS_TIMEOUT }]);
      expect(send.ms).toBeGreaterThanOrEqual(timing.processTimeoutMs);
      expect(send.ms).toBeLessThan(2 * timing.processTimeoutMs + 5000);
      expect(roles(await getMessages(base))).toEqual(["agent"]);
      expect((await getStatus(base)).body.status).toBe("stable");
    });
  });

  it("Go RWMutex order: readers queued behind a send run when it ends, before the writer that waited; a reader arriving during that writer waits for it", async ({
    expect,
  }) => {
    // An agent that never reacts: each send holds the lock for the process bound (800 ms), fails, and leaves the agent
    // stable, so the next send is admitted and holds it as long.
    const timing: UpstreamTiming = { ...F, processTimeoutMs: 800 };
    const hold = timing.processTimeoutMs;
    await withStub({ timing, reactDelayMs: 60_000 }, async (stub) => {
      const { lock } = stub.fleet.first;
      const base = stub.agentApiUrl;
      const first = post(base, "First");
      await until(() => !lock.readable, "the first send takes the lock");
      const second = post(base, "Second");
      await until(() => lock.waiting.writers === 1, "the second send waits");
      // Whether a send (the second) held the lock when the queued reader's answer came back.
      const queuedReader = getMessages(base).then((answer) => ({ ...answer, lockHeld: !lock.readable }));
      await until(() => lock.waiting.readers === 1, "the reader queues behind the first send");
      const a = await first;
      await until(() => !lock.readable && lock.waiting.writers === 0, "the second send takes the lock");
      // The queued reader was let go with the first send's unlock, before the second send took the lock.
      expect(lock.waiting.readers).toBe(0);
      const lateReader = getStatus(base);
      await until(() => lock.waiting.readers === 1, "the late reader queues behind the second send");
      const [b, r1, r2] = await Promise.all([second, queuedReader, lateReader]);

      expect(a.status).toBe(500);
      expect(errorMessage(a)).toBe(PROCESS_TIMEOUT);
      // The second send was admitted (the agent was stable again) and held the lock for its own bound.
      expect(b.status).toBe(500);
      expect(errorMessage(b)).toBe(PROCESS_TIMEOUT);
      expect(b.endedAt).toBeGreaterThanOrEqual(a.startedAt + 2 * hold);
      // The queued reader ran when the first send ended, not after the second (whose lock it came back during).
      expect(r1.endedAt).toBeGreaterThanOrEqual(a.startedAt + hold);
      expect(r1.lockHeld).toBe(true);
      expect(r1.endedAt).toBeLessThan(b.endedAt);
      expect(roles(r1)).toEqual(["agent"]);
      // The reader that arrived while the second send held the lock (it queued above) waited for it (the second send
      // began ≥ 800 ms after the first, and held the lock ≥ 800 ms).
      expect(r2.endedAt).toBeGreaterThanOrEqual(a.startedAt + 2 * hold);
      expect(r2.body.status).toBe("stable");
    });
  });

  it("SSE live order of a turn: running → user message → agent message (growing) → stable", async ({ expect }) => {
    await withStub({ thinkMs: { min: 150, max: 150 } }, async (stub) => {
      const stream = await openSse(`${stub.agentApiUrl}/events`);
      try {
        await stream.until((events) => events.some((e) => e.event === "status_change"));
        const seen = stream.events.length;
        expect((await post(stub.agentApiUrl, "Stream me a reply")).status).toBe(200);
        await statusEventAt(stream, "stable", seen);
        const live = stream.events.slice(seen).map((e) => ({
          event: e.event,
          data: JSON.parse(e.data) as { status?: string; role?: string; message?: string; id?: number },
        }));
        expect(live[0]).toEqual({ event: "status_change", data: { status: "running", agent_type: "claude" } });
        expect(live[1]).toMatchObject({
          event: "message_update",
          data: { role: "user", message: "Stream me a reply" },
        });
        expect(live.at(-1)).toEqual({ event: "status_change", data: { status: "stable", agent_type: "claude" } });
        const replies = live.slice(2, -1);
        expect(replies.length).toBeGreaterThanOrEqual(1);
        for (const reply of replies) expect(reply).toMatchObject({ event: "message_update", data: { role: "agent" } });
        expect(new Set(replies.map((r) => r.data.id)).size).toBe(1);
        expect(replies[0]?.data.id).toBe((live[1]?.data.id ?? -2) + 1);
        for (let i = 1; i < replies.length; i++) {
          const previous = replies[i - 1]?.data.message ?? "";
          expect(replies[i]?.data.message?.startsWith(previous)).toBe(true);
          expect(replies[i]?.data.message?.length).toBeGreaterThan(previous.length);
        }
      } finally {
        stream.close();
      }
    });
  });
});

// ---- cost: an idle agent holds no timers; the fleet's routing -------------------------------------------------------

describe("cost and routing", () => {
  it("an idle agent holds no timers: after boot, and again once a turn has settled", async () => {
    await withStub({}, async (stub) => {
      const { conversation } = stub.fleet.first;
      expect(conversation.pendingTimers).toBe(0);
      expect((await post(stub.agentApiUrl, "One turn")).status).toBe(200);
      expect(conversation.pendingTimers).toBeGreaterThan(0);
      await conversation.untilStable();
      expect(conversation.pendingTimers).toBe(0);
      expect((await getStatus(stub.agentApiUrl)).body.status).toBe("stable");
    });
  });

  describe("a fleet of 500 agents (STUB_AGENTS=500)", () => {
    const SIZE = 500;
    let stub: RunningStub;
    beforeAll(async () => {
      stub = await testStub({ agents: SIZE });
    });
    afterAll(() => stub.close());

    const pending = (): number => stub.fleet.all().reduce((sum, a) => sum + a.conversation.pendingTimers, 0);

    it("holds no timers once booted, nor after one agent's turn has settled", async () => {
      expect(stub.fleet.size).toBe(SIZE);
      expect(pending()).toBe(0);
      const busy = stub.fleet.all()[249]!;
      expect((await post(`${stub.agentApiUrl}/agents/250`, "Work on 250")).status).toBe(200);
      expect(busy.conversation.pendingTimers).toBeGreaterThan(0);
      expect(pending()).toBe(busy.conversation.pendingTimers);
      await busy.conversation.untilStable();
      expect(pending()).toBe(0);
    });

    it("answers /agents/1..500 (each its own agent) and 404s for /agents/0, /501, /01, /x", async () => {
      const seen: number[] = [];
      for (let start = 1; start <= SIZE; start += 50) {
        const batch = Array.from({ length: Math.min(50, SIZE - start + 1) }, (_, i) => start + i);
        const answers = await Promise.all(batch.map((n) => getStatus(`${stub.agentApiUrl}/agents/${n}`)));
        for (const [i, answer] of answers.entries()) {
          expect(answer.status, `agent ${batch[i]}`).toBe(200);
          expect(answer.body.status).toBe("stable");
          seen.push(batch[i]!);
        }
      }
      expect(seen).toHaveLength(SIZE);
      // Agent 1 is also the plain upstream URL.
      expect(stub.fleet.byPathSegment("1")).toBe(stub.fleet.first);
      for (const segment of ["0", "501", "01", "x", "-1", "1.0"]) {
        const answer = await fetch(`${stub.agentApiUrl}/agents/${segment}/status`);
        expect(answer.status, `/agents/${segment}/status`).toBe(404);
        expect(answer.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      }
      expect((await post(`${stub.agentApiUrl}/agents/501`, "nobody")).status).toBe(404);
      expect((await fetch(`${stub.agentApiUrl}/agents/0/messages`)).status).toBe(404);
    });
  });
});

// ---- the pure building blocks ---------------------------------------------------------------------------------------

describe("ServerLock (Go sync.RWMutex semantics)", () => {
  /** A writer whose critical section lasts until `release()`. */
  function heldWriter(lock: ServerLock, log: string[], name: string): { done: Promise<void>; release: () => void } {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const done = lock.write(async () => {
      log.push(`${name} start`);
      await gate;
      log.push(`${name} end`);
    });
    return { done, release };
  }

  it("readers run at once without a writer, and wait while one holds the lock", async () => {
    const lock = new ServerLock();
    expect(lock.readable).toBe(true);
    const log: string[] = [];
    const a = heldWriter(lock, log, "A");
    expect(lock.readable).toBe(false);
    const read = lock.waitForRead().then(() => log.push("R"));
    await sleep(5);
    expect(log).toEqual(["A start"]);
    expect(lock.waiting).toEqual({ readers: 1, writers: 0 });
    a.release();
    await Promise.all([a.done, read]);
    expect(log).toEqual(["A start", "A end", "R"]);
    expect(lock.readable).toBe(true);
  });

  it("readers that queued behind a writer run before the next writer; a reader arriving during that writer waits", async () => {
    const lock = new ServerLock();
    const log: string[] = [];
    const a = heldWriter(lock, log, "A");
    const b = heldWriter(lock, log, "B");
    const r1 = lock.waitForRead().then(() => log.push("R1"));
    const r2 = lock.waitForRead().then(() => log.push("R2"));
    await sleep(5);
    expect(lock.waiting).toEqual({ readers: 2, writers: 1 });
    a.release();
    await Promise.all([a.done, r1, r2]);
    await sleep(5);
    expect(log).toEqual(["A start", "A end", "R1", "R2", "B start"]);
    expect(lock.readable).toBe(false); // ownership passed straight to B
    const r3 = lock.waitForRead().then(() => log.push("R3"));
    await sleep(5);
    expect(log.at(-1)).toBe("B start");
    b.release();
    await Promise.all([b.done, r3]);
    expect(log).toEqual(["A start", "A end", "R1", "R2", "B start", "B end", "R3"]);
    expect(lock.readable).toBe(true);
  });

  it("writers are exclusive and first come, first served; a throwing writer still unlocks", async () => {
    const lock = new ServerLock();
    const log: string[] = [];
    let inside = 0;
    const writer = (name: string, fail = false) =>
      lock.write(async () => {
        inside++;
        expect(inside).toBe(1);
        log.push(name);
        await sleep(3);
        inside--;
        if (fail) throw new Error(`${name} failed`);
        return name;
      });
    const results = await Promise.allSettled([writer("W1"), writer("W2", true), writer("W3")]);
    expect(log).toEqual(["W1", "W2", "W3"]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(lock.readable).toBe(true);
    expect(lock.waiting).toEqual({ readers: 0, writers: 0 });
  });
});

describe("waitFor (lib/util WaitFor) and AgentTimers", () => {
  /** A virtual clock: every sleep advances it at once, so the schedule is exact. */
  class VirtualTimers extends AgentTimers {
    time = 0;
    override now(): number {
      return this.time;
    }
    override sleep(ms: number): Promise<void> {
      this.time += Math.max(0, ms);
      return Promise.resolve();
    }
  }

  async function schedule(
    options: WaitOptions,
    condition: (timers: VirtualTimers, check: number) => boolean | Promise<boolean> = () => false,
  ): Promise<{ checks: number[]; result: boolean; endedAt: number }> {
    const timers = new VirtualTimers();
    const checks: number[] = [];
    const result = await upstreamWaitFor(timers, options, () => {
      checks.push(timers.now());
      return condition(timers, checks.length);
    });
    return { checks, result, endedAt: timers.now() };
  }

  const ECHO: WaitOptions = { timeoutMs: 2000, minIntervalMs: 50, maxIntervalMs: 500, initialWait: true };
  const PROCESS: WaitOptions = { timeoutMs: 2000, minIntervalMs: 25, maxIntervalMs: 500, initialWait: false };

  it("initialWait true: checks at 50, 150, 350, 750, 1250, 1750 ms (doubling, capped at 500), then times out at 2000", async () => {
    expect(await schedule(ECHO)).toEqual({ checks: [50, 150, 350, 750, 1250, 1750], result: false, endedAt: 2000 });
  });

  it("initialWait false: the first check at once; the interval doubles before the first sleep (0, 50, 150, 350, …)", async () => {
    expect(await schedule(PROCESS)).toEqual({
      checks: [0, 50, 150, 350, 750, 1250, 1750],
      result: false,
      endedAt: 2000,
    });
  });

  it("stops at the first check that holds", async () => {
    expect(await schedule(ECHO, (_t, check) => check === 3)).toEqual({
      checks: [50, 150, 350],
      result: true,
      endedAt: 350,
    });
  });

  it("a condition that waits itself (phase 1's 1 s of stillness) always completes; the timeout is seen only while sleeping", async () => {
    const settle = async (timers: VirtualTimers): Promise<boolean> => {
      await timers.sleep(1000);
      return false;
    };
    // Checks at 50 (until 1050) and 1150 (until 2150): past the 2 s bound, which ends the wait only then.
    expect(await schedule(ECHO, settle)).toEqual({ checks: [50, 1150], result: false, endedAt: 2150 });
    // The echo seen at the first poll and the screen still for 1 s: phase 1 ends at 1050 ms.
    const still = async (timers: VirtualTimers): Promise<boolean> => {
      await timers.sleep(1000);
      return true;
    };
    expect(await schedule(ECHO, still)).toEqual({ checks: [50], result: true, endedAt: 1050 });
  });

  it("on the real AgentTimers: times out no earlier than the bound and leaves no timer behind", async () => {
    const timers = new AgentTimers();
    let checks = 0;
    const startedAt = now();
    const result = await upstreamWaitFor(
      timers,
      { timeoutMs: 60, minIntervalMs: 5, maxIntervalMs: 20, initialWait: true },
      () => {
        checks++;
        return false;
      },
    );
    const elapsed = now() - startedAt;
    expect(result).toBe(false);
    expect(elapsed).toBeGreaterThanOrEqual(58);
    expect(elapsed).toBeLessThan(1000);
    // 5, 15, 35, 55 ms on an idle machine; fewer when timers fire late, never more.
    expect(checks).toBeGreaterThanOrEqual(1);
    expect(checks).toBeLessThanOrEqual(4);
    expect(timers.size).toBe(0);
  });

  it("AgentTimers.close() cancels every timer and rejects pending sleeps with ShutdownError", async () => {
    const timers = new AgentTimers();
    let fired = false;
    timers.after(10, () => (fired = true));
    const sleeping = timers.sleep(10_000);
    expect(timers.size).toBe(2);
    timers.close();
    expect(timers.size).toBe(0);
    await expect(sleeping).rejects.toBeInstanceOf(ShutdownError);
    await expect(timers.sleep(1)).rejects.toBeInstanceOf(ShutdownError);
    await sleep(20);
    expect(fired).toBe(false);
  });
});
