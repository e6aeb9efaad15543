// The reference target's ACP transport (STUB_TRANSPORT=acp) held against the real `agentapi server --experimental-acp`
// driving the project's fake ACP agent: the same probes, the same think time, the same tolerances and printed table
// as the PTY section (fidelity.test.ts). Upstream (x/acpio, lib/httpapi/server.go): the POST lasts the agent's whole
// turn and holds the server's write lock, so a read issued during it waits for all of it; a second POST queues and
// then runs (never refused as busy); the user and an empty agent message appear at the first chunk, the agent message
// grows chunk by chunk, both stamped once at submit; status is `running` exactly while a prompt is in flight.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startStub, type RunningStub } from "../../infra/agentapi-stub/src/stub";
import { UPSTREAM_TIMING } from "../../infra/agentapi-stub/src/agent/timing";
import { describeRealAgentApi, startRealAgentApi, type RealAgentApi } from "../support/real-agentapi";
import { openSse, type SseStream } from "../stub/helpers/stub";
import { eventsThrough, kindOf, median, row, send, shape, sleep, statusOf, type SseEvent } from "./fidelity-probe";

const THINK_MS = 1000;
const TURNS = 3;
/** A read is issued this long into a turn (once its running event is out). */
const READ_DELAY_MS = 150;
/** Tolerances (ours / real), as in the PTY section. */
const POST_RATIO = [0.5, 2] as const;
const READ_WAIT_MIN_RATIO = 0.5;

interface Turn {
  postMs: number;
  readDuringTurnMs: number;
  /** What the read said: the status it returned once the turn let it through. */
  readStatus: string;
}

interface Probe {
  turns: Turn[];
  bootMessages: unknown[];
  bootStatus: string;
  /** A second POST sent while the first one's turn runs: its status and when it answered relative to the first. */
  queued: { status: number; answeredAfterFirst: boolean; body: string };
  turnEvents: SseEvent[];
  messages: Array<{ id: number; role: string; content: string; time: string }>;
}

/** One turn: the POST's duration, and a /status read issued READ_DELAY_MS into it (once its running event is out). */
async function turn(base: string, stream: SseStream, content: string): Promise<Turn> {
  const before = stream.events.length;
  const started = performance.now();
  const read = eventsThrough(base, stream, "status_change:running", before).then(async () => {
    await sleep(started + READ_DELAY_MS - performance.now());
    const issued = performance.now();
    const status = await statusOf(base);
    return { ms: performance.now() - issued, status };
  });
  const response = await send(base, content);
  const postMs = performance.now() - started;
  expect(response.status, `${base} POST /message`).toBe(200);
  await response.arrayBuffer();
  const r = await read;
  await eventsThrough(base, stream, "status_change:stable", before);
  return { postMs, readDuringTurnMs: r.ms, readStatus: r.status };
}

async function probe(base: string): Promise<Probe> {
  const bootStatus = await statusOf(base);
  const bootMessages = ((await (await fetch(`${base}/messages`)).json()) as { messages: unknown[] }).messages;
  const stream = await openSse(`${base}/events`);
  await eventsThrough(base, stream, "status_change:", 0);
  // The first turn, with a second prompt sent while it runs: upstream queues it behind the first turn's lock.
  const before = stream.events.length;
  const first = send(base, "fidelity prompt 1");
  await eventsThrough(base, stream, "status_change:running", before);
  let firstDone = false;
  void first.then(() => (firstDone = true));
  const second = await send(base, "fidelity prompt 2");
  const queued = { status: second.status, answeredAfterFirst: firstDone, body: await second.text() };
  expect((await first).status).toBe(200);
  const turnEvents = await eventsThrough(base, stream, "status_change:stable", before);
  // Let the queued prompt's turn finish before the timed turns.
  while ((await statusOf(base)) !== "stable") await sleep(20);
  const turns: Turn[] = [];
  for (let i = 3; i < 3 + TURNS; i++) turns.push(await turn(base, stream, `fidelity prompt ${i}`));
  stream.close();
  const messages = ((await (await fetch(`${base}/messages`)).json()) as { messages: Probe["messages"] }).messages;
  return { turns, bootMessages, bootStatus, queued, turnEvents, messages };
}

describeRealAgentApi("the reference target's ACP transport against the real agentapi --experimental-acp", () => {
  let real: RealAgentApi;
  let stub: RunningStub;
  let realProbe: Probe;
  let ourProbe: Probe;

  beforeAll(async () => {
    [real, stub] = await Promise.all([
      startRealAgentApi({ thinkMs: THINK_MS, transport: "acp" }),
      startStub({
        agentApiPort: 0,
        brokerPort: 0,
        agentType: "custom",
        thinkMs: { min: THINK_MS, max: THINK_MS },
        timing: UPSTREAM_TIMING,
        transport: "acp",
      }),
    ]);
    realProbe = await probe(real.url);
    ourProbe = await probe(stub.agentApiUrl);
    const med = (p: Probe, key: "postMs" | "readDuringTurnMs"): number => median(p.turns.map((t) => t[key]));
    console.log(
      [
        "",
        `fidelity (ACP): real agentapi --experimental-acp vs reference target, think ${THINK_MS} ms, medians of ${TURNS} turns`,
        "| probe                                    |     real    |     ours    | ratio |",
        "|------------------------------------------|-------------|-------------|-------|",
        row("POST /message (the whole turn)", med(realProbe, "postMs"), med(ourProbe, "postMs")),
        row(
          `GET /status issued ${READ_DELAY_MS} ms into a turn`,
          med(realProbe, "readDuringTurnMs"),
          med(ourProbe, "readDuringTurnMs"),
        ),
        `| a second POST during a turn              | ${realProbe.queued.status}, after the first: ${realProbe.queued.answeredAfterFirst} | ${ourProbe.queued.status}, after the first: ${ourProbe.queued.answeredAfterFirst} |`,
        `| boot                                     | ${realProbe.bootStatus}, ${realProbe.bootMessages.length} messages | ${ourProbe.bootStatus}, ${ourProbe.bootMessages.length} messages |`,
        `| SSE during a turn                        | ${shape(realProbe.turnEvents).join(" → ")} | ${shape(ourProbe.turnEvents).join(" → ")} |`,
        "",
      ].join("\n"),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([real?.close(), stub?.close()]);
  });

  it("boots stable with no message, and says transport acp", async () => {
    for (const p of [realProbe, ourProbe]) {
      expect(p.bootStatus).toBe("stable");
      expect(p.bootMessages).toEqual([]);
    }
    for (const base of [real.url, stub.agentApiUrl]) {
      const body = (await (await fetch(`${base}/status`)).json()) as { transport: string };
      expect(body.transport).toBe("acp");
    }
  });

  it(`POST /message lasts the whole turn on both, ours ${POST_RATIO[0]}–${POST_RATIO[1]}× the real one`, () => {
    const realMs = median(realProbe.turns.map((t) => t.postMs));
    const ourMs = median(ourProbe.turns.map((t) => t.postMs));
    expect(realMs).toBeGreaterThanOrEqual(THINK_MS);
    expect(ourMs).toBeGreaterThanOrEqual(THINK_MS);
    expect(ourMs / realMs).toBeGreaterThanOrEqual(POST_RATIO[0]);
    expect(ourMs / realMs).toBeLessThanOrEqual(POST_RATIO[1]);
  });

  it(`a read issued during a turn waits for the whole turn (≥ ${READ_WAIT_MIN_RATIO}× as long as on the real server), then says stable`, () => {
    const realMs = median(realProbe.turns.map((t) => t.readDuringTurnMs));
    const ourMs = median(ourProbe.turns.map((t) => t.readDuringTurnMs));
    expect(realMs).toBeGreaterThan(THINK_MS / 2);
    expect(ourMs).toBeGreaterThanOrEqual(READ_WAIT_MIN_RATIO * realMs);
    for (const p of [realProbe, ourProbe]) for (const t of p.turns) expect(t.readStatus).toBe("stable");
  });

  it("queues a second POST sent during a turn and runs it (200 after the first), where PTY refuses it as busy", () => {
    for (const p of [realProbe, ourProbe]) {
      expect(p.queued.status).toBe(200);
      expect(p.queued.answeredAfterFirst).toBe(true);
    }
    expect(ourProbe.queued.body.replace(/http:\/\/[^/]+/, "ORIGIN")).toBe(
      realProbe.queued.body.replace(/http:\/\/[^/]+/, "ORIGIN"),
    );
  });

  it("sends the same events in a turn: running, the user and the agent message, the agent message growing, stable", () => {
    expect(shape(realProbe.turnEvents).slice(0, 3)).toEqual([
      "status_change:running",
      "message_update:user",
      "message_update:agent",
    ]);
    expect(shape(realProbe.turnEvents).at(-1)).toBe("status_change:stable");
    expect(shape(ourProbe.turnEvents)).toEqual(shape(realProbe.turnEvents));
    for (const p of [realProbe, ourProbe]) {
      // The agent message grows chunk by chunk: several updates, each a prefix of the next.
      const agent = p.turnEvents.filter((e) => kindOf(e) === "message_update:agent").map((e) => String(e.data.message));
      expect(agent.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < agent.length; i++) expect(agent[i]?.startsWith(agent[i - 1] ?? "")).toBe(true);
    }
  });

  it("keeps the same message list: user and agent in turn from id 0, the prompts verbatim, times stamped at submit", () => {
    for (const p of [realProbe, ourProbe]) {
      const { messages } = p;
      expect(messages.map((m) => m.id)).toEqual(messages.map((_, i) => i));
      expect(messages.map((m) => m.role)).toEqual(Array.from({ length: 2 + TURNS }, () => ["user", "agent"]).flat());
      expect(messages.filter((m) => m.role === "user").map((m) => m.content)).toEqual(
        Array.from({ length: 2 + TURNS }, (_, i) => `fidelity prompt ${i + 1}`),
      );
      for (let i = 0; i < messages.length; i += 2) {
        // The agent message's time is its prompt's submit time (to the millisecond), never restamped per chunk.
        const user = Date.parse(messages[i]!.time);
        const agent = Date.parse(messages[i + 1]!.time);
        expect(agent - user).toBeGreaterThanOrEqual(0);
        expect(agent - user).toBeLessThan(THINK_MS / 10);
        expect(messages[i + 1]!.content.trim()).not.toBe("");
      }
    }
  });
});
