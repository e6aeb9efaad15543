// Bad input across every endpoint of both listeners: well over 500 generated malformed requests (bad JSON, wrong
// types, wrong content types, oversized bodies and headers, wrong methods, unknown sessions, bad auth, bad fault
// headers, bad Host). Each must be refused with a 4xx in its listener's error format — never a 5xx, never a dropped
// connection — and the target must still be healthy afterwards. The broker answers RFC 9457 problem+json; the
// AgentAPI listener answers as upstream does (huma's ErrorModel, chi's 404/405, Go's plain-text refusals; see
// tests/support/upstream-errors.ts). The generator is seeded, so a failure reproduces.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningStub } from "../../infra/agentapi-stub/src/stub";
import {
  CHI_NOT_FOUND,
  expectChi405,
  expectGoText,
  expectHumaError,
  HOST_REFUSAL,
  rawExchange,
  type Answer,
} from "../support/upstream-errors";
import { getUserToken, grantMcpAccess, MCP_ACCEPT, openMcpSession } from "./broker-helpers";
import { rawRequest, testStub, type RawResponse } from "./helpers/stub";

interface Case {
  name: string;
  url: string;
  method: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  /** Expected status; otherwise any 4xx. */
  status?: number;
  /** The request may turn out valid (random byte flips, odd but legal paths): a 2xx is fine, a 5xx never. */
  mayAccept?: boolean;
  /** AgentAPI only: the exact plain-text answer Go would give (Host refusals), instead of the status's usual shape. */
  goText?: { body: string; nosniff: boolean };
}

/** mulberry32: a small seeded PRNG, so the generated corpus is the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BAD_JSON = [
  "{",
  '{"content":',
  '{"content":"x",}',
  "[1,2",
  "nul",
  "{'content':'x'}",
  '{"content":"x"}}',
  '{"a":1}garbage',
  "\u0000\u0001\u0002",
  '"unterminated',
  '{"content": "\\uZZZZ"}',
  "[".repeat(5000),
  "{}".repeat(50),
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
];

/** Values of every JSON type, to put where a field expects something else. */
const WRONG_VALUES: unknown[] = [
  0,
  -1,
  1.5,
  2 ** 60,
  true,
  false,
  null,
  [],
  ["x"],
  {},
  { nested: { deep: true } },
  "",
  " ",
  "x".repeat(5000),
  "\u0000",
  "💥".repeat(10),
];

const WRONG_CONTENT_TYPES = [
  "text/plain",
  "application/xml",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/octet-stream",
  "////",
  "json",
];

let stub: RunningStub;
let A: string;
let B: string;
let userToken: string;
let accessToken: string;
let sessionId: string;
let configId: string;
let refreshToken: string;

beforeAll(async () => {
  stub = await testStub();
  A = stub.agentApiUrl;
  B = stub.brokerUrl;
  userToken = await getUserToken(B, "bad-input-user");
  // One grant is the target of the refresh/revoke bodies (fuzzing may rotate or revoke it); the other one, never
  // named in the corpus, carries the MCP session.
  const mutated = await grantMcpAccess(B, userToken);
  configId = mutated.configId;
  refreshToken = mutated.refreshToken;
  accessToken = (await grantMcpAccess(B, userToken)).accessToken;
  sessionId = await openMcpSession(B, accessToken);
});
afterAll(() => stub.close());

function json(headers: Record<string, string> = {}): Record<string, string> {
  return { "content-type": "application/json", ...headers };
}

function corpus(): Case[] {
  const random = prng(20_240_501);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const user = { authorization: `Bearer ${userToken}` };
  const mcp = { authorization: `Bearer ${accessToken}`, accept: MCP_ACCEPT };
  const cases: Case[] = [];

  // The JSON endpoints, each with a valid-looking body to mutate, its auth headers and what a validation error is.
  const jsonEndpoints: {
    url: string;
    auth: Record<string, string>;
    fields: Record<string, unknown>;
    invalid: number;
  }[] = [
    { url: `${A}/message`, auth: {}, fields: { content: "hello", type: "user" }, invalid: 422 },
    { url: `${B}/api/auth/token`, auth: {}, fields: { user_id: "someone" }, invalid: 400 },
    {
      url: `${B}/api/mcp/oauth/init`,
      auth: user,
      fields: {
        mcp_name: "fs",
        provider: "github",
        redirect_uri: "http://127.0.0.1:9/cb",
        code_challenge: "a".repeat(43),
        code_challenge_method: "S256",
      },
      invalid: 400,
    },
    {
      url: `${B}/api/mcp/oauth/callback`,
      auth: user,
      fields: { state: "s".repeat(20), code: "c".repeat(20), code_verifier: "v".repeat(43) },
      invalid: 400,
    },
    {
      url: `${B}/api/mcp/oauth/refresh`,
      auth: user,
      fields: { mcp_config_id: configId, refresh_token: refreshToken },
      invalid: 400,
    },
    { url: `${B}/api/mcp/oauth/revoke`, auth: user, fields: { mcp_config_id: configId }, invalid: 400 },
  ];

  for (const endpoint of jsonEndpoints) {
    const name = endpoint.url.replace(/^http:\/\/[^/]+/, "");
    // Bad JSON.
    for (const body of BAD_JSON) {
      cases.push({
        name: `${name} bad JSON ${body.slice(0, 20)}`,
        url: endpoint.url,
        method: "POST",
        headers: json(endpoint.auth),
        body,
      });
    }
    // Wrong types: each field replaced by a value of another type (strings stay only when they break a rule).
    for (const field of Object.keys(endpoint.fields)) {
      for (const value of WRONG_VALUES) {
        if (typeof value === "string" && !(endpoint.url.endsWith("/message") && field === "type")) continue;
        const body = JSON.stringify({ ...endpoint.fields, [field]: value });
        cases.push({
          name: `${name} ${field}=${JSON.stringify(value).slice(0, 20)}`,
          url: endpoint.url,
          method: "POST",
          headers: json(endpoint.auth),
          body,
          status: endpoint.invalid,
        });
      }
      // Missing field.
      const rest = Object.fromEntries(Object.entries(endpoint.fields).filter(([k]) => k !== field));
      cases.push({
        name: `${name} without ${field}`,
        url: endpoint.url,
        method: "POST",
        headers: json(endpoint.auth),
        body: JSON.stringify(rest),
        status: endpoint.invalid,
      });
    }
    // Unknown property, non-object bodies.
    cases.push({
      name: `${name} extra property`,
      url: endpoint.url,
      method: "POST",
      headers: json(endpoint.auth),
      body: JSON.stringify({ ...endpoint.fields, extra: 1 }),
      status: endpoint.invalid,
    });
    for (const body of ["[]", "1", '"text"', "null", "true"]) {
      cases.push({
        name: `${name} body ${body}`,
        url: endpoint.url,
        method: "POST",
        headers: json(endpoint.auth),
        body,
        status: endpoint.invalid,
      });
    }
    // Wrong content types for a good body, and no content type at all.
    for (const type of WRONG_CONTENT_TYPES) {
      cases.push({
        name: `${name} as ${type}`,
        url: endpoint.url,
        method: "POST",
        headers: { ...endpoint.auth, "content-type": type },
        body: JSON.stringify(endpoint.fields),
      });
    }
    cases.push({
      name: `${name} empty JSON body`,
      url: endpoint.url,
      method: "POST",
      headers: json(endpoint.auth),
      body: "",
    });
    // Oversized body (limit 1 MiB) → 413.
    cases.push({
      name: `${name} 2 MiB body`,
      url: endpoint.url,
      method: "POST",
      headers: json(endpoint.auth),
      body: JSON.stringify({ ...endpoint.fields, padding: "x".repeat(2 << 20) }),
      status: 413,
    });
    // Wrong methods.
    for (const method of ["GET", "PUT", "PATCH", "DELETE"]) {
      cases.push({ name: `${method} ${name}`, url: endpoint.url, method, headers: endpoint.auth, status: 405 });
    }
  }

  // Broker auth: missing, malformed and forged bearer tokens → 401.
  for (const authorization of [
    undefined,
    "",
    "Bearer",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Bearer x.y.z",
    `Bearer ${"a".repeat(4000)}`,
    `Bearer ${userToken}x`,
    `bearer  ${userToken.slice(1)}`,
  ]) {
    for (const path of [
      "/api/mcp/oauth/init",
      "/api/mcp/oauth/callback",
      "/api/mcp/oauth/refresh",
      "/api/mcp/oauth/revoke",
    ]) {
      const headers: Record<string, string> = json();
      if (authorization !== undefined) headers.authorization = authorization;
      cases.push({
        name: `${path} auth ${String(authorization).slice(0, 12)}`,
        url: `${B}${path}`,
        method: "POST",
        headers,
        body: "{}",
        status: 401,
      });
    }
    const mcpHeaders: Record<string, string> = json({ accept: MCP_ACCEPT });
    if (authorization !== undefined) mcpHeaders.authorization = authorization;
    cases.push({
      name: `/mcp auth ${String(authorization).slice(0, 12)}`,
      url: `${B}/mcp`,
      method: "POST",
      headers: mcpHeaders,
      body: "{}",
      status: 401,
    });
  }

  // Authorize: bad and unknown states.
  for (const state of ["", "short", "x".repeat(300), "%00%01", "a b c", "s".repeat(40), "../../etc"]) {
    cases.push({
      name: `authorize state ${state.slice(0, 10)}`,
      url: `${B}/api/mcp/oauth/authorize?state=${encodeURIComponent(state)}`,
      method: "GET",
      headers: user,
    });
  }
  cases.push({
    name: "authorize without state",
    url: `${B}/api/mcp/oauth/authorize`,
    method: "GET",
    headers: user,
    status: 400,
  });
  cases.push({
    name: "authorize twice state",
    url: `${B}/api/mcp/oauth/authorize?state=a&state=b`,
    method: "GET",
    headers: user,
  });

  // MCP: unknown and malformed sessions, broken JSON-RPC, wrong content types.
  const rpc = (method: string, id: unknown = 1): string => JSON.stringify({ jsonrpc: "2.0", id, method, params: {} });
  for (let i = 0; i < 15; i++) {
    const unknown = `unknown-${Math.floor(random() * 1e9).toString(16)}`;
    cases.push({
      name: `DELETE /mcp unknown session ${i}`,
      url: `${B}/mcp`,
      method: "DELETE",
      headers: { ...mcp, "mcp-session-id": unknown },
      status: 404,
    });
    cases.push({
      name: `POST /mcp unknown session ${i}`,
      url: `${B}/mcp`,
      method: "POST",
      headers: json({ ...mcp, "mcp-session-id": unknown }),
      body: rpc("tools/list"),
      status: 404,
    });
  }
  cases.push({ name: "DELETE /mcp without session", url: `${B}/mcp`, method: "DELETE", headers: mcp, status: 400 });
  cases.push({
    name: "POST /mcp tools/list without session",
    url: `${B}/mcp`,
    method: "POST",
    headers: json(mcp),
    body: rpc("tools/list"),
    status: 400,
  });
  cases.push({
    name: "POST /mcp session id too long",
    url: `${B}/mcp`,
    method: "POST",
    headers: json({ ...mcp, "mcp-session-id": "s".repeat(300) }),
    body: rpc("tools/list"),
    status: 400,
  });
  for (const body of [
    ...BAD_JSON,
    "[]",
    "{}",
    '{"jsonrpc":"1.0","id":1,"method":"tools/list"}',
    '{"jsonrpc":"2.0","id":{},"method":"tools/list"}',
    '{"jsonrpc":"2.0","method":42}',
  ]) {
    cases.push({
      name: `POST /mcp body ${body.slice(0, 20)}`,
      url: `${B}/mcp`,
      method: "POST",
      headers: json({ ...mcp, "mcp-session-id": sessionId }),
      body,
    });
  }
  for (const type of WRONG_CONTENT_TYPES) {
    cases.push({
      name: `POST /mcp as ${type}`,
      url: `${B}/mcp`,
      method: "POST",
      headers: { ...mcp, "mcp-session-id": sessionId, "content-type": type },
      body: rpc("tools/list"),
    });
  }
  for (const accept of ["text/html", "application/json", "*/x"]) {
    cases.push({
      name: `POST /mcp accept ${accept}`,
      url: `${B}/mcp`,
      method: "POST",
      headers: json({ ...mcp, accept, "mcp-session-id": sessionId }),
      body: rpc("tools/list"),
    });
  }
  for (const method of ["GET", "PUT", "PATCH"])
    cases.push({ name: `${method} /mcp`, url: `${B}/mcp`, method, headers: mcp, status: 405 });

  // AgentAPI reads: wrong methods; upload: wrong content types and parts.
  for (const path of ["/status", "/messages", "/events", "/openapi.json"]) {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"])
      cases.push({ name: `${method} ${path}`, url: `${A}${path}`, method, status: 405 });
  }
  for (const method of ["GET", "PUT", "DELETE"])
    cases.push({ name: `${method} /upload`, url: `${A}/upload`, method, status: 405 });
  for (const type of WRONG_CONTENT_TYPES.filter((t) => !t.startsWith("multipart"))) {
    cases.push({
      name: `/upload as ${type}`,
      url: `${A}/upload`,
      method: "POST",
      headers: { "content-type": type },
      body: "file=abc",
    });
  }
  const boundary = "----stubtest";
  const part = (name: string, content: string, filename = "a.txt"): string =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n${content}\r\n`;
  const multipartBodies = [
    "",
    `--${boundary}--\r\n`,
    part("other", "x") + `--${boundary}--\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\nnot a file\r\n--${boundary}--\r\n`,
    "garbage without boundaries",
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n`, // truncated
  ];
  for (const body of multipartBodies) {
    cases.push({
      name: `/upload multipart ${body.slice(0, 30)}`,
      url: `${A}/upload`,
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body,
    });
  }
  cases.push({
    name: "/upload multipart without boundary",
    url: `${A}/upload`,
    method: "POST",
    headers: { "content-type": "multipart/form-data" },
    body: part("file", "x"),
  });
  cases.push({
    name: "/upload 11 MiB",
    url: `${A}/upload`,
    method: "POST",
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    body: part("file", "x".repeat(11 << 20)) + `--${boundary}--\r\n`,
    status: 400,
  });

  // Both listeners: oversized headers and URLs, unknown paths, bad fault headers.
  for (const base of [A, B]) {
    cases.push({
      name: `${base} 32 KiB header`,
      url: `${base}/healthz`,
      method: "GET",
      headers: { "x-padding": "p".repeat(32 << 10) },
      status: 431,
    });
    cases.push({ name: `${base} 32 KiB URL`, url: `${base}/${"u".repeat(32 << 10)}`, method: "GET", status: 431 });
    cases.push({
      name: `${base} 400 headers`,
      url: `${base}/healthz`,
      method: "GET",
      headers: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`x-h${i}`, "v".repeat(60)])),
      status: 431,
    });
    for (let i = 0; i < 12; i++) {
      const path = `/${Array.from({ length: 1 + Math.floor(random() * 4) }, () => Math.floor(random() * 1e6).toString(36)).join("/")}`;
      cases.push({
        name: `${base} unknown ${path}`,
        url: `${base}${path}`,
        method: pick(["GET", "POST", "DELETE", "PUT"]),
        status: 404,
      });
    }
    for (const path of ["/%", "/%zz", "/..%2f..%2fetc", "/status%00", "//status", "/api/../status"]) {
      cases.push({ name: `${base} odd path ${path}`, url: `${base}${path}`, method: "GET", mayAccept: true });
    }
    for (const [header, value] of [
      ["x-fault-delay-ms", "-5"],
      ["x-fault-delay-ms", "1e3"],
      ["x-fault-delay-ms", "999999999"],
      ["x-fault-status", "abc"],
      ["x-fault-status", "99"],
      ["x-fault-status", "200"],
      ["x-fault-rate", "-0.1"],
      ["x-fault-rate", "NaN"],
      ["x-fault-rate", ""],
      ["x-fault-abort", "yes"],
    ] as const) {
      cases.push({
        name: `${base} ${header}: ${value}`,
        url: `${base}/healthz-is-exempt-so-use-a-real-path`,
        method: "GET",
        headers: { [header]: value },
        status: 400,
      });
    }
  }

  // AgentAPI Host header: garbage hosts → 400, as upstream's Host middleware (http.Error) or, for bytes no host can
  // contain, Go's server itself answers.
  const refused = { body: HOST_REFUSAL, nosniff: true };
  const malformed = { body: "400 Bad Request: malformed Host header", nosniff: false };
  for (const [host, goText] of [
    ["evil.example", refused],
    ["localhost.evil", refused],
    ["[::1", refused],
    ["[::1]x", refused],
    ["local_host:abc", refused],
    ["user@localhost", malformed],
    ["a".repeat(300), refused],
    ["127.0.0.1:99999x", refused],
  ] as const) {
    cases.push({
      name: `Host ${host.slice(0, 20)}`,
      url: `${A}/status`,
      method: "GET",
      headers: { host },
      status: 400,
      goText,
    });
  }

  // Random fuzz: mutate JSON bodies byte by byte.
  for (let i = 0; i < 120; i++) {
    const endpoint = pick(jsonEndpoints);
    const bytes = Buffer.from(JSON.stringify(endpoint.fields));
    const flips = 1 + Math.floor(random() * 4);
    for (let f = 0; f < flips; f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    cases.push({
      name: `fuzz ${i} ${endpoint.url}`,
      url: endpoint.url,
      method: "POST",
      headers: json(endpoint.auth),
      body: bytes,
      mayAccept: true,
    });
  }
  return cases;
}

/** The Content-Length the server will see (Buffer for bytes). */
function withLength(c: Case): Case {
  if (c.body === undefined) return c;
  return { ...c, headers: { ...c.headers, "content-length": Buffer.byteLength(c.body) } };
}

async function runAll(cases: Case[], concurrency: number): Promise<{ c: Case; r: RawResponse }[]> {
  const results: { c: Case; r: RawResponse }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const r = await rawRequest(c.url, {
        method: c.method,
        headers: withLength(c).headers,
        body: c.body,
        timeoutMs: 15_000,
      });
      results.push({ c, r });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** The `Allow` chi sends for a known AgentAPI path. */
const AGENTAPI_ALLOW: Record<string, string> = {
  "/status": "GET",
  "/messages": "GET",
  "/events": "GET",
  "/openapi.json": "GET",
  "/message": "POST",
  "/upload": "POST",
};

/** Why an assertion helper refused the answer, or "" if it passed. */
function refusal(check: () => void): string {
  try {
    check();
    return "";
  } catch (error) {
    return (error as Error).message.split("\n")[0] ?? "assertion failed";
  }
}

/** The broker's format: RFC 9457 problem+json whose `status` is the response's. */
function brokerShape(r: RawResponse): string {
  if (!String(r.headers["content-type"]).startsWith("application/problem+json")) {
    return `content-type ${String(r.headers["content-type"])}`;
  }
  const problem = ((): { type?: unknown; status?: unknown; detail?: unknown } | undefined => {
    try {
      return JSON.parse(r.body) as { type?: unknown; status?: unknown; detail?: unknown };
    } catch {
      return undefined;
    }
  })();
  return problem?.status === r.status && typeof problem.detail === "string" && problem.type === "about:blank"
    ? ""
    : `not a problem body: ${r.body.slice(0, 120)}`;
}

/** Upstream's format for this status on the AgentAPI listener: exact content type and body shape. */
function agentApiShape(c: Case, r: RawResponse): string {
  const answer: Answer = r;
  if (c.goText !== undefined) {
    const { body, nosniff } = c.goText;
    return refusal(() => expectGoText(answer, r.status, body, { nosniff }));
  }
  switch (r.status) {
    case 404:
      return refusal(() => expectGoText(answer, 404, CHI_NOT_FOUND));
    case 405: {
      const path = new URL(c.url).pathname;
      return refusal(() => expectChi405(answer, AGENTAPI_ALLOW[path] ?? "?"));
    }
    case 431:
      return refusal(() => expectGoText(answer, 431, "431 Request Header Fields Too Large", { nosniff: false }));
    default:
      // A bad request target ("/%zz") is refused by Go's server itself; everything else is huma's ErrorModel.
      if (r.status === 400 && r.headers["content-type"] === "text/plain; charset=utf-8") {
        return refusal(() => expectGoText(answer, 400, "400 Bad Request", { nosniff: false }));
      }
      return refusal(() => expectHumaError(answer, r.status));
  }
}

describe("bad input on both listeners", () => {
  it("refuses every generated malformed request with a 4xx in its listener's format and stays healthy", async () => {
    const cases = corpus();
    expect(cases.length).toBeGreaterThanOrEqual(500);
    const results = await runAll(cases, 8);
    const failures: string[] = [];
    for (const { c, r } of results) {
      // Upstream's one deliberate 500: a well-formed user message while the agent is busy (a fuzzed body may be one).
      const agentBusy =
        r.status === 500 && c.url.endsWith("/message") && r.body.includes("failed to send message: message can only");
      const agentApi = c.url.startsWith(A);
      const why =
        r.status === 0
          ? "connection dropped"
          : r.status >= 500 && !agentBusy
            ? `server error ${r.status}: ${r.body.slice(0, 200)}`
            : r.status < 400 && c.mayAccept === true
              ? ""
              : r.status < 400
                ? `accepted with ${r.status}`
                : c.status !== undefined && r.status !== c.status
                  ? `status ${r.status}, expected ${c.status}`
                  : agentApi
                    ? agentApiShape(c, r)
                    : brokerShape(r);
      if (why !== "") failures.push(`${c.name} (${c.method}): ${why}`);
    }
    expect(failures, failures.slice(0, 30).join("\n")).toEqual([]);

    // Still alive and serving.
    for (const url of [`${A}/healthz`, `${B}/healthz`, `${A}/status`]) expect((await fetch(url)).status).toBe(200);
    const status = (await (await fetch(`${A}/status`)).json()) as { status: string };
    expect(["stable", "running"]).toContain(status.status);
  }, 120_000);

  // What Go's server (or upstream's Host middleware) answers; for the broker, a 4xx problem+json.
  it.each([
    [
      "HTTP/1.1 without Host",
      "GET /status HTTP/1.1\r\n\r\n",
      "400 Bad Request: missing required Host header",
      "400 Bad Request: missing required Host header",
    ],
    ["HTTP/1.0 without Host", "GET /status HTTP/1.0\r\n\r\n", "400 Bad Request", HOST_REFUSAL],
    ["garbage request line", "GARBAGE\r\n\r\n", "400 Bad Request", "400 Bad Request"],
    [
      "bad Content-Length",
      "POST /message HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n",
      "400 Bad Request",
      "400 Bad Request",
    ],
    [
      // Go's server reads the chunks lazily, so upstream answers huma's 500 "cannot read request body"; node's
      // parser refuses the message itself (see the README's differences).
      "bad chunk size",
      "POST /message HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
      "400 Bad Request",
      "400 Bad Request",
    ],
    [
      "both Content-Length and chunked",
      "POST /message HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
      "400 Bad Request",
      "400 Bad Request",
    ],
    [
      "header without colon",
      "GET /status HTTP/1.1\r\nHost: localhost\r\nbroken header\r\n\r\n",
      "400 Bad Request",
      "400 Bad Request",
    ],
  ])("answers a malformed HTTP message (%s) in each listener's format", async (_name, message, reason, text) => {
    const agentApi = await rawExchange(A, message);
    expect(agentApi.statusLine, agentApi.body).toBe(`HTTP/1.1 ${reason}`);
    expectGoText(agentApi, 400, text, { nosniff: text === HOST_REFUSAL });

    const broker = await rawExchange(B, message);
    // The broker has no Host rule: a request it can parse is simply routed (the path /status does not exist there).
    expect(broker.status, broker.body).toBeGreaterThanOrEqual(400);
    expect(broker.status, broker.body).toBeLessThan(500);
    expect(broker.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect((JSON.parse(broker.body) as { status: number }).status).toBe(broker.status);
  });
});
