// The fake ACP agent (infra/agentapi-real/fake-acp-agent.ts): (a) on its own over stdio, driven by the official SDK's
// client side and by agentapi's own handshake bytes; (b) behind the real coder/agentapi in `--experimental-acp` mode
// (the pinned version). Part (b) skips without an agentapi binary (fails under CI=true): see
// tests/support/real-agentapi.ts. Timings are checked as order and lower bounds, with generous upper bounds for a
// loaded machine; nothing waits a guessed time.
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { Readable, Writable } from "node:stream";
import * as acp from "@agentclientprotocol/sdk";
import { createParser } from "eventsource-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_ACP_AGENT, REPO_ROOT } from "../../infra/agentapi-real/launch";
import { describeRealAgentApi, startRealAgentApi, type RealAgentApi } from "../support/real-agentapi";
import { until, waitFor } from "../support/wait";

/** The reply the agent streams for the `turn`-th prompt of a session (FAKE_AGENT_REPLY_LINES=4). */
function expectedReply(prompt: string, turn: number, thinkMs: number, chunkMs: number): string {
  const words = prompt.trim().split(/\s+/).length;
  return [
    `fake-acp-agent reply ${turn}: ${prompt}`,
    `  - your prompt had ${prompt.length} characters and ${words} words`,
    `  - streamed over ${thinkMs} ms in chunks every ${chunkMs} ms (FAKE_AGENT_THINK_MS, FAKE_AGENT_CHUNK_MS)`,
    "  - line 4 of 4: nothing was run, this agent only answers",
  ].join("\n");
}

interface AgentProcess {
  stream: acp.Stream;
  stdin: Writable;
  stdout: Readable;
  stderr(): string;
  /** The exit status (null: killed by a signal). */
  exited: Promise<number | null>;
  kill(): void;
}

function startAgent(env: Record<string, string>): AgentProcess {
  const child = spawn(process.execPath, ["--import", "tsx", FAKE_ACP_AGENT], {
    cwd: REPO_ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  return {
    stream: acp.ndJsonStream(
      Writable.toWeb(child.stdin) as WritableStream<Uint8Array>,
      Readable.toWeb(child.stdout) as ReadableStream<Uint8Array>,
    ),
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: () => stderr,
    exited,
    kill: () => child.kill("SIGKILL"),
  };
}

/** An SDK client that records every `session/update` in arrival order. */
function recordingClient(): { app: acp.ClientApp; updates: acp.SessionNotification[] } {
  const updates: acp.SessionNotification[] = [];
  const app = acp
    .client({ name: "fake-acp-agent.test" })
    .onNotification(acp.methods.client.session.update, ({ params }) => {
      updates.push(params);
    });
  return { app, updates };
}

/** The text of the `agent_message_chunk` updates of `sessionId`, in arrival order. */
function chunksOf(updates: acp.SessionNotification[], sessionId: string): string[] {
  return updates.flatMap(({ sessionId: id, update }) =>
    id === sessionId && update.sessionUpdate === "agent_message_chunk" && update.content.type === "text"
      ? [update.content.text]
      : [],
  );
}

async function handshake(ctx: acp.ClientContext): Promise<{ init: acp.InitializeResponse; sessionId: string }> {
  const init = await ctx.request(acp.methods.agent.initialize, {
    protocolVersion: acp.PROTOCOL_VERSION,
    clientCapabilities: {},
  });
  const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd: REPO_ROOT, mcpServers: [] });
  return { init, sessionId };
}

const text = (value: string): acp.ContentBlock[] => [{ type: "text", text: value }];

describe("fake ACP agent on its own (stdio, the SDK's client side)", () => {
  it("speaks ACP v1: initialize (no auth), session/new, then ordered chunks over the think time and end_turn", async () => {
    const agent = startAgent({ FAKE_AGENT_THINK_MS: "600", FAKE_AGENT_CHUNK_MS: "100" });
    const { app, updates } = recordingClient();
    try {
      await app.connectWith(agent.stream, async (ctx) => {
        const { init, sessionId } = await handshake(ctx);
        expect(acp.PROTOCOL_VERSION).toBe(1); // what the SDK's default entrypoint sends, as coder/acp-go-sdk v0.6.3
        expect(init).toMatchObject({ protocolVersion: 1, authMethods: [] });
        expect(init.agentInfo?.name).toBe("fake-acp-agent");
        expect(sessionId).toMatch(/^fake-acp-session-\d+$/);

        for (const [turn, prompt] of [
          [1, "hello fake agent"],
          [2, "a second prompt"],
        ] as const) {
          const started = performance.now();
          const response = await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text(prompt) });
          const ms = performance.now() - started;
          expect(response.stopReason).toBe("end_turn");
          expect(ms).toBeGreaterThanOrEqual(600 - 5); // the think time (a timer may round down by a millisecond)
          const chunks = await waitFor(
            () => (chunksOf(updates, sessionId).length >= 6 * turn ? chunksOf(updates, sessionId) : undefined),
            5_000,
            10,
            () => `6 chunks for turn ${turn}, got ${chunksOf(updates, sessionId).length - 6 * (turn - 1)}`,
          );
          // One chunk every 100 ms within 600 ms: 6 chunks, in order, that make up the reply.
          const turnChunks = chunks.slice(6 * (turn - 1));
          expect(turnChunks).toHaveLength(6);
          for (const chunk of turnChunks) expect(chunk).not.toBe("");
          expect(turnChunks.join("")).toBe(expectedReply(prompt, turn, 600, 100));
        }
        // Every update was an agent_message_chunk of this session.
        expect(
          updates.every((u) => u.sessionId === sessionId && u.update.sessionUpdate === "agent_message_chunk"),
        ).toBe(true);
      });
      // The SDK's close leaves the pipe open: end stdin, and the agent exits 0, silently.
      agent.stdin.end();
      expect(await agent.exited).toBe(0);
      expect(agent.stderr()).toBe("");
    } finally {
      agent.kill();
    }
  });

  it("cancels: session/cancel stops the stream and the prompt answers stopReason cancelled", async () => {
    const agent = startAgent({ FAKE_AGENT_THINK_MS: "20000", FAKE_AGENT_CHUNK_MS: "50" });
    const { app, updates } = recordingClient();
    try {
      await app.connectWith(agent.stream, async (ctx) => {
        const { sessionId } = await handshake(ctx);
        const started = performance.now();
        const prompt = ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text("a long task") });
        await until(() => chunksOf(updates, sessionId).length >= 2, "two chunks of the long prompt", 10_000);

        // One prompt at a time per session; an unknown session is not found.
        await expect(
          ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text("too early") }),
        ).rejects.toMatchObject({ code: -32600 });
        await expect(
          ctx.request(acp.methods.agent.session.prompt, { sessionId: "no-such-session", prompt: text("x") }),
        ).rejects.toMatchObject({ code: -32002 });

        await ctx.notify(acp.methods.agent.session.cancel, { sessionId });
        const response = await prompt;
        expect(response.stopReason).toBe("cancelled");
        expect(performance.now() - started).toBeLessThan(20_000); // well before its think time
        const sent = chunksOf(updates, sessionId);
        const whole = expectedReply("a long task", 1, 20_000, 50);
        expect(whole.startsWith(sent.join(""))).toBe(true); // a beginning of the reply, in order
        expect(sent.join("").length).toBeLessThan(whole.length);

        // Nothing more streams: a later answer (messages keep their order on the wire) finds no new chunk.
        await expect(
          ctx.request(acp.methods.agent.session.prompt, { sessionId: "no-such-session", prompt: text("x") }),
        ).rejects.toMatchObject({ code: -32002 });
        expect(chunksOf(updates, sessionId)).toEqual(sent);

        // The session takes the next prompt (turn 2) after a cancelled one.
        const next = ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: text("again") });
        await until(() => chunksOf(updates, sessionId).length > sent.length, "a chunk of the next prompt", 10_000);
        await ctx.notify(acp.methods.agent.session.cancel, { sessionId });
        expect((await next).stopReason).toBe("cancelled");
        const again = chunksOf(updates, sessionId).slice(sent.length).join("");
        expect(expectedReply("again", 2, 20_000, 50).startsWith(again)).toBe(true);
      });
      agent.stdin.end();
      expect(await agent.exited).toBe(0);
      expect(agent.stderr()).toBe("");
    } finally {
      agent.kill();
    }
  });

  it("on the wire: agentapi's own handshake lines, then one prompt (think 0: one chunk, then the response)", async () => {
    const agent = startAgent({ FAKE_AGENT_THINK_MS: "0" });
    const lines = createInterface({ input: agent.stdout })[Symbol.asyncIterator]();
    const next = async (): Promise<Record<string, unknown>> => {
      const line = await lines.next();
      if (line.done === true) throw new Error(`the agent closed stdout; stderr: ${agent.stderr()}`);
      return JSON.parse(line.value) as Record<string, unknown>;
    };
    try {
      // Byte for byte what agentapi v0.12.2 (coder/acp-go-sdk v0.6.3) writes (notes A1, A4).
      agent.stdin.write(
        '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"clientCapabilities":{"fs":{}},"protocolVersion":1}}\n',
      );
      expect(await next()).toEqual({
        jsonrpc: "2.0",
        id: 1,
        result: {
          protocolVersion: 1,
          agentCapabilities: {
            loadSession: false,
            promptCapabilities: { image: false, audio: false, embeddedContext: false },
          },
          authMethods: [],
          agentInfo: { name: "fake-acp-agent", title: "fake ACP agent (agentapi-load)", version: "1.0.0" },
        },
      });
      agent.stdin.write(
        '{"jsonrpc":"2.0","id":2,"method":"session/new","params":{"cwd":"/tmp/acpexp","mcpServers":[]}}\n',
      );
      const created = await next();
      expect(created).toMatchObject({ jsonrpc: "2.0", id: 2 });
      const sessionId = String((created.result as { sessionId: unknown }).sessionId);
      expect(sessionId).toMatch(/^fake-acp-session-\d+$/);
      agent.stdin.write(
        `{"jsonrpc":"2.0","id":3,"method":"session/prompt","params":{"prompt":[{"text":"hi","type":"text"}],"sessionId":"${sessionId}"}}\n`,
      );
      expect(await next()).toEqual({
        jsonrpc: "2.0",
        method: "session/update",
        params: {
          sessionId,
          update: {
            sessionUpdate: "agent_message_chunk",
            content: { type: "text", text: expectedReply("hi", 1, 0, 100) },
          },
        },
      });
      expect(await next()).toEqual({ jsonrpc: "2.0", id: 3, result: { stopReason: "end_turn" } });
      agent.stdin.end();
      expect(await agent.exited).toBe(0);
    } finally {
      agent.kill();
    }
  });

  it.each([
    ["FAKE_AGENT_THINK_MS", "soon", "0 to 600000"],
    ["FAKE_AGENT_CHUNK_MS", "0", "1 to 60000"],
    ["FAKE_AGENT_REPLY_LINES", "41", "1 to 40"],
  ])("exits 2 with one line on stderr for %s=%s", (name, value, range) => {
    const result = spawnSync(process.execPath, ["--import", "tsx", FAKE_ACP_AGENT], {
      cwd: REPO_ROOT,
      input: "",
      encoding: "utf8",
      timeout: 20_000,
      env: { ...process.env, [name]: value },
    });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(`fake-acp-agent: ${name} must be an integer from ${range}, not "${value}"\n`);
  });
});

interface Message {
  id: number;
  content: string;
  role: "user" | "agent";
}

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** GET /events, parsed as it arrives (agentapi's /events does not take the lock a POST /message holds). */
async function openEvents(url: string): Promise<{ events: SseEvent[]; close(): void }> {
  const events: SseEvent[] = [];
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal, headers: { accept: "text/event-stream" } });
  expect(response.status).toBe(200);
  const parser = createParser({
    onEvent: (event) =>
      events.push({ event: event.event ?? "message", data: JSON.parse(event.data) as Record<string, unknown> }),
  });
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(chunk, { stream: true }));
      }
    } catch {
      // aborted by close()
    }
  })();
  return { events, close: () => controller.abort() };
}

describeRealAgentApi("the fake ACP agent behind the real agentapi (--experimental-acp)", () => {
  const THINK_MS = 1000;
  let server: RealAgentApi;

  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${server.url}${path}`)).json()) as T;
  const messages = async (): Promise<Message[]> => (await get<{ messages: Message[] }>("/messages")).messages;
  const send = (content: string): Promise<Response> =>
    fetch(`${server.url}/message`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content, type: "user" }),
    });

  beforeAll(async () => {
    // readyWhen "stable": ACP is stable as soon as agentapi listens (after initialize and session/new).
    server = await startRealAgentApi({ transport: "acp", thinkMs: THINK_MS });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("is stable at once, as a custom agent on the ACP transport, with no messages yet", async () => {
    expect(await get("/status")).toMatchObject({ status: "stable", agent_type: "custom", transport: "acp" });
    expect(await messages()).toEqual([]);
  });

  it("takes a prompt: POST returns after the think time, the chunks stream over SSE, /messages holds the reply", async () => {
    const events = await openEvents(`${server.url}/events`);
    try {
      const started = performance.now();
      let returned = false;
      const posted = send("hello acp agent").then(async (response) => {
        returned = true;
        return { status: response.status, body: await response.json(), ms: performance.now() - started };
      });
      // While the POST is pending, SSE shows the agent message growing chunk by chunk.
      const agentUpdates = (): string[] =>
        events.events
          .filter((e) => e.event === "message_update" && e.data.role === "agent" && e.data.message !== "")
          .map((e) => String(e.data.message));
      await until(() => agentUpdates().length >= 2 || returned, "two streamed agent updates on /events", 15_000);
      expect(returned, "the POST returned before two chunks streamed").toBe(false);

      const sent = await posted;
      expect(sent.status).toBe(200);
      expect(sent.body).toMatchObject({ ok: true });
      expect(sent.ms).toBeGreaterThanOrEqual(THINK_MS - 5); // Send blocks for the whole turn (notes A4)
      expect(sent.ms).toBeLessThan(THINK_MS * 10);

      const reply = expectedReply("hello acp agent", 1, THINK_MS, 100);
      expect(await get("/status")).toMatchObject({ status: "stable", transport: "acp" });
      const all = await messages();
      expect(all.map(({ id, role, content }) => ({ id, role, content }))).toEqual([
        { id: 0, role: "user", content: "hello acp agent" },
        { id: 1, role: "agent", content: reply },
      ]);
      // The streamed updates were growing parts of that reply. Upstream applies each chunk in its own goroutine (no
      // order guaranteed, notes A2); the agent sends them in order 100 ms apart, far more than that race needs.
      for (const partial of agentUpdates()) expect(reply.startsWith(partial), partial).toBe(true);
    } finally {
      events.close();
    }
  });

  it("holds GET /status and GET /messages issued during a turn until the turn is over", async () => {
    const events = await openEvents(`${server.url}/events`);
    try {
      const from = (await messages()).length;
      let returned = false;
      const posted = send("second acp prompt").then((response) => {
        returned = true;
        return response;
      });
      // The turn is under way once SSE says running (upstream flips the status before the prompt goes out).
      await until(
        () => events.events.some((e) => e.event === "status_change" && e.data.status === "running"),
        "status_change running on /events",
        15_000,
      );
      expect(returned, "the POST returned before the reads were issued").toBe(false);
      const [status, held] = await Promise.all([get<{ status: string }>("/status"), messages()]);
      // Served after the turn: ACP reports running for the whole turn, so `stable` and the finished reply prove the
      // reads waited for the POST's lock. (Which response reaches the client first is not asserted: agentapi
      // releases the lock before it writes the POST's response.)
      expect(status.status).toBe("stable");
      expect(held.slice(from).map(({ role, content }) => ({ role, content }))).toEqual([
        { role: "user", content: "second acp prompt" },
        { role: "agent", content: expectedReply("second acp prompt", 2, THINK_MS, 100) },
      ]);
      expect((await posted).status).toBe(200);
    } finally {
      events.close();
    }
  });
});
