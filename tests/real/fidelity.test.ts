// The reference target held against the real AgentAPI: the same probes, with the same think time, against a real
// `agentapi server` (the pinned version, driving the project's fake agent) and against our target with its default
// (upstream's) timings. Timings must agree within stated tolerances; refusals must be identical; the message list and
// the SSE event order must have the same shape. A side-by-side table goes to the log. Any agentapi build can be held
// against the target with AGENTAPI_BIN.
import { afterAll, beforeAll, expect, it } from "vitest";
import { createParser } from "eventsource-parser";
import { startStub, type RunningStub } from "../../infra/agentapi-stub/src/stub";
import { UPSTREAM_TIMING } from "../../infra/agentapi-stub/src/agent/timing";
import { describeRealAgentApi, startRealAgentApi, type RealAgentApi } from "../support/real-agentapi";
import { rawRequest } from "../stub/helpers/stub";

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

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

interface Probe {
  turns: Turn[];
  /** GET /status of a stable agent, and an accepted POST /message: the 200 bodies byte for byte. */
  statusOk: Exchange;
  sendOk: Exchange;
  busy: Exchange;
  badHost: Exchange;
  messages: Array<{ id: number; role: string; content: string }>;
  initialEvents: SseEvent[];
  turnEvents: SseEvent[];
  openApiPaths: string[];
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** The body with the origin of `$schema` links normalized (it names the port each server listens on). */
async function exchange(response: Response, base: string): Promise<Exchange> {
  const body = (await response.text())
    .split(base.replace("127.0.0.1", "localhost"))
    .join("ORIGIN")
    .split(base)
    .join("ORIGIN");
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", body };
}

function send(base: string, content: string): Promise<Response> {
  return fetch(`${base}/message`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content, type: "user" }),
  });
}

async function statusOf(base: string): Promise<string> {
  return ((await (await fetch(`${base}/status`)).json()) as { status: string }).status;
}

async function untilStable(base: string, timeoutMs = 15_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if ((await statusOf(base)) === "stable") return performance.now() - started;
    await sleep(10);
  }
  throw new Error(`${base} did not turn stable within ${timeoutMs} ms`);
}

/** An SSE subscription collecting parsed events until closed. */
function subscribe(base: string): { events: SseEvent[]; close(): void } {
  const events: SseEvent[] = [];
  const controller = new AbortController();
  const parser = createParser({
    onEvent: (e) => events.push({ event: e.event ?? "message", data: JSON.parse(e.data) as Record<string, unknown> }),
  });
  void (async () => {
    const response = await fetch(`${base}/events`, { signal: controller.signal });
    const decoder = new TextDecoder();
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk));
  })().catch(() => undefined);
  return { events, close: () => controller.abort() };
}

/** One turn: the POST's duration, a /status read issued READ_DELAY_MS into it, and POST return → stable. */
async function turn(base: string, content: string): Promise<Turn> {
  const started = performance.now();
  const read = sleep(READ_DELAY_MS).then(async () => {
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
  const initial = subscribe(base);
  await sleep(200);
  const initialEvents = [...initial.events];
  const turns: Turn[] = [];
  let turnEvents: SseEvent[] = [];
  let busy: Exchange | undefined;
  let sendOk: Exchange | undefined;
  const statusOk = await exchange(await fetch(`${base}/status`), base);
  for (let i = 1; i <= TURNS; i++) {
    const before = initial.events.length;
    if (i === 1) {
      // The busy refusal: a second prompt right after the first was accepted (the agent is working).
      const first = await send(base, "fidelity prompt 1");
      sendOk = await exchange(first, base);
      busy = await exchange(await send(base, "a prompt while busy"), base);
      await untilStable(base);
      turnEvents = initial.events.slice(before);
      continue;
    }
    turns.push(await turn(base, `fidelity prompt ${i}`));
  }
  initial.close();
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
  return { turns, statusOk, sendOk, busy, badHost, messages, initialEvents, turnEvents, openApiPaths };
}

/** An event as its kind: `status_change:running`, `message_update:user`; consecutive repeats folded into one. */
function shape(events: SseEvent[]): string[] {
  const kinds = events.map((e) =>
    e.event === "status_change" ? `status_change:${String(e.data.status)}` : `${e.event}:${String(e.data.role)}`,
  );
  return kinds.filter((kind, i) => kind !== kinds[i - 1]);
}

function row(name: string, real: number, ours: number): string {
  const ratio = ours / real;
  return `| ${name.padEnd(40)} | ${real.toFixed(0).padStart(8)} ms | ${ours.toFixed(0).padStart(8)} ms | ${ratio.toFixed(2).padStart(5)} |`;
}

describeRealAgentApi("the reference target against the real AgentAPI (same probes, same think time)", () => {
  let real: RealAgentApi;
  let stub: RunningStub;
  let realProbe: Probe;
  let ourProbe: Probe;

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

  it("serves every operation of the real server's /openapi.json", () => {
    expect(ourProbe.openApiPaths).toEqual(expect.arrayContaining(realProbe.openApiPaths));
  });
});
