// The AgentAPI listener's error surface is upstream's (coder/agentapi 0.12.2: huma v2 on chi and Go's net/http),
// answer for answer: the Host refusals, chi's 404/405, huma's body reading, validation and ErrorModel, Go's server
// refusals. tests/real/error-surface.test.ts holds the same answers against the real binary. Also: an empty body on
// a bodiless method is accepted whatever its Content-Type, on both listeners.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningStub } from "../../infra/agentapi-stub/src/stub";
import {
  CHI_NOT_FOUND,
  expectChi405,
  expectGoText,
  expectHumaError,
  HOST_REFUSAL,
  rawExchange,
  rawRequestText,
} from "../support/upstream-errors";
import { deleteMcpSession, grantMcpAccess, getUserToken, MCP_ACCEPT, openMcpSession } from "./broker-helpers";
import { rawRequest, sendUser, testStub } from "./helpers/stub";

let stub: RunningStub;
let A: string;
let B: string;

beforeAll(async () => {
  stub = await testStub();
  A = stub.agentApiUrl;
  B = stub.brokerUrl;
});
afterAll(() => stub.close());

const JSON_TYPE = { "content-type": "application/json" };
const post = (body: string | Buffer, headers: Record<string, string> = JSON_TYPE, path = "/message") =>
  rawRequest(`${A}${path}`, {
    method: "POST",
    headers: { ...headers, "content-length": Buffer.byteLength(body) },
    body,
  });

describe("Host header (Go's server, then upstream's Host middleware, both before CORS)", () => {
  it("refuses a disallowed Host with http.Error's text, nosniff and no CORS headers", async () => {
    for (const path of ["/status", "/message", "/nope"]) {
      const answer = await rawRequest(`${A}${path}`, {
        headers: { host: "evil.example:3284", origin: "http://localhost:3284" },
      });
      expectGoText(answer, 400, HOST_REFUSAL);
      expect(answer.headers.vary).toBeUndefined();
      expect(answer.headers["access-control-allow-origin"]).toBeUndefined();
      expect(answer.body).not.toContain("evil");
    }
  });

  it("answers a request without Host as Go does: HTTP/1.1 is the server's 400, HTTP/1.0 meets the Host rule", async () => {
    const http11 = await rawExchange(A, "GET /status HTTP/1.1\r\n\r\n");
    expect(http11.statusLine).toBe("HTTP/1.1 400 Bad Request: missing required Host header");
    expectGoText(http11, 400, "400 Bad Request: missing required Host header", { nosniff: false });
    expect(http11.headers.connection).toBe("close");
    const http10 = await rawExchange(A, "GET /status HTTP/1.0\r\n\r\n");
    expectGoText(http10, 400, HOST_REFUSAL);
  });

  it.each(["user@localhost", "local host", "localhost/x", "a<b"])(
    "refuses the malformed Host %j before the Host rule (Go's httpguts.ValidHostHeader)",
    async (host) => {
      const answer = await rawExchange(A, `GET /status HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      expect(answer.statusLine).toBe("HTTP/1.1 400 Bad Request: malformed Host header");
      expectGoText(answer, 400, "400 Bad Request: malformed Host header", { nosniff: false });
    },
  );

  it("with AGENTAPI_ALLOWED_HOSTS=* still refuses what Go's server refuses, and admits HTTP/1.0 without Host", async () => {
    const open = await testStub({ allowedHosts: ["*"] });
    try {
      expect((await rawExchange(open.agentApiUrl, "GET /status HTTP/1.0\r\n\r\n")).status).toBe(200);
      expect((await rawExchange(open.agentApiUrl, "GET /status HTTP/1.1\r\n\r\n")).status).toBe(400);
      expect((await rawExchange(open.agentApiUrl, "GET /status HTTP/1.1\r\nHost: a b\r\n\r\n")).status).toBe(400);
    } finally {
      await open.close();
    }
  });
});

describe("router answers (chi)", () => {
  it.each([
    ["GET", "/nope"],
    ["POST", "/nope"],
    ["GET", "/"],
    ["GET", "/status/"],
    ["GET", "//status"],
    ["GET", "/STATUS"],
    ["DELETE", "/agents/1/nope"],
  ])("%s %s is chi's 404 page not found", async (method, path) => {
    expectGoText(await rawRequest(`${A}${path}`, { method }), 404, CHI_NOT_FOUND);
  });

  it.each([
    ["PUT", "/status", "GET"],
    ["POST", "/status", "GET"],
    ["DELETE", "/messages", "GET"],
    ["GET", "/message", "POST"],
    ["PATCH", "/message", "POST"],
    ["GET", "/upload", "POST"],
    ["HEAD", "/status", "GET"],
    ["HEAD", "/events", "GET"],
    ["OPTIONS", "/status", "GET"],
    ["PUT", "/agents/1/status", "GET"],
  ])("%s %s is chi's empty 405 with Allow: %s", async (method, path, allow) => {
    expectChi405(await rawRequest(`${A}${path}`, { method }), allow);
  });

  it("CORS runs before the router: a 404 and a 405 from an allowed origin carry the CORS headers", async () => {
    const headers = { origin: "http://localhost:3284" };
    for (const [method, path] of [
      ["GET", "/nope"],
      ["PUT", "/status"],
    ] as const) {
      const answer = await rawRequest(`${A}${path}`, { method, headers });
      expect(answer.headers["access-control-allow-origin"]).toBe("http://localhost:3284");
      expect(answer.headers.vary).toBe("Origin");
    }
  });

  it("never reads the body of a request no route takes (bad JSON, 2 MiB, unparsable Content-Type: still 404/405)", async () => {
    expectGoText(await post("{nope", JSON_TYPE, "/nope"), 404, CHI_NOT_FOUND);
    expectGoText(await post("x".repeat(2 << 20), { "content-type": "text/plain" }, "/nope"), 404, CHI_NOT_FOUND);
    expectGoText(await post("{}", { "content-type": "garbage" }, "/nope"), 404, CHI_NOT_FOUND);
    expectChi405(await rawRequest(`${A}/status`, { method: "PUT", headers: JSON_TYPE, body: "{nope" }), "GET");
  });

  it("a preflight is answered by CORS with one Vary line per request header name, as go-chi/cors writes them", async () => {
    const answer = await rawExchange(
      A,
      "OPTIONS /message HTTP/1.1\r\nHost: localhost\r\nOrigin: http://localhost:3284\r\n" +
        "Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n",
    );
    expect(answer.status).toBe(200);
    expect(answer.lines.filter(([name]) => name === "vary").map(([, value]) => value)).toEqual([
      "Origin",
      "Access-Control-Request-Method",
      "Access-Control-Request-Headers",
    ]);
  });
});

describe("request bodies (huma)", () => {
  it("an empty body is 400 `request body is required`, whatever the Content-Type", async () => {
    for (const headers of [JSON_TYPE, {}, { "content-type": "text/plain" }]) {
      expectHumaError(await post("", headers), 400, { detail: "request body is required" });
    }
    expectHumaError(await rawRequest(`${A}/message`, { method: "POST" }), 400, { detail: "request body is required" });
  });

  it("a body of 1 MiB or more is 413 with Go's status text; one byte less is read", async () => {
    const limit = 1 << 20;
    const tooLarge = await rawExchange(
      A,
      rawRequestText("POST", "/message", { Host: "localhost", ...JSON_TYPE }, `"${"x".repeat(limit - 2)}"`),
    );
    expect(tooLarge.statusLine).toBe("HTTP/1.1 413 Request Entity Too Large");
    expectHumaError(tooLarge, 413, { detail: "request body is too large limit=1048576 bytes" });
    const below = await post(`"${"x".repeat(limit - 3)}"`);
    expectHumaError(below, 422, {
      detail: "validation failed",
      errors: [{ message: "expected object", location: "body", value: "x".repeat(limit - 3) }],
    });
  });

  it.each([
    ["text/plain", 415],
    ["Application/JSON", 415],
    ["text/json", 415],
    ["multipart/form-data; boundary=x", 415],
    ["application/merge-patch+json", 200],
    ["application/json; charset=utf-8", 200],
    [undefined, 200],
  ])("Content-Type %s → %i (huma picks the format after `+`, JSON when none is named)", async (type, status) => {
    const body = '{"content":"keys","type":"raw"}';
    const answer = await post(body, type === undefined ? {} : { "content-type": type });
    if (status === 200) {
      expect(answer.status).toBe(200);
      return;
    }
    expectHumaError(answer, 415, {
      detail: "validation failed",
      errors: [{ message: `unknown content type: ${type}`, location: "body", value: body }],
    });
  });

  it.each([
    ["{nope", "invalid character 'n' looking for beginning of object key string"],
    ['{"content":"hi"', "unexpected end of JSON input"],
    ["-", "invalid character ' ' in numeric literal"],
    ["1.", "invalid character ' ' after decimal point in numeric literal"],
    ["tru", "invalid character ' ' in literal true (expecting 'e')"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
    ['{"a":1}x', "invalid character 'x' after top-level value"],
    ['{"a":"\u0001"}', "invalid character '\\x01' in string literal"],
    ['{"a":"\\q"}', "invalid character 'q' in string escape code"],
    ["[".repeat(10_001), "invalid character '[' exceeded max depth"],
    ['{"content":1e400,"type":"raw"}', "json: cannot unmarshal number 1e400 into Go value of type float64"],
  ])("bad JSON %j → 400 with Go's message and the body echoed", async (body, message) => {
    expectHumaError(await post(body), 400, {
      detail: "validation failed",
      errors: [{ message, location: "body", value: body }],
    });
  });

  it("echoes a body that is not UTF-8 as Go does (each invalid byte \\ufffd)", async () => {
    const body = Buffer.from([0x7b, 0xff, 0x7d]);
    const answer = await post(body);
    expectHumaError(answer, 400, {
      detail: "validation failed",
      errors: [
        {
          message: "invalid character 'ÿ' looking for beginning of object key string",
          location: "body",
          value: "{\ufffd}",
        },
      ],
    });
    // Escaped, as Go writes an invalid byte of a string (a decoded U+FFFD would be written as is).
    expect(answer.body).toContain('"value":"{\\ufffd}"');
  });
});

describe("validation (huma)", () => {
  const invalid = (errors: unknown[]) => ({ detail: "validation failed", errors });

  it.each<[string, unknown[]]>([
    [
      "{}",
      [
        { message: "expected required property content to be present", location: "body", value: {} },
        { message: "expected required property type to be present", location: "body", value: {} },
      ],
    ],
    ['{"content":"x","type":"shout"}', [{ location: "body.type", value: "shout" }]],
    ['{"content":5,"type":"raw"}', [{ message: "expected string", location: "body.content", value: 5 }]],
    ['{"content":null,"type":"raw"}', [{ message: "expected string", location: "body.content" }]],
    ["null", [{ message: "expected object", location: "body" }]],
    ["[1]", [{ message: "expected object", location: "body", value: [1] }]],
    [
      '{"type":"raw","extra":1,"content":"x"}',
      [{ message: "unexpected property", location: "body.extra", value: { content: "x", extra: 1, type: "raw" } }],
    ],
    [
      '{"content":"x","type":"raw","__proto__":{"polluted":true}}',
      [
        {
          message: "unexpected property",
          location: "body.__proto__",
          value: JSON.parse('{"__proto__":{"polluted":true},"content":"x","type":"raw"}') as unknown,
        },
      ],
    ],
    [
      '{"content":[],"type":7}',
      [
        { message: "expected string", location: "body.content", value: [] },
        { message: "expected string", location: "body.type", value: 7 },
      ],
    ],
  ])("%s → 422 with huma's errors", async (body, errors) => {
    expectHumaError(await post(body), 422, invalid(errors));
  });

  it("writes echoed objects as Go does: keys sorted, -0 kept", async () => {
    const answer = await post('{"z":1,"content":-0,"type":"raw"}');
    expect(answer.body).toContain('"value":-0}');
    expect(answer.body).toContain('"value":{"content":-0,"type":"raw","z":1}}');
  });

  it("matches property names case-insensitively and ignores `$schema`, as huma and Go's decoder do", async () => {
    for (const body of [
      '{"CONTENT":"keys","Type":"raw"}',
      '{"$schema":5,"content":"keys","type":"raw"}',
      '{"$schema":null,"content":"keys","type":"raw"}',
    ]) {
      const answer = await post(body);
      expect(answer.status, `${body}: ${answer.body}`).toBe(200);
    }
  });

  it("the busy refusal is huma's 500 with the handler's reason", async () => {
    // An agent that thinks for a minute: still running when the second send lands, however slow the machine.
    const thinking = await testStub({ thinkMs: { min: 60_000, max: 60_000 } });
    try {
      expect((await sendUser(thinking.agentApiUrl, "First task")).status).toBe(200);
      const busy = await sendUser(thinking.agentApiUrl, "Second task");
      const text = await busy.text();
      expectHumaError({ status: busy.status, headers: busy.headers, body: text }, 500, {
        detail: "unexpected error occurred",
        errors: [
          { message: "failed to send message: message can only be sent when the agent is waiting for user input" },
        ],
      });
    } finally {
      await thinking.close();
    }
  });

  it("an injected fault is rendered as huma's ErrorModel too", async () => {
    const answer = await rawRequest(`${A}/status`, { headers: { "x-fault-status": "503" } });
    expectHumaError(answer, 503, { detail: "fault injected: status 503" });
    expect(answer.headers["x-fault-injected"]).toBe("status=503");
  });
});

describe("HTTP the router never sees (Go's server answers)", () => {
  it.each([
    ["a bad percent-encoding", "GET /%zz HTTP/1.1\r\nHost: localhost\r\n\r\n", "400 Bad Request"],
    ["a garbage request line", "GARBAGE\r\n\r\n", "400 Bad Request"],
    ["a header without colon", "GET /status HTTP/1.1\r\nHost: localhost\r\nbroken\r\n\r\n", "400 Bad Request"],
    [
      "headers over the 16 KiB cap",
      `GET /status HTTP/1.1\r\nHost: localhost\r\nX-Pad: ${"p".repeat(32 << 10)}\r\n\r\n`,
      "431 Request Header Fields Too Large",
    ],
  ])("%s → %s as plain text, connection closed", async (_name, request, text) => {
    const answer = await rawExchange(A, request);
    expect(answer.statusLine).toBe(`HTTP/1.1 ${text}`);
    expectGoText(answer, Number(text.slice(0, 3)), text, { nosniff: false });
    expect(answer.headers.connection).toBe("close");
  });
});

describe("an empty body on a bodiless method is accepted whatever its Content-Type", () => {
  const types = ["application/json", "application/xml", "text/plain", "garbage"];

  it.each(types)(
    "AgentAPI: GET/HEAD with Content-Type %s and no body are served; DELETE/OPTIONS are chi's 405",
    async (type) => {
      for (const length of [undefined, "0"]) {
        const headers: Record<string, string> = { "content-type": type };
        if (length !== undefined) headers["content-length"] = length;
        expect((await rawRequest(`${A}/status`, { headers })).status).toBe(200);
        expect((await rawRequest(`${A}/healthz`, { method: "HEAD", headers })).status).toBe(200);
        expectChi405(await rawRequest(`${A}/messages`, { method: "DELETE", headers }), "GET");
        expectChi405(await rawRequest(`${A}/status`, { method: "OPTIONS", headers }), "GET");
      }
    },
  );

  it("AgentAPI: a GET body is ignored, as huma ignores it for an operation without one", async () => {
    const framings: Record<string, string>[] = [{ "content-length": "5" }, { "transfer-encoding": "chunked" }];
    for (const headers of framings) {
      const answer = await rawRequest(`${A}/status`, { headers: { ...JSON_TYPE, ...headers }, body: "{nope" });
      expect(answer.status).toBe(200);
    }
  });

  it.each(types)("broker: DELETE /mcp with Content-Type %s and no body ends the session", async (type) => {
    const userToken = await getUserToken(B, `empty-body-${type.replace(/\W/g, "-")}`);
    const { accessToken } = await grantMcpAccess(B, userToken);
    for (const length of [undefined, "0"]) {
      const sessionId = await openMcpSession(B, accessToken);
      const headers: Record<string, string> = {
        authorization: `Bearer ${accessToken}`,
        accept: MCP_ACCEPT,
        "mcp-session-id": sessionId,
        "content-type": type,
      };
      if (length !== undefined) headers["content-length"] = length;
      const answer = await rawRequest(`${B}/mcp`, { method: "DELETE", headers });
      expect(answer.status, answer.body).toBe(200);
      // Gone: a second DELETE is 404.
      expect((await deleteMcpSession(B, accessToken, sessionId)).status).toBe(404);
    }
  });

  it("broker: a chunked empty JSON body on DELETE is accepted too; fetch's DELETE with a JSON type works", async () => {
    const userToken = await getUserToken(B, "empty-body-chunked");
    const { accessToken } = await grantMcpAccess(B, userToken);
    const chunked = await openMcpSession(B, accessToken);
    const answer = await rawExchange(
      B,
      `DELETE /mcp HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${accessToken}\r\n` +
        `Mcp-Session-Id: ${chunked}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n` +
        "Connection: close\r\n\r\n0\r\n\r\n",
    );
    expect(answer.status, answer.body).toBe(200);
    const viaFetch = await openMcpSession(B, accessToken);
    const response = await fetch(`${B}/mcp`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${accessToken}`, "mcp-session-id": viaFetch, ...JSON_TYPE },
    });
    expect(response.status).toBe(200);
  });

  it("broker: GET, HEAD and OPTIONS with a JSON type and no body reach their route (or the 404/405 problem)", async () => {
    const headers = { ...JSON_TYPE, "content-length": "0" };
    expect((await rawRequest(`${B}/healthz`, { headers })).status).toBe(200);
    expect((await rawRequest(`${B}/healthz`, { method: "HEAD", headers })).status).toBe(200);
    const options = await rawRequest(`${B}/mcp`, { method: "OPTIONS", headers });
    expect(options.status).toBe(405);
    expect(options.headers["content-type"]).toMatch(/^application\/problem\+json/);
  });

  it("broker: a POST with a JSON type and an empty body is still refused (400 problem+json)", async () => {
    const answer = await rawRequest(`${B}/api/auth/token`, {
      method: "POST",
      headers: { ...JSON_TYPE, "content-length": "0" },
    });
    expect(answer.status).toBe(400);
    expect(answer.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect((JSON.parse(answer.body) as { detail: string }).detail).toBe(
      "the body is empty but Content-Type is application/json",
    );
  });
});
