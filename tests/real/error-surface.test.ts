// The AgentAPI error surface, side by side: the same raw requests to the real `agentapi server` (the pinned version,
// with the project's fake agent) and to our target; status line, Content-Type, the headers a client can act on
// (nosniff, Allow, Link, Vary, CORS) and the body must be identical, `$schema` links aside (they name each server's
// port). Covers the Host refusals, unknown paths, wrong methods, body reading, validation and the busy refusal.
// Without a binary the suite is skipped with its reason printed (it fails under CI=true); AGENTAPI_BIN picks one.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startStub, type RunningStub } from "../../infra/agentapi-stub/src/stub";
import { describeRealAgentApi, startRealAgentApi, type RealAgentApi } from "../support/real-agentapi";
import { rawExchange, rawRequestText } from "../support/upstream-errors";

/** Headers whose value a client reads; compared line by line (a repeated name stays repeated, in order). */
const COMPARED = new Set([
  "content-type",
  "x-content-type-options",
  "allow",
  "link",
  "vary",
  "access-control-allow-origin",
  "access-control-allow-methods",
  "access-control-allow-headers",
  "access-control-allow-credentials",
  "access-control-max-age",
  "access-control-expose-headers",
]);

interface Seen {
  statusLine: string;
  headers: string[];
  body: string;
}

/** A request for the server at `port`; `host` is the Host header (default `localhost:<port>`, null = none). */
type Probe = (port: number) => Buffer;

const head = (method: string, path: string, headers: Record<string, string> = {}, host?: string | null): Probe => {
  return (port) => {
    const all: Record<string, string> = {};
    if (host !== null) all.Host = host ?? `localhost:${port}`;
    return rawRequestText(method, path, { ...all, ...headers, Connection: "close" });
  };
};

const postMessage = (body: string | Buffer, headers: Record<string, string> = { "Content-Type": "application/json" }) =>
  ((port) =>
    rawRequestText("POST", "/message", { Host: `localhost:${port}`, ...headers, Connection: "close" }, body)) as Probe;

const ORIGIN = { Origin: "http://localhost:3284" };

const CASES: [string, Probe][] = [
  // Host (Go's server, then upstream's Host middleware; both before CORS).
  ["disallowed Host", head("GET", "/status", {}, "evil.example:3284")],
  ["disallowed Host with an allowed Origin", head("GET", "/status", ORIGIN, "evil.example")],
  ["disallowed Host on POST /message", head("POST", "/message", { "Content-Type": "application/json" }, "evil")],
  ["HTTP/1.1 without Host", head("GET", "/status", {}, null)],
  ["HTTP/1.0 without Host", () => Buffer.from("GET /status HTTP/1.0\r\n\r\n")],
  ["empty Host", head("GET", "/status", {}, "")],
  ["malformed Host", head("GET", "/status", {}, "user@localhost")],
  ["Host with a bad port", head("GET", "/status", {}, "localhost:abc")],
  // Router (chi).
  ["GET /nope", head("GET", "/nope")],
  ["POST /nope", head("POST", "/nope", { "Content-Length": "2", "Content-Type": "application/json" })],
  ["GET /nope from an allowed Origin", head("GET", "/nope", ORIGIN)],
  ["GET /status/", head("GET", "/status/")],
  ["PUT /status", head("PUT", "/status")],
  ["POST /status", head("POST", "/status")],
  ["DELETE /messages", head("DELETE", "/messages")],
  [
    "DELETE /messages with a JSON type and no body",
    head("DELETE", "/messages", { "Content-Type": "application/json" }),
  ],
  ["GET /message", head("GET", "/message")],
  ["HEAD /status", head("HEAD", "/status")],
  ["HEAD /nope", head("HEAD", "/nope")],
  ["OPTIONS /status (no preflight)", head("OPTIONS", "/status")],
  ["PUT /status from an allowed Origin", head("PUT", "/status", ORIGIN)],
  // CORS preflights (go-chi/cors answers them before the router).
  [
    "preflight, allowed",
    head("OPTIONS", "/message", {
      ...ORIGIN,
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type",
    }),
  ],
  [
    "preflight, other origin",
    head("OPTIONS", "/message", { Origin: "http://evil", "Access-Control-Request-Method": "POST" }),
  ],
  ["preflight, unknown path", head("OPTIONS", "/nope", { ...ORIGIN, "Access-Control-Request-Method": "GET" })],
  // Requests Go's server refuses itself.
  ["bad percent-encoding", head("GET", "/%zz")],
  ["garbage request line", () => Buffer.from("GARBAGE\r\n\r\n")],
  // Body reading (huma).
  ["bad JSON", postMessage("{nope")],
  ["truncated JSON", postMessage('{"content":"hi"')],
  ["trailing garbage", postMessage('{"content":"hi","type":"raw"} x')],
  ["control character in a string", postMessage('{"content":"a\u0001b"}')],
  ["number out of float64 range", postMessage('{"content":1e400,"type":"raw"}')],
  ["nested too deep", postMessage("[".repeat(10_001))],
  ["invalid UTF-8", postMessage(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe2, 0x82, 0xff, 0x22, 0x7d]))],
  ["text/plain", postMessage('{"content":"hi","type":"user"}', { "Content-Type": "text/plain" })],
  ["Application/JSON", postMessage('{"content":"hi","type":"raw"}', { "Content-Type": "Application/JSON" })],
  ["no body", postMessage("")],
  ["no body, no Content-Type", postMessage("", {})],
  ["1 MiB body", postMessage(`"${"x".repeat((1 << 20) - 2)}"`)],
  // Validation (huma).
  ["empty object", postMessage("{}")],
  ["wrong type", postMessage('{"content":"hi","type":"nope"}')],
  ["empty type", postMessage('{"content":"hi","type":""}')],
  ["extra property", postMessage('{"content":"hi","type":"raw","extra":1}')],
  ["content not a string", postMessage('{"content":5,"type":"raw"}')],
  ["content null", postMessage('{"content":null,"type":"raw"}')],
  ["body null", postMessage("null")],
  ["body an array", postMessage("[1]")],
  ["several problems", postMessage('{"content":[],"type":7,"zz":-0}')],
  ["empty user content", postMessage('{"content":"","type":"user"}')],
];

function seen(answer: Awaited<ReturnType<typeof rawExchange>>, port: number): Seen {
  const normalize = (text: string): string => text.split(`:${port}`).join(":PORT");
  return {
    statusLine: answer.statusLine.replace(/^HTTP\/1\.[01]/, "HTTP/1.x"),
    headers: answer.lines
      .filter(([name]) => COMPARED.has(name))
      .map(([name, value]) => `${name}: ${value}`)
      .sort(),
    body: normalize(answer.body),
  };
}

async function both(probe: Probe): Promise<{ real: Seen; ours: Seen }> {
  const [real, ours] = await Promise.all([
    rawExchange(realServer.url, probe(realServer.port)).then((a) => seen(a, realServer.port)),
    rawExchange(target.agentApiUrl, probe(targetPort)).then((a) => seen(a, targetPort)),
  ]);
  return { real, ours };
}

let realServer: RealAgentApi;
let target: RunningStub;
let targetPort: number;

describeRealAgentApi("the error surface is upstream's (real agentapi vs the target)", () => {
  beforeAll(async () => {
    [realServer, target] = await Promise.all([startRealAgentApi(), startStub({ agentApiPort: 0, brokerPort: 0 })]);
    targetPort = Number(new URL(target.agentApiUrl).port);
    await target.agentsStable();
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled([realServer?.close(), target?.close()]);
  });

  it.each(CASES)("%s", async (_name, probe) => {
    const { real, ours } = await both(probe);
    expect(real.statusLine, "the real server answered").not.toBe("");
    expect(ours).toEqual(real);
  });

  it("the busy refusal: a user message while the agent works is the same 500", async () => {
    const send = (port: number, content: string): Buffer =>
      rawRequestText(
        "POST",
        "/message",
        { Host: `localhost:${port}`, "Content-Type": "application/json", Connection: "close" },
        JSON.stringify({ content, type: "user" }),
      );
    const run = async (url: string, port: number): Promise<Seen> => {
      const first = await rawExchange(url, send(port, "first task"), 20_000);
      expect(first.status, first.body).toBe(200);
      return seen(await rawExchange(url, send(port, "while busy"), 20_000), port);
    };
    const [real, ours] = await Promise.all([run(realServer.url, realServer.port), run(target.agentApiUrl, targetPort)]);
    expect(real.statusLine).toBe("HTTP/1.x 500 Internal Server Error");
    expect(ours).toEqual(real);
  }, 60_000);
});
