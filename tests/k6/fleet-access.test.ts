// Reaching a fleet as real deployments expose it: behind an authenticating proxy (Coder's workspace apps take a
// session token in a header; gateways a bearer token), and with agents that cost money per prompt. The target's fleet
// sits behind a loopback proxy that checks a token, counts every prompt and hides the reference target's marker
// header, so to the suite it is "not the reference target". Checked: the credentials reach every AgentAPI request
// (SSE included) and no output of the run shows them; a missing or wrong token stops the run in setup with one line;
// prompting a non-reference target needs MAX_PROMPTS or CONFIRM_PROMPTS=yes; and MAX_PROMPTS is a hard cap counted
// at the proxy, for one k6 instance and for two instances of a distributed run together.
import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFERENCE_TARGET_HEADER } from "../../k6/src/names";
import { startReverseProxy, type ReverseProxy } from "../support/reverse-proxy";
import { operatorSegment, renderSummary, runJourneys, summarize, type JourneyRun } from "./harness/index";
import { closedPortUrl, startTarget, type RunningStub } from "./helpers";

const TOKEN = "coder-session-3f9c2a7b1e0d4c6a";
const HEADER = "coder-session-token";
const AGENTS = 8;
const SCENARIOS = ["tool_execution", "list_tools", "mixed_workload", "agent_conversation", "event_watchers"];

interface Seen {
  authorized: number;
  refused: number;
  /** POST /message type user that reached the agents. */
  prompts: number;
}

/** Reads a request body while forwarding it (the proxy pipes the request on; this listens alongside). */
function bodyOf(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => resolve(body));
  });
}

describe("a fleet behind an authenticating proxy, with agents that cost money per prompt", () => {
  let stub: RunningStub;
  let proxy: ReverseProxy;
  let nowhere: string;
  const seen: Seen = { authorized: 0, refused: 0, prompts: 0 };

  beforeAll(async () => {
    stub = await startTarget({ agents: AGENTS });
    nowhere = await closedPortUrl();
    proxy = await startReverseProxy(stub.agentApiUrl, (req, res, forward) => {
      if (req.headers[HEADER] !== TOKEN) {
        seen.refused++;
        res.writeHead(401, { "content-type": "text/plain" }).end("Unauthorized: no valid Coder-Session-Token\n");
        return;
      }
      seen.authorized++;
      if (req.method === "POST" && req.url?.endsWith("/message")) {
        void bodyOf(req).then((body) => {
          if ((JSON.parse(body) as { type?: string }).type === "user") seen.prompts++;
        });
      }
      // What a real fleet answers: no marker of the reference target.
      const writeHead = res.writeHead.bind(res);
      res.writeHead = ((status: number, headers?: Record<string, unknown>) => {
        if (headers) delete headers[REFERENCE_TARGET_HEADER.toLowerCase()];
        return writeHead(status, headers as never);
      }) as typeof res.writeHead;
      forward();
    });
  });

  afterAll(async () => {
    await proxy?.close();
    await stub?.close();
  });

  const run = (env: Record<string, string>, extra: Partial<Parameters<typeof runJourneys>[0]> = {}) =>
    runJourneys({
      agentApiUrl: proxy.url,
      brokerUrl: nowhere,
      scenarios: SCENARIOS,
      iterations: 3,
      iterationsByScenario: { mixed_workload: 15 },
      env: {
        AGENT_ONLY: "true",
        AGENTAPI_URL_TEMPLATE: `${proxy.url}/agents/{agent}`,
        AGENTS: String(AGENTS),
        TESTID: "fleet-access",
        ...env,
      },
      ...extra,
    });

  /** Runs that must stop in setup: the harness throws k6's abort line. */
  const refusal = async (env: Record<string, string>): Promise<string> => {
    const error = await run(env).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, "the run should have stopped in setup").toBeInstanceOf(Error);
    return (error as Error).message;
  };

  it("without credentials, or with the wrong ones, setup stops the run with one line naming the server and what to set", async () => {
    const before = { ...seen };
    const attempts: Array<Record<string, string>> = [
      { CONFIRM_PROMPTS: "yes" },
      { CONFIRM_PROMPTS: "yes", AGENTAPI_TOKEN: "wrong" },
    ];
    for (const env of attempts) {
      const message = await refusal(env);
      expect(message.split("\n")).toHaveLength(1);
      expect(message).toMatch(
        new RegExp(`^setup: AgentAPI at ${proxy.url}/agents/1 refused the request \\(401\\): set AGENTAPI_TOKEN`),
      );
      expect(message).toContain("AGENTAPI_HEADERS");
    }
    // Stopped at the first refusal of setup's probes: no VU sent anything.
    expect(seen.prompts).toBe(before.prompts);
    expect(seen.authorized).toBe(before.authorized);
  });

  it("prompting agents that are not the reference target needs MAX_PROMPTS or CONFIRM_PROMPTS=yes", async () => {
    const message = await refusal({ AGENTAPI_HEADERS: JSON.stringify({ "Coder-Session-Token": TOKEN }) });
    expect(message).toBe(
      "setup: tool_execution, mixed_workload, agent_conversation would prompt real agents (not the reference target), " +
        "and each prompt costs money: set MAX_PROMPTS=N (a budget for the whole run), or CONFIRM_PROMPTS=yes " +
        "(run-tests.sh --yes) to go on without one",
    );
  });

  let confirmed: JourneyRun;

  it("with the token every AgentAPI request carries it, SSE included; nothing is refused", async () => {
    const before = { ...seen };
    confirmed = await run({
      AGENTAPI_HEADERS: JSON.stringify({ "Coder-Session-Token": TOKEN }),
      CONFIRM_PROMPTS: "yes",
    });
    expect(confirmed.errors).toEqual([]);
    expect(confirmed.failedChecks).toBe(0);
    expect(seen.refused).toBe(before.refused);
    const streams = confirmed.samples.filter((s) => s.metric === "http_reqs" && s.tags.endpoint === "events");
    expect(streams.length).toBeGreaterThan(0);
    expect(seen.authorized - before.authorized).toBeGreaterThanOrEqual(
      confirmed.samples.filter((s) => s.metric === "http_reqs").length,
    );
    // The fleet's samples are named per endpoint, not per agent URL.
    const names = new Set(confirmed.samples.filter((s) => s.metric === "http_reqs").map((s) => s.tags.name));
    expect([...names].filter((n) => /\/agents\/\d/.test(n ?? ""))).toEqual([]);
  });

  it("the token appears in no output: logs, setup data, samples' tags, summary.json/html/txt, JUnit", async () => {
    const out = await renderSummary(summarize(confirmed), confirmed.env);
    const everything = [
      JSON.stringify(confirmed.logs),
      JSON.stringify(confirmed.setupData),
      JSON.stringify(confirmed.samples.map((s) => s.tags)),
      ...Object.values(out),
    ].join("\n");
    expect(everything).toContain("agentapi_credentials=Coder-Session-Token");
    expect(everything).not.toContain(TOKEN);
    expect(Object.keys(out).sort()).toEqual([
      "reports/junit.xml",
      "reports/summary.html",
      "reports/summary.json",
      "stdout",
    ]);
  });

  it("MAX_PROMPTS caps the prompts the agents receive, counted at the proxy; the journeys keep reading", async () => {
    const budget = 5;
    const before = { ...seen };
    const capped = await run(
      { AGENTAPI_HEADERS: JSON.stringify({ "Coder-Session-Token": TOKEN }), MAX_PROMPTS: String(budget) },
      { iterations: 6, iterationsByScenario: { mixed_workload: 30 } },
    );
    expect(capped.errors).toEqual([]);
    expect(capped.failedChecks).toBe(0);
    const sent = capped.samples.filter((s) => s.metric === "prompts_sent").reduce((n, s) => n + s.value, 0);
    const withheld = capped.samples.filter((s) => s.metric === "prompts_withheld").reduce((n, s) => n + s.value, 0);
    expect(seen.prompts - before.prompts).toBe(sent);
    expect(sent).toBeLessThanOrEqual(budget);
    expect(sent).toBeGreaterThan(0);
    expect(withheld).toBeGreaterThan(0);
    // Reads went on after the budget was spent.
    const reads = capped.samples.filter((s) => s.metric === "http_reqs" && s.tags.endpoint === "messages");
    expect(reads.length).toBeGreaterThan(sent);
    expect(capped.logs.map((l) => l.text).join("\n")).toMatch(
      /agentapi-load: prompts: at most 5 \(MAX_PROMPTS: tool_execution 2, mixed_workload 2, agent_conversation 1\); the schedule allows no bound \(THINK_TIME_SCALE=0\)/,
    );
  });

  it("two instances of a distributed run with the same MAX_PROMPTS send at most MAX_PROMPTS together", async () => {
    const budget = 6;
    const before = { ...seen };
    const runs = await Promise.all(
      [1, 2].map((k) =>
        run(
          { AGENTAPI_HEADERS: JSON.stringify({ "Coder-Session-Token": TOKEN }), MAX_PROMPTS: String(budget) },
          {
            iterations: 6,
            iterationsByScenario: { mixed_workload: 30 },
            vus: { tool_execution: 2, list_tools: 2, mixed_workload: 2, agent_conversation: 2, event_watchers: 2 },
            ...operatorSegment(k, 2),
          },
        ),
      ),
    );
    const sent = runs
      .flatMap((r) => r.samples)
      .filter((s) => s.metric === "prompts_sent")
      .reduce((n, s) => n + s.value, 0);
    const withheld = runs
      .flatMap((r) => r.samples)
      .filter((s) => s.metric === "prompts_withheld")
      .reduce((n, s) => n + s.value, 0);
    expect(seen.prompts - before.prompts).toBe(sent);
    expect(sent).toBeLessThanOrEqual(budget);
    expect(sent).toBeGreaterThan(0);
    // Both instances wanted more than the budget gave: the cap holds because iterations are numbered run-wide.
    expect(withheld).toBeGreaterThan(0);
  });
});
