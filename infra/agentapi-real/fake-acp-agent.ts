/**
 * fake-acp-agent: a stand-in coding agent for the real coder/agentapi server in ACP mode
 * (`agentapi server --experimental-acp --type custom -- …`). It speaks the Agent Client Protocol, version 1
 * (newline-delimited JSON-RPC 2.0 on stdin/stdout), through the official SDK `@agentclientprotocol/sdk` (its default
 * entrypoint: stable ACP v1, what upstream's coder/acp-go-sdk v0.6.3 speaks).
 *
 *   initialize       → protocolVersion 1, no auth methods, no optional capabilities (text prompts only)
 *   session/new      → a session id (`fake-acp-session-<n>`)
 *   session/prompt   → `agent_message_chunk` updates (text) streamed in order over the think time, then
 *                      stopReason "end_turn"; the chunks joined are the reply, which quotes the prompt:
 *                      `fake-acp-agent reply 1: <first 50 characters of the prompt>` and more lines
 *   session/cancel   → the running prompt stops streaming and answers stopReason "cancelled"
 * A second prompt on a session whose prompt is still running is refused (-32600); an unknown session id is -32002.
 *
 * Environment:
 *   FAKE_AGENT_THINK_MS     how long each prompt takes, in ms (integer 0..600000, default 1000): the response comes
 *                           then
 *   FAKE_AGENT_CHUNK_MS     the chunk cadence, in ms (integer 1..60000, default 100): chunks go out at 0, 1×, 2×, …
 *                           this (all before the think time ends, at least one, at most one per character)
 *   FAKE_AGENT_REPLY_LINES  how many lines each reply has (integer 1..40, default 4)
 * A bad setting: one line on stderr, exit status 2. The end of stdin (the client went away), SIGINT, SIGTERM and
 * SIGHUP end it with status 0. Nothing but JSON-RPC goes to stdout; it uses no network. Runs under
 * `node --import tsx` or bundled (build.mjs).
 */
import { Readable, Writable } from "node:stream";
import * as acp from "@agentclientprotocol/sdk";

const NAME = "fake-acp-agent";
const QUOTE_CHARS = 50;

function intSetting(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    process.stderr.write(`${NAME}: ${name} must be an integer from ${min} to ${max}, not "${raw}"\n`);
    process.exit(2);
  }
  return value;
}

const thinkMs = intSetting("FAKE_AGENT_THINK_MS", 1000, 0, 600_000);
const chunkMs = intSetting("FAKE_AGENT_CHUNK_MS", 100, 1, 60_000);
const replyLines = intSetting("FAKE_AGENT_REPLY_LINES", 4, 1, 40);

/** The reply to the `turn`-th prompt of a session: `replyLines` lines, the first quoting the prompt. */
function reply(prompt: string, turn: number): string {
  const oneLine = prompt.replace(/\s+/g, " ").trim();
  const quoted = oneLine.length > QUOTE_CHARS ? `${oneLine.slice(0, QUOTE_CHARS - 3)}...` : oneLine;
  const words = oneLine === "" ? 0 : oneLine.split(" ").length;
  const lines = [
    `${NAME} reply ${turn}: ${quoted}`,
    `  - your prompt had ${prompt.length} characters and ${words} words`,
    `  - streamed over ${thinkMs} ms in chunks every ${chunkMs} ms (FAKE_AGENT_THINK_MS, FAKE_AGENT_CHUNK_MS)`,
  ];
  for (let n = lines.length + 1; n <= replyLines; n += 1) {
    lines.push(`  - line ${n} of ${replyLines}: nothing was run, this agent only answers`);
  }
  return lines.slice(0, replyLines).join("\n");
}

/** `text` cut into `count` consecutive pieces of nearly equal length (whole code points; none empty). */
function split(text: string, count: number): string[] {
  const chars = Array.from(text);
  const pieces = Math.max(1, Math.min(count, chars.length));
  return Array.from({ length: pieces }, (_, i) =>
    chars.slice(Math.floor((i * chars.length) / pieces), Math.floor(((i + 1) * chars.length) / pieces)).join(""),
  );
}

/** Resolves after `ms`, or as soon as `signal` aborts (false then). */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((done) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", abort);
      done(true);
    }, ms);
    const abort = (): void => {
      clearTimeout(timer);
      done(false);
    };
    signal.addEventListener("abort", abort, { once: true });
  });
}

interface Session {
  turns: number;
  /** Aborts the running prompt (session/cancel); undefined while idle. */
  running?: AbortController;
}

const sessions = new Map<string, Session>();

const app = acp
  .agent({ name: NAME })
  .onRequest(acp.methods.agent.initialize, () => ({
    protocolVersion: 1,
    agentCapabilities: {
      loadSession: false,
      promptCapabilities: { image: false, audio: false, embeddedContext: false },
    },
    authMethods: [],
    agentInfo: { name: NAME, title: "fake ACP agent (agentapi-load)", version: "1.0.0" },
  }))
  .onRequest(acp.methods.agent.session.new, () => {
    const sessionId = `fake-acp-session-${sessions.size + 1}`;
    sessions.set(sessionId, { turns: 0 });
    return { sessionId };
  })
  .onRequest(acp.methods.agent.session.prompt, async ({ params, signal, client }) => {
    const session = sessions.get(params.sessionId);
    if (session === undefined) throw acp.RequestError.sessionNotFound(params.sessionId);
    if (session.running !== undefined) {
      throw acp.RequestError.invalidRequest(undefined, "a prompt is already running in this session");
    }
    const cancel = new AbortController();
    session.running = cancel;
    const stop = AbortSignal.any([cancel.signal, signal]);
    try {
      session.turns += 1;
      const prompt = params.prompt.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("\n");
      const pieces = split(reply(prompt, session.turns), Math.max(1, Math.ceil(thinkMs / chunkMs)));
      const started = performance.now();
      for (const [index, piece] of pieces.entries()) {
        const due = started + index * chunkMs - performance.now();
        if (due > 0 && !(await sleep(due, stop))) break;
        if (stop.aborted) break;
        // Awaited: each chunk is written before the next one (and before the response), so they go out in order.
        await client.notify(acp.methods.client.session.update, {
          sessionId: params.sessionId,
          update: { sessionUpdate: "agent_message_chunk", content: { type: "text", text: piece } },
        });
      }
      const rest = started + thinkMs - performance.now();
      if (!stop.aborted && rest > 0) await sleep(rest, stop);
      return { stopReason: stop.aborted ? "cancelled" : "end_turn" };
    } finally {
      session.running = undefined;
    }
  })
  .onNotification(acp.methods.agent.session.cancel, ({ params }) => {
    sessions.get(params.sessionId)?.running?.abort();
  });

process.stdout.on("error", () => process.exit(0)); // the client went away
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => process.exit(0));

const connection = app.connect(
  acp.ndJsonStream(
    Writable.toWeb(process.stdout) as WritableStream<Uint8Array>,
    Readable.toWeb(process.stdin) as ReadableStream<Uint8Array>,
  ),
);
await connection.closed;
process.exit(0);
