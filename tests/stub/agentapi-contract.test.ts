// Contract: every path/method of the upstream AgentAPI document is served, and what the target answers validates
// against upstream's own schemas (read from ../shared/agentapi/openapi.json, never copied into the project).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningStub } from "../../infra/agentapi-stub/src/stub";
import {
  loadUpstreamSpec,
  openSse,
  postJson,
  rawRequest,
  schemaErrors,
  sendUser,
  testStub,
  upstreamValidators,
  waitForStatus,
} from "./helpers/stub";
import { CHI_NOT_FOUND, expectGoText, expectHumaError, HOST_REFUSAL } from "../support/upstream-errors";

const spec = loadUpstreamSpec();
const schema = upstreamValidators(spec);
let stub: RunningStub;
let base: string;

beforeAll(async () => {
  stub = await testStub();
  base = stub.agentApiUrl;
});
afterAll(async () => {
  await stub.close();
});

function expectValid(name: string, value: unknown): void {
  expect(schemaErrors(schema(name), value), `${name}: ${JSON.stringify(value)}`).toBe("");
}

/** Upstream's error body: huma's ErrorModel, valid against upstream's schema, in huma's exact format. */
async function expectError(response: Response, status: number, expected: { detail?: string; errors?: unknown[] } = {}) {
  const body = expectHumaError(
    { status: response.status, headers: response.headers, body: await response.text() },
    status,
    expected,
  );
  expectValid("ErrorModel", body);
  return body;
}

describe("every upstream path and method is served", () => {
  const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => ({ path, method: method.toUpperCase() })),
  );

  it("the upstream document lists the five AgentAPI operations", () => {
    expect(operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual([
      "GET /events",
      "GET /messages",
      "GET /status",
      "POST /message",
      "POST /upload",
    ]);
  });

  it.each(operations)("$method $path is routed (neither 404 nor 405)", async ({ path, method }) => {
    if (path === "/events") {
      const stream = await openSse(`${base}/events`);
      expect(stream.response.status).toBe(200);
      stream.close();
      return;
    }
    // An empty request is enough to prove the route exists: it answers 200 or a validation problem.
    const response = await rawRequest(`${base}${path}`, { method });
    expect([404, 405]).not.toContain(response.status);
    expect(response.status).toBeLessThan(500);
  });

  it("the target's own /openapi.json describes every upstream operation and its extras", async () => {
    const response = await fetch(`${base}/openapi.json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    for (const { path, method } of operations) expect(doc.paths[path]?.[method.toLowerCase()]).toBeDefined();
    for (const extra of ["/healthz", "/openapi.json"]) expect(doc.paths[extra]?.get).toBeDefined();
  });

  it("the target's component schemas accept what upstream's accept (same names, required fields and enums)", async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      components: { schemas: Record<string, { required?: string[]; enum?: string[]; properties?: object }> };
    };
    const upstream = spec.components.schemas as Record<
      string,
      { required?: string[]; enum?: string[]; properties?: object }
    >;
    for (const [name, theirs] of Object.entries(upstream)) {
      if (name === "ScreenUpdateBody") continue; // not served (upstream's /internal/screen)
      const ours = doc.components.schemas[name];
      expect(ours, name).toBeDefined();
      expect([...(ours?.required ?? [])].sort(), name).toEqual([...(theirs.required ?? [])].sort());
      expect([...(ours?.enum ?? [])].sort(), name).toEqual([...(theirs.enum ?? [])].sort());
      expect(Object.keys(ours?.properties ?? {}).sort(), name).toEqual(Object.keys(theirs.properties ?? {}).sort());
    }
  });
});

describe("responses validate against upstream's schemas", () => {
  it("GET /status → StatusResponseBody with a $schema link and Link header", async () => {
    const response = await fetch(`${base}/status`);
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expectValid("StatusResponseBody", body);
    expect(body).toMatchObject({ agent_type: "claude", transport: "pty", status: "stable" });
    expect(body.$schema).toBe(`${base}/schemas/StatusResponseBody.json`);
    expect(response.headers.get("link")).toBe('</schemas/StatusResponseBody.json>; rel="describedBy"');
    const linked = await fetch(String(body.$schema));
    expect(linked.status).toBe(200);
  });

  it("POST /message → MessageResponseBody; GET /messages → MessagesResponseBody", async () => {
    const posted = await sendUser(base, "Summarise the repository layout");
    const ok = await posted.json();
    expect(posted.status).toBe(200);
    expectValid("MessageResponseBody", ok);
    expect(ok).toMatchObject({ ok: true });
    await waitForStatus(base, "stable");
    const response = await fetch(`${base}/messages`);
    const body = (await response.json()) as { messages: { id: number; role: string; content: string }[] };
    expectValid("MessagesResponseBody", body);
    expect(body.messages.length).toBeGreaterThanOrEqual(3);
    for (const message of body.messages) expectValid("Message", message);
  });

  it("POST /upload → UploadResponseBody", async () => {
    const form = new FormData();
    form.append("file", new Blob(["print('hi')\n"]), "script.py");
    const response = await fetch(`${base}/upload`, { method: "POST", body: form });
    const body = (await response.json()) as { filePath: string };
    expect(response.status).toBe(200);
    expectValid("UploadResponseBody", body);
    expect(body.filePath).toMatch(/\/[0-9a-f]{16}\/script\.py$/);
  });

  it("errors are upstream's: huma ErrorModel for validation (422) and the busy agent (500), Go text for Host and 404", async () => {
    await expectError(await postJson(`${base}/message`, { content: 1, type: "shout" }), 422, {
      detail: "validation failed",
      errors: [
        { message: "expected string", location: "body.content", value: 1 },
        { location: "body.type", value: "shout" },
      ],
    });

    // The busy refusal, on an agent that thinks for a minute: still running when the second send lands, however
    // slow the machine.
    const busy = await testStub({ thinkMs: { min: 60_000, max: 60_000 } });
    try {
      const first = await sendUser(busy.agentApiUrl, "First task");
      expect(first.status).toBe(200);
      await expectError(await sendUser(busy.agentApiUrl, "Second task"), 500, {
        detail: "unexpected error occurred",
        errors: [
          { message: "failed to send message: message can only be sent when the agent is waiting for user input" },
        ],
      });
    } finally {
      await busy.close();
    }

    expectGoText(await rawRequest(`${base}/status`, { headers: { host: "evil.example:3284" } }), 400, HOST_REFUSAL);
    expectGoText(await rawRequest(`${base}/no-such-path`), 404, CHI_NOT_FOUND);
  });

  it("a body of a type huma has no format for is 415 naming it; no Content-Type at all means JSON", async () => {
    await expectError(
      await fetch(`${base}/message`, { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" }),
      415,
      {
        detail: "validation failed",
        errors: [{ message: "unknown content type: text/plain", location: "body", value: "hi" }],
      },
    );
    const untyped = await rawRequest(`${base}/message`, {
      method: "POST",
      body: '{"content":"keys","type":"raw"}',
      headers: { "content-length": 31 },
    });
    expect(untyped.status, untyped.body).toBe(200);
  });

  it("SSE payloads are MessageUpdateBody / StatusChangeBody", async () => {
    const stream = await openSse(`${base}/events`);
    expect(stream.response.headers.get("content-type")).toBe("text/event-stream");
    await stream.until((events) => events.some((e) => e.event === "status_change"));
    expect(await sendUser(base, "Stream this").then((r) => r.status)).toBe(200);
    const events = await stream.until(
      (all) => all.filter((e) => e.event === "status_change").length >= 3, // initial, running, stable
    );
    stream.close();
    for (const event of events) {
      const payload = JSON.parse(event.data) as unknown;
      if (event.event === "message_update") expectValid("MessageUpdateBody", payload);
      else if (event.event === "status_change") expectValid("StatusChangeBody", payload);
      else throw new Error(`unexpected event ${String(event.event)}`);
    }
  });
});
