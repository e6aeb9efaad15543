// Behaviour of the AgentAPI surface: the simulated agent's lifecycle, upstream's message rules, SSE, Host/CORS,
// upload limit, fault injection and health checks.
import { connect, type Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunningStub } from "../../infra/agentapi-stub/src/stub";
import { openSse, postJson, rawRequest, sendUser, testStub, waitFor, waitForStatus } from "./helpers/stub";
import { expectGoText, HOST_REFUSAL } from "../support/upstream-errors";
import { until } from "../support/wait";

interface Message {
  id: number;
  role: "user" | "agent";
  content: string;
  time: string;
}

async function messages(base: string): Promise<Message[]> {
  return ((await (await fetch(`${base}/messages`)).json()) as { messages: Message[] }).messages;
}

async function status(base: string): Promise<string> {
  return ((await (await fetch(`${base}/status`)).json()) as { status: string }).status;
}

describe("the simulated agent", () => {
  let stub: RunningStub;
  let base: string;
  beforeAll(async () => {
    stub = await testStub({ thinkMs: { min: 250, max: 300 } });
    base = stub.agentApiUrl;
  });
  afterAll(() => stub.close());

  it("starts stable with its start-up screen as message 0", async () => {
    expect(await status(base)).toBe("stable");
    const [first] = await messages(base);
    expect(first).toMatchObject({ id: 0, role: "agent" });
  });

  it("turns running at once, streams a growing reply of ≤ 80-column lines, then turns stable", async () => {
    const stream = await openSse(`${base}/events`);
    await stream.until((events) => events.some((e) => e.event === "status_change"));
    const initialCount = stream.events.length;

    // The turn's end as the server sees it (synchronously with the change), to tell whether /status was asked in time.
    let turnEnded = false;
    const stop = stub.fleet.first.conversation.subscribe((event) => {
      if (event.type === "status_change" && event.status === "stable") turnEnded = true;
    });
    const started = Date.now();
    expect((await sendUser(base, "Add a health check to the server")).status).toBe(200);
    const during = await status(base);
    // Asked while the turn was still going on (always, unless the machine stalled for the whole think time).
    if (!turnEnded) expect(during).toBe("running");
    stop();

    await waitForStatus(base, "stable");
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    const live = (
      await stream.until((e) => e.slice(initialCount).filter((x) => x.event === "status_change").length >= 2)
    )
      .slice(initialCount)
      .map((e) => ({ event: e.event, data: JSON.parse(e.data) as Record<string, unknown> }));
    stream.close();

    // Upstream's order: running (the send began), the user message (added once the agent reacted to Enter),
    // the reply growing, then stable.
    expect(live[0]).toMatchObject({ event: "status_change", data: { status: "running", agent_type: "claude" } });
    expect(live[1]).toMatchObject({
      event: "message_update",
      data: { role: "user", message: "Add a health check to the server" },
    });
    expect(live.at(-1)).toMatchObject({ event: "status_change", data: { status: "stable" } });
    const replies = live.filter((e) => e.event === "message_update" && e.data.role === "agent");
    expect(replies.length).toBeGreaterThanOrEqual(2);
    expect(new Set(replies.map((r) => r.data.id)).size).toBe(1);
    const texts = replies.map((r) => String(r.data.message));
    for (let i = 1; i < texts.length; i++) {
      expect(texts[i]?.startsWith(texts[i - 1] ?? "")).toBe(true);
      expect(texts[i]?.length).toBeGreaterThan(texts[i - 1]?.length ?? 0);
    }
    for (const line of (texts.at(-1) ?? "").split("\n")) expect([...line].length).toBeLessThanOrEqual(80);

    const history = await messages(base);
    expect(history.map((m) => m.id)).toEqual([...history.keys()].map((i) => history[0]!.id + i));
    expect(history.at(-1)).toMatchObject({ role: "agent", content: texts.at(-1) });
    expect(history.at(-2)).toMatchObject({ role: "user", content: "Add a health check to the server" });
  });

  it("refuses a user message while running (upstream's 500) but accepts raw keystrokes without storing them", async () => {
    // An agent that thinks for a minute stays running for the whole test, however slow the machine.
    const busyStub = await testStub({ thinkMs: { min: 60_000, max: 60_000 } });
    try {
      const url = busyStub.agentApiUrl;
      expect((await sendUser(url, "Task one")).status).toBe(200);
      const before = await messages(url);
      const busy = await sendUser(url, "Task two");
      expect(busy.status).toBe(500);
      expect(((await busy.json()) as { errors: { message: string }[] }).errors[0]?.message).toBe(
        "failed to send message: message can only be sent when the agent is waiting for user input",
      );
      const raw = await postJson(`${url}/message`, { content: "\u001b[B", type: "raw" });
      expect(raw.status).toBe(200);
      expect(await raw.json()).toMatchObject({ ok: true });
      expect((await messages(url)).filter((m) => m.role === "user")).toEqual(before.filter((m) => m.role === "user"));
      expect(await status(url)).toBe("running");
    } finally {
      await busyStub.close();
    }
  });

  it.each(["", " \t\n\r\f\v"])("refuses blank user content %j with upstream's reason", async (content) => {
    const response = await sendUser(base, content);
    expect(response.status).toBe(500);
    const body = (await response.json()) as { detail: string; errors: { message: string }[] };
    expect(body.errors[0]?.message).toBe("failed to send message: message must not be empty");
    expect(await status(base)).toBe("stable");
  });

  it("trims surrounding whitespace from user content as upstream does (FormatMessage before Send)", async () => {
    expect((await sendUser(base, "\v padded prompt\n")).status).toBe(200);
    expect((await messages(base)).filter((m) => m.role === "user").at(-1)?.content).toBe("padded prompt");
    await waitForStatus(base, "stable");
  });

  it("replays the state to a new SSE subscriber: one message_update per message, then status_change", async () => {
    const history = await messages(base);
    const stream = await openSse(`${base}/events`);
    const events = await stream.until((e) => e.some((x) => x.event === "status_change"));
    stream.close();
    const initial = events.slice(0, history.length + 1);
    expect(initial.slice(0, -1).map((e) => JSON.parse(e.data) as { id: number })).toEqual(
      history.map((m) => ({ id: m.id, role: m.role, message: m.content, time: m.time })),
    );
    expect(initial.at(-1)?.event).toBe("status_change");
    expect(JSON.parse(initial.at(-1)?.data ?? "{}")).toEqual({ status: "stable", agent_type: "claude" });
    expect(stream.response.headers.get("cache-control")).toBe("no-cache, no-store, must-revalidate");
    expect(stream.response.headers.get("x-accel-buffering")).toBe("no");
  });
});

describe("event stream cap", () => {
  it("refuses streams beyond STUB_MAX_SSE_CLIENTS with 503 problem+json and frees a slot when one leaves", async () => {
    const stub = await testStub({ maxSseClients: 2 });
    try {
      const first = await openSse(`${stub.agentApiUrl}/events`);
      const second = await openSse(`${stub.agentApiUrl}/events`);
      const refused = await fetch(`${stub.agentApiUrl}/events`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(refused.headers.get("retry-after")).toBe("1");
      first.close();
      await first.ended;
      const third = await waitFor(async () => {
        const stream = await openSse(`${stub.agentApiUrl}/events`);
        if (stream.response.status === 200) return stream;
        stream.close();
        return undefined;
      });
      third.close();
      second.close();
    } finally {
      await stub.close();
    }
  });
});

describe("bounded history", () => {
  it("keeps at most maxMessages, oldest dropped, ids still increasing", async () => {
    const stub = await testStub({ thinkMs: { min: 0, max: 0 }, maxMessages: 5 });
    try {
      for (let i = 0; i < 6; i++) {
        expect((await sendUser(stub.agentApiUrl, `task ${i}`)).status).toBe(200);
        await waitForStatus(stub.agentApiUrl, "stable");
      }
      const history = await messages(stub.agentApiUrl);
      expect(history).toHaveLength(5);
      expect(history.at(-1)?.id).toBe(12); // welcome + 6 × (user + reply) = 13 messages, ids 0..12
      for (let i = 1; i < history.length; i++) expect(history[i]!.id).toBe(history[i - 1]!.id + 1);
    } finally {
      await stub.close();
    }
  });
});

describe("Host header and CORS (upstream rules)", () => {
  let stub: RunningStub;
  beforeAll(async () => {
    stub = await testStub();
  });
  afterAll(() => stub.close());

  it.each(["localhost", "localhost:3284", "LOCALHOST:1", "127.0.0.1:9", "[::1]:3284", "[::1]"])(
    "accepts Host %s (port ignored)",
    async (host) => {
      const response = await rawRequest(`${stub.agentApiUrl}/status`, { headers: { host } });
      expect(response.status).toBe(200);
    },
  );

  it.each(["evil.example", "localhost.evil.example", "127.0.0.2:3284", "localhost:abc", "[::1"])(
    "refuses Host %j as upstream: Go's http.Error, 400 text/plain naming the allowed hosts",
    async (host) => {
      const response = await rawRequest(`${stub.agentApiUrl}/status`, { headers: { host } });
      expectGoText(response, 400, HOST_REFUSAL);
      // The refused host is never echoed back.
      if (host.includes("evil")) expect(response.body).not.toContain("evil");
    },
  );

  it.each(["local host", "user@localhost"])(
    "refuses Host %j as Go's server does, before the Host rule (bytes no host can contain)",
    async (host) => {
      const response = await rawRequest(`${stub.agentApiUrl}/status`, { headers: { host } });
      expectGoText(response, 400, "400 Bad Request: malformed Host header", { nosniff: false });
    },
  );

  it("runs fault injection first, then the Host and CORS gates, in one request hook", async () => {
    const status = `${stub.agentApiUrl}/status`;
    // A plain request makes no CORS decision: `Vary: Origin` only.
    const plain = await rawRequest(status);
    expect(plain.status).toBe(200);
    expect(plain.headers.vary).toBe("Origin");
    expect(plain.headers["access-control-allow-origin"]).toBeUndefined();
    // An injected status wins over a refused Host; a delay does not skip the Host check after it.
    expect((await rawRequest(status, { headers: { host: "evil.example", "x-fault-status": "503" } })).status).toBe(503);
    const delayed = await rawRequest(status, { headers: { host: "evil.example", "x-fault-delay-ms": "20" } });
    expect(delayed.status).toBe(400);
    expect(delayed.headers["x-fault-injected"]).toBe("delay=20ms");
    // Nor the CORS decision: an allowed origin behind a delay still gets its headers.
    const cors = await rawRequest(status, { headers: { origin: "http://localhost:3001", "x-fault-delay-ms": "10" } });
    expect(cors.status).toBe(200);
    expect(cors.headers["access-control-allow-origin"]).toBe("http://localhost:3001");
    expect(cors.body).toBe(plain.body);
  });

  it("healthz is exempt from the Host check; AGENTAPI_ALLOWED_HOSTS=* admits any host", async () => {
    expect((await rawRequest(`${stub.agentApiUrl}/healthz`, { headers: { host: "10.0.0.7:3284" } })).status).toBe(200);
    const open = await testStub({ allowedHosts: ["*"] });
    try {
      expect((await rawRequest(`${open.agentApiUrl}/status`, { headers: { host: "agentapi-stub:3284" } })).status).toBe(
        200,
      );
    } finally {
      await open.close();
    }
  });

  it("answers an allowed origin with credentials and the exposed Link header; ignores others", async () => {
    const allowed = await fetch(`${stub.agentApiUrl}/status`, { headers: { origin: "http://localhost:3001" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:3001");
    expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
    expect(allowed.headers.get("access-control-expose-headers")).toBe("Link");
    expect(allowed.headers.get("vary")).toContain("Origin");
    const refused = await fetch(`${stub.agentApiUrl}/status`, { headers: { origin: "https://evil.example" } });
    expect(refused.status).toBe(200); // CORS is the browser's decision: the server only withholds the headers
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers preflights itself: allowed → 200 with CORS headers, refused → 200 without", async () => {
    const preflight = (origin: string, method: string, headers?: string): Promise<Response> =>
      fetch(`${stub.agentApiUrl}/message`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": method,
          ...(headers ? { "access-control-request-headers": headers } : {}),
        },
      });
    const ok = await preflight("http://localhost:3284", "POST", "content-type, x-csrf-token");
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://localhost:3284");
    expect(ok.headers.get("access-control-allow-methods")).toBe("POST");
    // Echoed in canonical form, as go-chi/cors does.
    expect(ok.headers.get("access-control-allow-headers")).toBe("Content-Type, X-Csrf-Token");
    expect(ok.headers.get("access-control-max-age")).toBe("300");
    for (const refused of [
      await preflight("https://evil.example", "POST"),
      await preflight("http://localhost:3284", "PATCH"),
      await preflight("http://localhost:3284", "POST", "x-custom"),
    ]) {
      expect(refused.status).toBe(200);
      expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("an event stream from an allowed origin carries the CORS headers too", async () => {
    const stream = await openSse(`${stub.agentApiUrl}/events`, { origin: "http://localhost:3000" });
    await stream.until((events) => events.some((e) => e.event === "status_change"));
    stream.close();
    expect(stream.response.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(stream.response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(stream.response.headers.get("content-type")).toBe("text/event-stream");
  });

  it("AGENTAPI_ALLOWED_ORIGINS=* answers Access-Control-Allow-Origin: *", async () => {
    const open = await testStub({ allowedOrigins: ["*"] });
    try {
      const response = await fetch(`${open.agentApiUrl}/status`, { headers: { origin: "https://any.example" } });
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
    } finally {
      await open.close();
    }
  });
});

describe("upload", () => {
  let stub: RunningStub;
  beforeAll(async () => {
    stub = await testStub();
  });
  afterAll(() => stub.close());

  const upload = (bytes: number, field = "file"): Promise<Response> => {
    const form = new FormData();
    form.append(field, new Blob([new Uint8Array(bytes)]), "data.bin");
    return fetch(`${stub.agentApiUrl}/upload`, { method: "POST", body: form });
  };

  it("accepts exactly 10 MiB and refuses one byte more with 400", async () => {
    const ok = await upload(10 << 20);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, filePath: expect.stringMatching(/data\.bin$/) as string });
    const tooBig = await upload((10 << 20) + 1);
    expect(tooBig.status).toBe(400);
    expect(tooBig.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await tooBig.json()).toMatchObject({ detail: "file size exceeds 10MB limit" });
  });

  it("needs the `file` field and a multipart body: upstream's (huma's) 422s", async () => {
    const wrongField = await upload(10, "attachment");
    expect(wrongField.status).toBe(422);
    expect(await wrongField.json()).toMatchObject({
      detail: "validation failed",
      errors: [{ message: "File required", location: "file" }],
    });
    const json = await postJson(`${stub.agentApiUrl}/upload`, { file: "x" });
    expect(json.status).toBe(422);
    expect(json.headers.get("content-type")).toBe("application/problem+json");
    expect(await json.json()).toMatchObject({
      errors: [
        { message: "cannot read multipart form: request Content-Type isn't multipart/form-data", location: "body" },
      ],
    });
  });

  it("names the path after the content checksum, like upstream", async () => {
    const form = new FormData();
    form.append("file", new Blob(["same bytes"]), "../../etc/passwd");
    const a = (await (await fetch(`${stub.agentApiUrl}/upload`, { method: "POST", body: form })).json()) as {
      filePath: string;
    };
    expect(a.filePath).toMatch(/^\/tmp\/agentapi-uploads\/[0-9a-f]{16}\/passwd$/);
  });
});

describe("fault injection", () => {
  let stub: RunningStub;
  beforeAll(async () => {
    stub = await testStub();
  });
  afterAll(() => stub.close());

  it("X-Fault-Delay-Ms delays the response and marks it", async () => {
    const started = Date.now();
    const response = await fetch(`${stub.agentApiUrl}/status`, { headers: { "x-fault-delay-ms": "150" } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-fault-injected")).toBe("delay=150ms");
  });

  it("X-Fault-Status answers that status as problem+json on both listeners", async () => {
    for (const url of [`${stub.agentApiUrl}/messages`, `${stub.brokerUrl}/api/auth/token`]) {
      const response = await fetch(url, { headers: { "x-fault-status": "503" } });
      expect(response.status).toBe(503);
      expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(response.headers.get("x-fault-injected")).toBe("status=503");
      expect(await response.json()).toMatchObject({ status: 503, detail: "fault injected: status 503" });
    }
  });

  it("combines a delay with a status, and X-Fault-Rate alone applies STUB_FAULT_STATUS (503)", async () => {
    const started = Date.now();
    const both = await fetch(`${stub.brokerUrl}/api/auth/token`, {
      headers: { "x-fault-delay-ms": "60", "x-fault-status": "500" },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(both.status).toBe(500);
    expect(both.headers.get("x-fault-injected")).toBe("delay=60ms,status=500");
    const rateOnly = await fetch(`${stub.agentApiUrl}/messages`, { headers: { "x-fault-rate": "1" } });
    expect(rateOnly.status).toBe(503);
    expect(rateOnly.headers.get("x-fault-injected")).toBe("status=503");
  });

  it("X-Fault-Rate is a probability: 0 never fires, 0.5 fires about half the time", async () => {
    const never = await fetch(`${stub.agentApiUrl}/status`, {
      headers: { "x-fault-status": "500", "x-fault-rate": "0" },
    });
    expect(never.status).toBe(200);
    let fired = 0;
    for (let i = 0; i < 200; i++) {
      const r = await fetch(`${stub.agentApiUrl}/status`, {
        headers: { "x-fault-status": "502", "x-fault-rate": "0.5" },
      });
      if (r.status === 502) {
        fired++;
        expect(r.headers.get("x-fault-injected")).toBe("status=502");
      } else {
        expect(r.status).toBe(200);
        expect(r.headers.get("x-fault-injected")).toBeNull();
      }
    }
    expect(fired).toBeGreaterThan(60);
    expect(fired).toBeLessThan(140);
  });

  it("X-Fault-Abort resets the connection without a response, on both listeners", async () => {
    for (const url of [`${stub.agentApiUrl}/status`, `${stub.brokerUrl}/api/auth/token`]) {
      const response = await rawRequest(url, { headers: { "x-fault-abort": "true" } });
      expect(response.status).toBe(0);
    }
    expect((await fetch(`${stub.agentApiUrl}/status`)).status).toBe(200);
  });

  it.each([
    ["x-fault-delay-ms", "-1"],
    ["x-fault-delay-ms", "30001"],
    ["x-fault-delay-ms", "soon"],
    ["x-fault-status", "200"],
    ["x-fault-status", "600"],
    ["x-fault-rate", "1.5"],
    ["x-fault-rate", "often"],
    ["x-fault-abort", "maybe"],
  ])("refuses %s: %s with 400", async (name, value) => {
    const response = await fetch(`${stub.agentApiUrl}/status`, { headers: { [name]: value } });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/X-Fault-/);
  });

  it("environment defaults apply to every request except /healthz", async () => {
    const faulty = await testStub({ faults: { delayMs: 0, errorRate: 1, status: 502 } });
    try {
      for (const url of [`${faulty.agentApiUrl}/status`, `${faulty.brokerUrl}/api/auth/token`]) {
        const response = await fetch(url);
        expect(response.status).toBe(502);
        expect(response.headers.get("x-fault-injected")).toBe("status=502");
      }
      expect((await fetch(`${faulty.agentApiUrl}/healthz`)).status).toBe(200);
      expect((await fetch(`${faulty.brokerUrl}/healthz`)).status).toBe(200);
      // A request's own header wins over the default.
      expect((await fetch(`${faulty.agentApiUrl}/status`, { headers: { "x-fault-rate": "0" } })).status).toBe(200);
    } finally {
      await faulty.close();
    }
  });

  it("STUB_FAULT_DELAY_MS delays every request but /healthz; X-Fault-Delay-Ms: 0 opts out", async () => {
    const slow = await testStub({ faults: { delayMs: 120, errorRate: 0, status: 503 } });
    try {
      for (const url of [`${slow.agentApiUrl}/status`, `${slow.brokerUrl}/api/auth/token`]) {
        const started = Date.now();
        const response = await fetch(url);
        expect(Date.now() - started).toBeGreaterThanOrEqual(115);
        expect(response.headers.get("x-fault-injected")).toBe("delay=120ms");
      }
      const health = await fetch(`${slow.agentApiUrl}/healthz`);
      expect(health.headers.get("x-fault-injected")).toBeNull();
      const optOut = await fetch(`${slow.agentApiUrl}/status`, { headers: { "x-fault-delay-ms": "0" } });
      expect(optOut.status).toBe(200);
      expect(optOut.headers.get("x-fault-injected")).toBeNull();
    } finally {
      await slow.close();
    }
  });
});

describe("health and shutdown", () => {
  let stub: RunningStub | undefined;
  afterEach(async () => {
    await stub?.close();
  });

  it("GET /healthz answers 200 on both listeners", async () => {
    stub = await testStub();
    for (const url of [stub.agentApiUrl, stub.brokerUrl]) {
      const response = await fetch(`${url}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ok" });
    }
  });

  it("HEAD is 405 on AgentAPI routes, as upstream's router answers (and never holds an event stream open)", async () => {
    stub = await testStub();
    for (const path of ["/events", "/status"]) {
      const response = await rawRequest(`${stub.agentApiUrl}${path}`, { method: "HEAD", timeoutMs: 2_000 });
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe("GET");
    }
    for (const url of [stub.agentApiUrl, stub.brokerUrl]) {
      expect((await rawRequest(`${url}/healthz`, { method: "HEAD" })).status).toBe(200);
    }
  });

  it("while draining, a request that still arrives gets 503 problem+json and /healthz says draining", async () => {
    stub = await testStub();
    // Requests pipelined behind a slow one reach the listener after close() began (a new connection could not).
    // The late requests must be read while the slow ones are still held (an idle connection is closed): 1 s is ample.
    const SLOW_MS = 1_000;
    const sockets = [stub.agentApiUrl, stub.agentApiUrl, stub.brokerUrl].map((base) => openSocket(base));
    const slow = (requestLine: string, body = ""): string =>
      `${requestLine} HTTP/1.1\r\nHost: localhost\r\nX-Fault-Delay-Ms: ${SLOW_MS}\r\n` +
      (body === "" ? "\r\n" : `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    sockets[0]?.socket.write(slow("GET /messages"));
    sockets[1]?.socket.write(slow("GET /messages"));
    sockets[2]?.socket.write(slow("POST /api/auth/token", '{"user_id":"draining"}'));
    // All three are past the drain check once their injected delay holds them.
    const running = stub;
    await until(
      () => running.faultsHolding() === 3,
      () => `3 slow requests held (${running.faultsHolding()})`,
    );
    // close() sets the draining flag before it returns: whatever is read after this is late.
    const closed = stub.close();
    const late = ["GET /status", "GET /healthz", "POST /api/auth/token"];
    sockets.forEach(({ socket }, i) => socket.write(`${late[i]} HTTP/1.1\r\nHost: localhost\r\n\r\n`));
    await closed;
    stub = undefined;
    const [status, health, token] = await Promise.all(sockets.map(({ responses }) => responses));
    // The slow requests that were in flight finished normally.
    for (const answers of [status, health, token]) expect(answers?.[0]?.status).toBe(200);
    for (const late of [status, token]) {
      expect(late?.[1]?.status).toBe(503);
      expect(late?.[1]?.head).toMatch(/content-type: application\/problem\+json/i);
      expect(late?.[1]?.head).toMatch(/retry-after: 1/i);
      const problem = JSON.parse(late?.[1]?.body ?? "") as { status: number; detail: string };
      expect(problem.status).toBe(503);
      expect(problem.detail).toMatch(/shutting down/);
    }
    expect(health?.[1]?.status).toBe(503);
    expect(JSON.parse(health?.[1]?.body ?? "")).toEqual({ status: "draining" });
  });

  it("close() ends open event streams and lets an in-flight request finish", async () => {
    stub = await testStub();
    const stream = await openSse(`${stub.agentApiUrl}/events`);
    // Held 1 s: long enough that the poll below cannot miss it on a loaded machine.
    const slow = fetch(`${stub.agentApiUrl}/status`, { headers: { "x-fault-delay-ms": "1000" } });
    const running = stub;
    await until(() => running.faultsHolding() === 1, "the slow request held by its delay");
    await stub.close();
    await stream.ended;
    expect((await slow).status).toBe(200);
    stub = undefined;
  });
});

interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/** A raw keep-alive connection; `responses` resolves with every response it got once the server closes it. */
function openSocket(base: string): { socket: Socket; responses: Promise<RawAnswer[]> } {
  const url = new URL(base);
  const socket = connect(Number(url.port), url.hostname);
  let data = "";
  socket.on("data", (chunk: Buffer) => (data += chunk.toString("utf8")));
  const responses = new Promise<RawAnswer[]>((resolve) => {
    socket.on("close", () => {
      const answers: RawAnswer[] = [];
      // Every response here has a Content-Length body and no chunking.
      let rest = data;
      while (rest.startsWith("HTTP/1.1 ")) {
        const split = rest.indexOf("\r\n\r\n");
        const head = rest.slice(0, split);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        const body = Buffer.from(rest.slice(split + 4))
          .subarray(0, length)
          .toString("utf8");
        answers.push({ status: Number(head.slice(9, 12)), head, body });
        rest = rest.slice(split + 4 + body.length);
      }
      resolve(answers);
    });
  });
  socket.setTimeout(5_000, () => socket.destroy());
  return { socket, responses };
}
