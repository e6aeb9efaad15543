// The target's ACP transport (STUB_TRANSPORT=acp): upstream's `agentapi server --experimental-acp` (coder/agentapi
// v0.12.2, x/acpio/acp_conversation.go, acpio.go, lib/httpapi/server.go), measured through HTTP on in-process stubs
// and on the conversation itself. Orderings are read from the lock's own state and from listeners that run
// synchronously with each change; lower bounds come from the model's timers (a turn never ends before its think
// time); upper bounds are loose (a busy 2-core machine only makes things slower). No fixed sleeps.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AcpConversation,
  acpPromptText,
  acpReplyChunks,
  NO_CHUNK_WAIT_MS,
  type AcpConversationOptions,
} from "../../infra/agentapi-stub/src/agent/acp-conversation";
import { ERR_AGENT_BUSY, MessageRejected, type AgentEvent } from "../../infra/agentapi-stub/src/agent/conversation";
import type { AgentServer } from "../../infra/agentapi-stub/src/agentapi/agent-server";
import { ConfigError, loadConfig } from "../../infra/agentapi-stub/src/config";
import type { RunningStub } from "../../infra/agentapi-stub/src/stub";
import { until } from "../support/wait";
import { openSse, testStub } from "./helpers/stub";

const EMPTY = "failed to send message: message must not be empty";

const now = (): number => performance.now();

interface Timed {
  status: number;
  body: Record<string, unknown>;
  startedAt: number;
  endedAt: number;
  ms: number;
}

interface Message {
  id: number;
  content: string;
  role: "user" | "agent";
  time: string;
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
const messagesOf = (answer: Timed): Message[] => answer.body.messages as Message[];

/** Polls in-process state (the lock, the conversation) every millisecond until `predicate` holds. */
function whenTrue(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  return until(predicate, what, timeoutMs, 1);
}

/** Every event of `server`'s conversation, with the (performance.now) instant it happened. */
function record(server: AgentServer): { events: { event: AgentEvent; at: number }[]; stop: () => void } {
  const events: { event: AgentEvent; at: number }[] = [];
  // A message is live (the conversation updates it in place): keep a copy as it was when announced.
  const stop = server.conversation.subscribe((event) =>
    events.push({
      event: event.type === "message_update" ? { ...event, message: { ...event.message } } : event,
      at: now(),
    }),
  );
  return { events, stop };
}

/** The growing agent message: the concatenation of the first 1 … n chunks. */
function accumulated(chunks: string[]): string[] {
  return chunks.map((_, i) => chunks.slice(0, i + 1).join(""));
}

// ---- upstream's ACP behaviour over HTTP: one stub, each case on its own agent, concurrently ----------------------

describe.concurrent("ACP over HTTP (STUB_TRANSPORT=acp, think 1000 ms, a chunk every 100 ms)", () => {
  const THINK_MS = 1000;
  const CHUNK_MS = 100;
  let stub: RunningStub;
  const base = (n: number): string => `${stub.agentApiUrl}/agents/${n}`;
  const agent = (n: number): AgentServer => stub.fleet.all()[n - 1]!;

  beforeAll(async () => {
    stub = await testStub({
      transport: "acp",
      acpChunkMs: CHUNK_MS,
      thinkMs: { min: THINK_MS, max: THINK_MS },
      agents: 8,
    });
  });
  afterAll(() => stub.close());

  /** Starts a user turn on agent n and resolves once it holds the agent's write lock. */
  async function startTurn(n: number, content: string): Promise<{ send: Promise<Timed> }> {
    const send = post(base(n), content);
    await whenTrue(() => !agent(n).lock.readable, `agent ${n}'s turn takes the lock`);
    return { send }; // wrapped: an async function would otherwise wait for the send itself
  }

  it("boot: transport acp, stable at once, no initial message; /events replays only the status", async () => {
    // testStub resolved on agentsStable(), which for ACP is immediate: nothing to wait for.
    const status = await getStatus(stub.agentApiUrl);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ status: "stable", agent_type: "claude", transport: "acp" });
    expect(messagesOf(await getMessages(stub.agentApiUrl))).toEqual([]);
    expect(agent(1).conversation.status).toBe("stable");
    const stream = await openSse(`${stub.agentApiUrl}/events`);
    try {
      await stream.until((events) => events.some((e) => e.event === "status_change"));
      expect(stream.events.map((e) => [e.event, JSON.parse(e.data) as unknown])).toEqual([
        ["status_change", { status: "stable", agent_type: "claude" }],
      ]);
    } finally {
      stream.close();
    }
  });

  it("a user turn: POST lasts the think time, SSE running → user + agent at the first chunk → a growing agent update per chunk → stable; times stay the submit time", async () => {
    const prompt = "  Add a health check \n";
    const trimmed = "Add a health check";
    const chunks = acpReplyChunks(trimmed, THINK_MS, CHUNK_MS);
    expect(chunks.length).toBe(THINK_MS / CHUNK_MS);
    const server = agent(2);
    const stream = await openSse(`${base(2)}/events`);
    const seen = record(server);
    // Whether `stable` came in the same task as the last chunk (no 100 ms wait when chunks came).
    let lastChunkTaskOpen = false;
    let stableRightAfterLastChunk: boolean | undefined;
    const stopTaskProbe = server.conversation.subscribe((event) => {
      if (event.type === "message_update" && event.message.content === chunks.join("")) {
        lastChunkTaskOpen = true;
        setImmediate(() => (lastChunkTaskOpen = false));
      }
      if (event.type === "status_change" && event.status === "stable") stableRightAfterLastChunk = lastChunkTaskOpen;
    });
    try {
      await stream.until((events) => events.some((e) => e.event === "status_change"));
      const from = stream.events.length;
      const wallBefore = Date.now();
      const send = await post(base(2), prompt);
      expect(send.status).toBe(200);
      expect(send.body).toMatchObject({ ok: true });
      await stream.until((events) =>
        events.slice(from).some((e) => e.event === "status_change" && e.data.includes('"stable"')),
      );

      // The model's own instants: running at submit, chunk i no earlier than i/N of the think time, stable at its end.
      const kinds = seen.events.map(({ event }) =>
        event.type === "status_change" ? event.status : `${event.message.role}:${event.message.id}`,
      );
      expect(kinds).toEqual(["running", "user:0", ...chunks.map(() => "agent:1"), "stable"]);
      const runningAt = seen.events[0]!.at;
      const stableAt = seen.events.at(-1)!.at;
      const chunkAts = seen.events.slice(2, -1).map((e) => e.at);
      for (const [i, at] of chunkAts.entries()) {
        expect(at - runningAt).toBeGreaterThanOrEqual(((i + 1) * THINK_MS) / chunks.length);
      }
      expect(stableAt - runningAt).toBeGreaterThanOrEqual(THINK_MS);
      expect(stableRightAfterLastChunk).toBe(true);
      // The POST answered only once the turn was over, and took at least the think time.
      expect(send.endedAt).toBeGreaterThanOrEqual(stableAt);
      expect(send.ms).toBeGreaterThanOrEqual(THINK_MS);
      expect(send.ms).toBeLessThan(THINK_MS + 10_000);

      // What an SSE client saw: the same order, the agent message growing chunk by chunk, one submit time throughout.
      const live = stream.events.slice(from).map((e) => ({ event: e.event, data: JSON.parse(e.data) as unknown }));
      const submitTime = (live[1]?.data as { time: string }).time;
      expect(live).toEqual([
        { event: "status_change", data: { status: "running", agent_type: "claude" } },
        { event: "message_update", data: { id: 0, role: "user", message: trimmed, time: submitTime } },
        ...accumulated(chunks).map((message) => ({
          event: "message_update",
          data: { id: 1, role: "agent", message, time: submitTime },
        })),
        { event: "status_change", data: { status: "stable", agent_type: "claude" } },
      ]);
      // The submit time: not before the POST was sent, at least a think time before `stable` arrived.
      const stableReceivedAt = stream.receivedAt[stream.receivedAt.length - 1]!;
      expect(Date.parse(submitTime)).toBeGreaterThanOrEqual(wallBefore);
      expect(Date.parse(submitTime)).toBeLessThanOrEqual(stableReceivedAt - THINK_MS + 1);

      expect(messagesOf(await getMessages(base(2)))).toEqual([
        { id: 0, content: trimmed, role: "user", time: submitTime },
        { id: 1, content: chunks.join(""), role: "agent", time: submitTime },
      ]);
    } finally {
      seen.stop();
      stopTaskProbe();
      stream.close();
    }
  });

  it("GET /status and GET /messages issued during a turn wait for the whole turn (queued on the write lock), then say stable", async () => {
    const server = agent(3);
    const seen = record(server);
    try {
      const { send } = await startTurn(3, "Refactor the handlers");
      expect(server.conversation.status).toBe("running");
      const pendingStatus = getStatus(base(3));
      const pendingMessages = getMessages(base(3));
      await whenTrue(
        () => !server.lock.readable && server.lock.waiting.readers === 2,
        "both reads queue behind the turn",
      );
      const [status, messages, done] = await Promise.all([pendingStatus, pendingMessages, send]);
      expect(done.status).toBe(200);
      const stableAt = seen.events.find(({ event }) => event.type === "status_change" && event.status === "stable")!.at;
      for (const read of [status, messages]) {
        expect(read.status).toBe(200);
        expect(read.endedAt).toBeGreaterThanOrEqual(stableAt);
      }
      // They ran after the turn: upstream's observed answer is `stable` with the whole reply.
      expect(status.body).toMatchObject({ status: "stable", transport: "acp" });
      const [user, reply] = messagesOf(messages);
      expect(user).toMatchObject({ id: 0, role: "user", content: "Refactor the handlers" });
      expect(reply).toMatchObject({
        id: 1,
        role: "agent",
        content: acpReplyChunks("Refactor the handlers", THINK_MS, CHUNK_MS).join(""),
      });
    } finally {
      seen.stop();
    }
  });

  it("a second POST during a turn waits for the lock, then runs its own turn and answers 200 (not refused as busy)", async () => {
    const server = agent(4);
    const { send: first } = await startTurn(4, "First prompt");
    const pendingSecond = post(base(4), "Second prompt");
    await whenTrue(() => !server.lock.readable && server.lock.waiting.writers === 1, "the second POST queues");
    const [a, b] = await Promise.all([first, pendingSecond]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body).toMatchObject({ ok: true });
    // Two whole turns, one after the other.
    expect(b.endedAt).toBeGreaterThanOrEqual(a.startedAt + 2 * THINK_MS);
    const messages = messagesOf(await getMessages(base(4)));
    expect(messages.map((m) => [m.id, m.role])).toEqual([
      [0, "user"],
      [1, "agent"],
      [2, "user"],
      [3, "agent"],
    ]);
    expect(messages[2]?.content).toBe("Second prompt");
    // The second turn's submit time is when it got the lock, a whole turn after the first one's.
    expect(Date.parse(messages[2]!.time) - Date.parse(messages[0]!.time)).toBeGreaterThanOrEqual(THINK_MS - 1);
    expect(messages[3]?.time).toBe(messages[2]?.time);
  });

  it("raw: a real prompt whose reply is discarded — blocks a think time holding the write lock, adds nothing, sends no event, stays stable", async () => {
    const server = agent(5);
    const stream = await openSse(`${base(5)}/events`);
    try {
      await stream.until((events) => events.some((e) => e.event === "status_change"));
      const from = stream.events.length;
      const seen = record(server);
      const raw = post(base(5), "\u001b[200~  run the linter \u001b[201~", "raw");
      await whenTrue(() => !server.lock.readable, "the raw prompt takes the lock");
      expect(server.conversation.status).toBe("stable");
      expect(server.conversation.pendingTimers).toBeGreaterThan(0);
      const pendingStatus = getStatus(base(5));
      await whenTrue(() => server.lock.waiting.readers === 1, "GET /status queues behind the raw prompt");
      const [done, status] = await Promise.all([raw, pendingStatus]);
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ ok: true });
      expect(done.ms).toBeGreaterThanOrEqual(THINK_MS);
      expect(status.endedAt).toBeGreaterThanOrEqual(done.startedAt + THINK_MS);
      expect(status.body).toMatchObject({ status: "stable" });
      expect(seen.events).toEqual([]);
      seen.stop();
      expect(server.conversation.pendingTimers).toBe(0);
      expect(messagesOf(await getMessages(base(5)))).toEqual([]);
      // The next thing the stream carries is the next user turn's `running`: the raw prompt sent nothing.
      expect((await post(base(5), "Now for real")).status).toBe(200);
      await stream.until((events) => events.length > from);
      expect(stream.events[from]).toMatchObject({ event: "status_change" });
      expect(JSON.parse(stream.events[from]!.data)).toEqual({ status: "running", agent_type: "claude" });
      expect(messagesOf(await getMessages(base(5))).map((m) => m.id)).toEqual([0, 1]);
    } finally {
      stream.close();
    }
  });

  it("an idle ACP agent holds no timer: after boot, during a turn some, after it none", async () => {
    const { conversation } = agent(6);
    expect(conversation.pendingTimers).toBe(0);
    const { send } = await startTurn(6, "One turn");
    expect(conversation.pendingTimers).toBeGreaterThan(0);
    expect((await send).status).toBe(200);
    expect(conversation.status).toBe("stable");
    expect(conversation.pendingTimers).toBe(0);
  });

  it("a fleet of ACP agents: each has its own conversation and lock; a turn on one does not block another", async () => {
    expect(stub.fleet.all().every((a) => a.conversation.transport === "acp")).toBe(true);
    const { send } = await startTurn(7, "Work on agent 7");
    // Whether agent 7's turn still held its lock when each answer from agent 8 came back.
    const duringTurn = (answer: Promise<Timed>) =>
      answer.then((got) => ({ ...got, turnHeld: !agent(7).lock.readable }));
    const otherStatus = duringTurn(getStatus(base(8)));
    const otherMessages = duringTurn(getMessages(base(8)));
    const ownStatus = getStatus(base(7));
    await whenTrue(() => agent(7).lock.waiting.readers === 1, "agent 7's own read queues behind its turn");
    const [other, otherList, own, done] = await Promise.all([otherStatus, otherMessages, ownStatus, send]);
    expect(done.status).toBe(200);
    for (const answer of [other, otherList]) {
      expect(answer.status).toBe(200);
      expect(answer.turnHeld).toBe(true);
      expect(answer.endedAt).toBeLessThan(done.endedAt);
    }
    expect(other.body).toMatchObject({ status: "stable", transport: "acp" });
    expect(messagesOf(otherList)).toEqual([]);
    expect(own.endedAt).toBeGreaterThanOrEqual(done.startedAt + THINK_MS);
    expect(own.body).toMatchObject({ status: "stable", transport: "acp" });
    expect(messagesOf(await getMessages(base(7)))).toHaveLength(2);
  });
});

// ---- refusals and no-ops: an agent that would think 60 s, so anything that prompted it would hang the test -------

describe("ACP: what never reaches the agent (think 60 s)", () => {
  let stub: RunningStub;
  beforeAll(async () => {
    stub = await testStub({ transport: "acp", thinkMs: { min: 60_000, max: 60_000 } });
  });
  afterAll(() => stub.close());

  it("a blank user message: upstream's 500 'message must not be empty', nothing added, no turn", async () => {
    for (const content of ["", "  \n\t "]) {
      const answer = await post(stub.agentApiUrl, content);
      expect(answer.status).toBe(500);
      expect(answer.body).toMatchObject({ status: 500, detail: "unexpected error occurred" });
      expect(answer.body.errors).toEqual([{ message: EMPTY }]);
    }
    expect(messagesOf(await getMessages(stub.agentApiUrl))).toEqual([]);
    expect((await getStatus(stub.agentApiUrl)).body).toMatchObject({ status: "stable", transport: "acp" });
    expect(stub.fleet.first.conversation.pendingTimers).toBe(0);
  });

  it("an empty raw message (blank, or only bracketed-paste markers) is 200 at once: no prompt is sent", async () => {
    for (const content of ["", "   ", "\u001b[200~ \n \u001b[201~", "x\b  "]) {
      const answer = await post(stub.agentApiUrl, content, "raw");
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ ok: true });
    }
    expect(stub.fleet.first.conversation.pendingTimers).toBe(0);
    expect(messagesOf(await getMessages(stub.agentApiUrl))).toEqual([]);
  });
});

// ---- the conversation itself ----------------------------------------------------------------------------------

describe("AcpConversation (x/acpio ACPConversation)", () => {
  function conversation(overrides: Partial<AcpConversationOptions> = {}): AcpConversation {
    return new AcpConversation({
      agentType: "claude",
      thinkMs: { min: 50, max: 50 },
      chunkMs: 10,
      maxMessages: 1000,
      ...overrides,
    });
  }

  function collect(conv: AcpConversation): string[] {
    const kinds: string[] = [];
    conv.subscribe((event) =>
      kinds.push(
        event.type === "status_change"
          ? event.status
          : `${event.message.role}:${JSON.stringify(event.message.content)}`,
      ),
    );
    return kinds;
  }

  it("a turn without any chunk pays upstream's 100 ms wait, keeps the empty agent message, and announces both messages at the end", async () => {
    const conv = conversation({ chunks: () => [] });
    const kinds = collect(conv);
    const startedAt = now();
    await conv.sendUser("Say nothing");
    expect(now() - startedAt).toBeGreaterThanOrEqual(50 + NO_CHUNK_WAIT_MS);
    expect(kinds).toEqual(["running", 'user:"Say nothing"', 'agent:""', "stable"]);
    expect(conv.messages().map((m) => [m.id, m.role, m.content])).toEqual([
      [0, "user", "Say nothing"],
      [1, "agent", ""],
    ]);
    expect(conv.pendingTimers).toBe(0);
    conv.close();
  });

  it("the /events replay leaves out a turn's messages until its first chunk (upstream's emitter has not seen them)", async () => {
    const conv = conversation({ thinkMs: { min: 100, max: 100 }, chunks: () => ["Hel", "lo"] });
    const firstChunk = new Promise<void>((resolve) => {
      const stop = conv.subscribe((event) => {
        if (event.type === "message_update" && event.message.role === "agent") {
          stop();
          resolve();
        }
      });
    });
    const turn = conv.sendUser("Greet me");
    // Submitted: both messages are in the history, the status is running, but the emitter knows neither.
    expect(conv.messages()).toHaveLength(2);
    expect(conv.stateEvents()).toEqual([{ type: "status_change", status: "running" }]);
    await firstChunk;
    expect(conv.stateEvents().map((e) => (e.type === "status_change" ? e.status : e.message.content))).toEqual([
      "Greet me",
      "Hel",
      "running",
    ]);
    await turn;
    expect(conv.stateEvents().map((e) => (e.type === "status_change" ? e.status : e.message.content))).toEqual([
      "Greet me",
      "Hello",
      "stable",
    ]);
    conv.close();
  });

  it("called directly during a turn, Send refuses with upstream's busy wording (over HTTP the lock makes it queue)", async () => {
    const conv = conversation({ thinkMs: { min: 60_000, max: 60_000 } });
    const first = conv.sendUser("Long task");
    await expect(conv.sendUser("Another")).rejects.toThrow(new MessageRejected(ERR_AGENT_BUSY));
    conv.close();
    await expect(first).rejects.toThrow(new MessageRejected("context canceled"));
    expect(conv.pendingTimers).toBe(0);
  });

  it("ACPAgentIO.Write's prompt text: bracketed-paste markers and the x\\b hack stripped, Go's TrimSpace", () => {
    expect(acpPromptText("\u001b[200~  hello there \u001b[201~")).toBe("hello there");
    expect(acpPromptText("x\bhello")).toBe("hello");
    expect(acpPromptText("\u00a0 text \u3000\u0085")).toBe("text");
    expect(acpPromptText("\ufefftext")).toBe("\ufefftext"); // not a space to Go
    expect(acpPromptText("\u001b[200~\u001b[201~")).toBe("");
  });

  it("the reply's chunks: about one per chunk interval, word boundaries, concatenating to the whole reply", () => {
    const chunks = acpReplyChunks("Explain the cache", 1000, 100);
    expect(chunks).toHaveLength(10);
    for (const chunk of chunks) expect(chunk.trim()).not.toBe("");
    expect(chunks.join("")).toMatch(/^● I'll take care of this: Explain the cache\n/);
    expect(chunks.join("")).toMatch(/● Done\. The change is in place and the tests pass\.$/);
    expect(acpReplyChunks("Explain the cache", 1000, 100)).toEqual(chunks); // reproducible
    expect(acpReplyChunks("Quick", 20, 100)).toHaveLength(1);
  });
});

describe("STUB_TRANSPORT and STUB_ACP_CHUNK_MS", () => {
  it("default pty, acp on request (any case), anything else one line", () => {
    expect(loadConfig({}).transport).toBe("pty");
    expect(loadConfig({ STUB_TRANSPORT: "acp" }).transport).toBe("acp");
    expect(loadConfig({ STUB_TRANSPORT: " ACP " }).transport).toBe("acp");
    expect(() => loadConfig({ STUB_TRANSPORT: "grpc" })).toThrow(
      new ConfigError('STUB_TRANSPORT must be one of pty, acp, got "grpc"'),
    );
    expect(loadConfig({}).acpChunkMs).toBe(100);
    expect(loadConfig({ STUB_ACP_CHUNK_MS: "250" }).acpChunkMs).toBe(250);
    expect(() => loadConfig({ STUB_ACP_CHUNK_MS: "0" })).toThrow(/STUB_ACP_CHUNK_MS must be between 1 and 60000/);
  });

  it("the PTY default still reports transport pty", async () => {
    const stub = await testStub();
    try {
      expect((await getStatus(stub.agentApiUrl)).body).toMatchObject({ transport: "pty" });
      expect(stub.fleet.first.conversation.transport).toBe("pty");
    } finally {
      await stub.close();
    }
  });
});
