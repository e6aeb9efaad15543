// The reference target held against the real AgentAPI: the same probes, with the same think time, against a real
// `agentapi server` (the pinned version, driving the project's fake agent) and against our target with its default
// (upstream's) timings. Timings must agree within stated tolerances; refusals must be identical; the message list and
// the SSE event order must have the same shape. A side-by-side table goes to the log. Any agentapi build can be held
// against the target with AGENTAPI_BIN.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startStub, type RunningStub } from "../../infra/agentapi-stub/src/stub";
import { UPSTREAM_TIMING } from "../../infra/agentapi-stub/src/agent/timing";
import { describeRealAgentApi, startRealAgentApi, type RealAgentApi } from "../support/real-agentapi";
import { openSse, rawRequest, type SseStream } from "../stub/helpers/stub";
import { eventsThrough, kindOf, median, row, send, shape, sleep, statusOf, type SseEvent } from "./fidelity-probe";

const THINK_MS = 1000;
const TURNS = 3;
/** A read is issued this long into a send (the measurement: 150 ms). */
const READ_DELAY_MS = 150;
/** Tolerances (ours / real). */
const SEND_RATIO = [0.5, 2] as const;
const STABLE_RATIO = [0.5, 2] as const;
const READ_WAIT_MIN_RATIO = 0.5;

interface Exchange {
  status: number;
  contentType: string;
  body: string;
}

interface Turn {
  postMs: number;
  readDuringSendMs: number;
  returnToStableMs: number;
}

interface Probe {
  turns: Turn[];
  /** GET /status of a stable agent, and an accepted POST /message: the 200 bodies byte for byte. */
  statusOk: Exchange;
  sendOk: Exchange;
  busy: Exchange;
  badHost: Exchange;
  messages: Array<{ id: number; role: string; content: string }>;
  /** The first send's POST duration (the busy probe's turn). */
  firstSendMs: number;
  initialEvents: SseEvent[];
  turnEvents: SseEvent[];
  openApiPaths: string[];
}

/** The body with the origin of `$schema` links normalized (it names the port each server listens on). */
async function exchange(response: Response, base: string): Promise<Exchange> {
  const body = (await response.text())
    .split(base.replace("127.0.0.1", "localhost"))
    .join("ORIGIN")
    .split(base)
    .join("ORIGIN");
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", body };
}

async function untilStable(base: string, timeoutMs = 15_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if ((await statusOf(base)) === "stable") return performance.now() - started;
    await sleep(10);
  }
  throw new Error(`${base} did not turn stable within ${timeoutMs} ms`);
}

/**
 * What a message's `time` means, from the first turn's events: the user message's time against the `running` event
 * (its send began) and against its own arrival (the send completed), and each agent update's arrival − its time.
 */
interface MessageTimes {
  /** user message time − arrival of status_change:running (≈ 0: stamped when the send began). */
  userTimeVsRunning: number;
  /** arrival of the user message_update − its time: the send, not delivery. */
  userEmittedAfter: number;
  /** arrival − time of each agent message_update: delivery (restamped on every update). */
  agentLags: number[];
}

function messageTimes(events: SseEvent[]): MessageTimes {
  const running = events.find((e) => kindOf(e) === "status_change:running");
  const user = events.find((e) => kindOf(e) === "message_update:user");
  if (running === undefined || user === undefined)
    throw new Error(`no running/user event in ${JSON.stringify(events)}`);
  const userTime = Date.parse(String(user.data.time));
  const agentLags = events
    .filter((e, i) => kindOf(e) === "message_update:agent" && i > events.indexOf(user))
    .map((e) => e.receivedAt - Date.parse(String(e.data.time)));
  return { userTimeVsRunning: userTime - running.receivedAt, userEmittedAfter: user.receivedAt - userTime, agentLags };
}

/**
 * One turn: the POST's duration, a /status read issued READ_DELAY_MS into it, and POST return → stable. The read
 * waits for the stream to show the send in flight (`status_change:running`) before its delay runs out, so on a busy
 * machine it cannot overtake the POST it is meant to meet.
 */
async function turn(base: string, stream: SseStream, content: string): Promise<Turn> {
  const before = stream.events.length;
  const started = performance.now();
  const read = eventsThrough(base, stream, "status_change:running", before).then(async () => {
    await sleep(started + READ_DELAY_MS - performance.now());
    const issued = performance.now();
    await fetch(`${base}/status`).then((r) => r.arrayBuffer());
    return performance.now() - issued;
  });
  const response = await send(base, content);
  const postMs = performance.now() - started;
  expect(response.status, `${base} POST /message`).toBe(200);
  await response.arrayBuffer();
  const returnToStableMs = await untilStable(base);
  return { postMs, readDuringSendMs: await read, returnToStableMs };
}

/** Runs every probe against one server (servers are probed one after the other, so they never compete for CPU). */
async function probe(base: string): Promise<Probe> {
  await untilStable(base);
  const stream = await openSse(`${base}/events`);
  // The initial state: a message_update per message, then the status.
  const initialEvents = await eventsThrough(base, stream, "status_change:", 0);
  const turns: Turn[] = [];
  let turnEvents: SseEvent[] = [];
  let busy: Exchange | undefined;
  let sendOk: Exchange | undefined;
  let firstSendMs = NaN;
  const statusOk = await exchange(await fetch(`${base}/status`), base);
  for (let i = 1; i <= TURNS; i++) {
    const before = stream.events.length;
    if (i === 1) {
      // The busy refusal: a second prompt right after the first was accepted (the agent is working).
      const sentAt = performance.now();
      const first = await send(base, "fidelity prompt 1");
      firstSendMs = performance.now() - sentAt;
      sendOk = await exchange(first, base);
      busy = await exchange(await send(base, "a prompt while busy"), base);
      turnEvents = await eventsThrough(base, stream, "status_change:stable", before);
      await untilStable(base);
      continue;
    }
    turns.push(await turn(base, stream, `fidelity prompt ${i}`));
  }
  stream.close();
  // fetch may not set Host; node:http does.
  const refused = await rawRequest(`${base}/status`, { headers: { host: "evil.example" } });
  const badHost: Exchange = {
    status: refused.status,
    contentType: String(refused.headers["content-type"] ?? ""),
    body: refused.body,
  };
  const messages = ((await (await fetch(`${base}/messages`)).json()) as { messages: Probe["messages"] }).messages;
  const openApi = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, object> };
  const openApiPaths = Object.entries(openApi.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
  );
  if (busy === undefined || sendOk === undefined) throw new Error("no busy probe");
  return { turns, statusOk, sendOk, busy, badHost, messages, firstSendMs, initialEvents, turnEvents, openApiPaths };
}

describeRealAgentApi("the reference target against the real AgentAPI (same probes, same think time)", () => {
  let real: RealAgentApi;
  let stub: RunningStub;
  let realProbe: Probe;
  let ourProbe: Probe;
  let realTimes: MessageTimes;
  let ourTimes: MessageTimes;

  beforeAll(async () => {
    [real, stub] = await Promise.all([
      startRealAgentApi({ thinkMs: THINK_MS }),
      startStub({
        agentApiPort: 0,
        brokerPort: 0,
        agentType: "custom",
        thinkMs: { min: THINK_MS, max: THINK_MS },
        timing: UPSTREAM_TIMING,
      }),
    ]);
    realProbe = await probe(real.url);
    ourProbe = await probe(stub.agentApiUrl);
    realTimes = messageTimes(realProbe.turnEvents);
    ourTimes = messageTimes(ourProbe.turnEvents);
    const med = (p: Probe, key: keyof Turn): number => median(p.turns.map((t) => t[key]));
    console.log(
      [
        "",
        `fidelity: real agentapi vs reference target, think ${THINK_MS} ms, medians of ${TURNS - 1} turns`,
        "| probe                                    |     real    |     ours    | ratio |",
        "|------------------------------------------|-------------|-------------|-------|",
        row("POST /message (user)", med(realProbe, "postMs"), med(ourProbe, "postMs")),
        row(
          `GET /status issued ${READ_DELAY_MS} ms into a send`,
          med(realProbe, "readDuringSendMs"),
          med(ourProbe, "readDuringSendMs"),
        ),
        row("POST returned → status stable", med(realProbe, "returnToStableMs"), med(ourProbe, "returnToStableMs")),
        `| busy refusal                             | ${realProbe.busy.status} ${realProbe.busy.contentType} | ${ourProbe.busy.status} ${ourProbe.busy.contentType} |`,
        `| disallowed Host                          | ${realProbe.badHost.status} ${realProbe.badHost.contentType} | ${ourProbe.badHost.status} ${ourProbe.badHost.contentType} |`,
        `| SSE during a turn                        | ${shape(realProbe.turnEvents).join(" → ")} | ${shape(ourProbe.turnEvents).join(" → ")} |`,
        row("user message time − running arrives", realTimes.userTimeVsRunning, ourTimes.userTimeVsRunning),
        row("user message arrives − its time", realTimes.userEmittedAfter, ourTimes.userEmittedAfter),
        row("(first POST /message, for scale)", realProbe.firstSendMs, ourProbe.firstSendMs),
        row("agent update arrives − its time (median)", median(realTimes.agentLags), median(ourTimes.agentLags)),
        "",
      ].join("\n"),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([real?.close(), stub?.close()]);
  });

  it(`POST /message takes ${SEND_RATIO[0]}–${SEND_RATIO[1]}× as long as on the real server`, () => {
    const ratio = median(ourProbe.turns.map((t) => t.postMs)) / median(realProbe.turns.map((t) => t.postMs));
    expect(ratio).toBeGreaterThanOrEqual(SEND_RATIO[0]);
    expect(ratio).toBeLessThanOrEqual(SEND_RATIO[1]);
  });

  it(`a read issued during a send waits at least ${READ_WAIT_MIN_RATIO}× as long as on the real server`, () => {
    const real = median(realProbe.turns.map((t) => t.readDuringSendMs));
    const ours = median(ourProbe.turns.map((t) => t.readDuringSendMs));
    expect(real).toBeGreaterThan(500); // the real server does hold reads behind a send
    expect(ours).toBeGreaterThanOrEqual(READ_WAIT_MIN_RATIO * real);
  });

  it(`POST return → stable takes ${STABLE_RATIO[0]}–${STABLE_RATIO[1]}× as long as on the real server`, () => {
    const ratio =
      median(ourProbe.turns.map((t) => t.returnToStableMs)) / median(realProbe.turns.map((t) => t.returnToStableMs));
    expect(ratio).toBeGreaterThanOrEqual(STABLE_RATIO[0]);
    expect(ratio).toBeLessThanOrEqual(STABLE_RATIO[1]);
  });

  it("answers GET /status and an accepted POST /message byte for byte as upstream (content type, body)", () => {
    expect(ourProbe.statusOk).toEqual(realProbe.statusOk);
    expect(ourProbe.sendOk).toEqual(realProbe.sendOk);
    expect(realProbe.sendOk.status).toBe(200);
  });

  it("refuses a prompt to a busy agent identically (status, content type, body)", () => {
    expect(ourProbe.busy).toEqual(realProbe.busy);
    expect(realProbe.busy.status).toBe(500);
  });

  it("refuses a disallowed Host identically (status, content type, body)", () => {
    expect(ourProbe.badHost).toEqual(realProbe.badHost);
    expect(realProbe.badHost.status).toBe(400);
  });

  it("keeps the same message list: ids in order, agent banner first, user prompts verbatim, agent lines padded", () => {
    for (const probe of [realProbe, ourProbe]) {
      const { messages } = probe;
      expect(messages.map((m) => m.id)).toEqual(messages.map((_, i) => i));
      expect(messages.map((m) => m.role)).toEqual([
        "agent",
        ...Array.from({ length: TURNS }, () => ["user", "agent"]).flat(),
      ]);
      expect(messages[0]?.content.trim()).not.toBe("");
      expect(messages.filter((m) => m.role === "user").map((m) => m.content)).toEqual(
        Array.from({ length: TURNS }, (_, i) => `fidelity prompt ${i + 1}`),
      );
      // Upstream reads whole terminal rows: every line of an agent message is padded to the 80-column width.
      for (const message of messages.filter((m) => m.role === "agent")) {
        for (const line of message.content.split("\n")) expect([...line].length).toBe(80);
      }
    }
  });

  it("sends the same SSE initial state (a message_update per message, then the status) and live order in a turn", () => {
    expect(shape(ourProbe.initialEvents)).toEqual(shape(realProbe.initialEvents));
    expect(shape(realProbe.initialEvents)).toEqual(["message_update:agent", "status_change:stable"]);
    // A prompt: running, the user message once the agent reacted to Enter, the reply changing, then stable.
    expect(shape(realProbe.turnEvents)).toEqual([
      "status_change:running",
      "message_update:user",
      "message_update:agent",
      "status_change:stable",
    ]);
    expect(shape(ourProbe.turnEvents)).toEqual(shape(realProbe.turnEvents));
  });

  it("stamps message times as upstream: a user message with its send's start, emitted when the send completes; agent updates restamped as they go out", () => {
    for (const [server, times, firstSendMs] of [
      ["real", realTimes, realProbe.firstSendMs],
      ["ours", ourTimes, ourProbe.firstSendMs],
    ] as const) {
      // The user message carries the time its send began (upstream stamps it as the send loop takes the snapshot
      // that also emits the running event), not its end: nearer the running event than half the send, either way.
      expect(Math.abs(times.userTimeVsRunning), server).toBeLessThan(firstSendMs / 2);
      // It goes out only when the send completes: its time says how long the send took, not how fast delivery is.
      expect(times.userEmittedAfter, server).toBeGreaterThan(firstSendMs / 2);
      // Agent updates are stamped as they are emitted: their lag is delivery, a small fraction of the user's.
      expect(times.agentLags.length, server).toBeGreaterThan(0);
      expect(median(times.agentLags), server).toBeLessThan(times.userEmittedAfter / 10);
    }
  });

  it("serves every operation of the real server's /openapi.json", () => {
    expect(ourProbe.openApiPaths).toEqual(expect.arrayContaining(realProbe.openApiPaths));
  });
});
