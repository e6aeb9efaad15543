// One real agentapi shared by every VU — the README's "one real server" path — judged by the suite's own thresholds
// with k6's arithmetic. Upstream holds the server's lock for a whole send (≈ 1.1 s), so reads wait behind other VUs'
// sends by design: a healthy server must pass, at `smoke` and at `local` with TIME_SCALE=0.1 and the VUS_FACTOR the
// docs suggest for one server (0.02), with both bundles. And it must still fail, on the rows that name the fault,
// when the server really is slow: 400 ms added to GET /status by a loopback proxy (idle_status_duration fails, the
// send rows hold), or an agent that reacts to Enter 2.2 s late so upstream's send takes 3× its 1.1 s (the send row
// fails, the server's own read time holds). The fake agent thinks 1 s, as in the issue's measurements.
// Skips without an agentapi binary (fails under CI=true): see tests/support/real-agentapi.ts.
import { afterAll, beforeAll, expect, it } from "vitest";
import { freeLoopbackPort } from "../../infra/agentapi-real/launch";
import { AGENT_ONLY_SCENARIOS } from "../../k6/src/names";
import { buildScenarios, peakVus, PROFILES } from "../../k6/src/profiles";
import { evaluateThresholds, runJourneys, type EventsTransport, type JourneyRun } from "../k6/harness/index";
import type { ThresholdOutcome } from "../k6/harness/summary";
import { describeRealAgentApi, startRealAgentApi, type RealAgentApi } from "../support/real-agentapi";
import { startReverseProxy, type ReverseProxy } from "../support/reverse-proxy";

const THINK_MS = 1000;
/** The docs' VUS_FACTOR for one server: local's agent journeys at 2 % — 16 VUs sharing the one agent. */
const ONE_SERVER_VUS_FACTOR = 0.02;
/** How much later the slow agent reacts to Enter: upstream's send (≈ 1.1 s) then takes 3× as long. */
const SLOW_REACT_MS = 2200;
/** What the slow proxy adds to every GET /status. */
const SLOW_STATUS_MS = 400;

/** About as many iterations as a VU completes in smoke's 40 s at THINK_TIME_SCALE 0.25 (agent turns take ≈ 4 s). */
const SMOKE_ITERATIONS = {
  tool_execution: 4,
  list_tools: 6,
  mixed_workload: 12,
  agent_conversation: 3,
  event_watchers: 4,
};
const LOCAL_ITERATIONS = {
  tool_execution: 2,
  list_tools: 3,
  mixed_workload: 5,
  agent_conversation: 2,
  event_watchers: 2,
};

type Shape = "smoke" | "local ×0.1";

interface Judged {
  run: JourneyRun;
  outcomes: ThresholdOutcome[];
  failed: string[];
}

function judge(run: JourneyRun): Judged {
  const outcomes = evaluateThresholds(run.samples, run.options.thresholds ?? {}, run.durationMs);
  return { run, outcomes, failed: [...new Set(outcomes.filter((o) => !o.ok).map((o) => o.key))].sort() };
}

const observed = (j: Judged, key: string): string => {
  const o = j.outcomes.find((x) => x.key === key && x.expression.startsWith("p(95)"));
  return o === undefined ? "-" : o.samples === 0 ? "no samples" : `${Math.round(o.observed)}ms`;
};

function line(label: string, j: Judged): string {
  const keys = [
    "http_req_duration{endpoint:status}",
    "idle_status_duration",
    "http_req_duration{endpoint:messages}",
    "http_req_duration{endpoint:message}",
    "sse_delivery_lag",
  ];
  const held = j.outcomes.filter((o) => o.ok).length;
  return (
    `one real agentapi [${label}]: ${held}/${j.outcomes.length} thresholds held; p95 ` +
    keys.map((k) => `${k.replace("http_req_duration", "")} ${observed(j, k)}`).join(", ") +
    `; failed: ${j.failed.join(", ") || "none"}` +
    failedRequests(j.run)
  );
}

/** Each failed request (k6's http_req_failed) and failed check, so a red run says what failed, not only that. */
function failedRequests(run: JourneyRun): string {
  const requests = run.samples
    .filter((s) => s.metric === "http_req_failed" && s.value !== 0)
    .map(
      (s) =>
        `${s.tags.method ?? "?"} ${s.tags.endpoint ?? s.tags.name ?? "?"} → ${s.tags.status ?? "?"}${s.tags.error_code ? ` (error ${s.tags.error_code})` : ""} [${s.tags.scenario ?? "?"}]`,
    );
  const checks = run.samples
    .filter((s) => s.metric === "checks" && s.value === 0)
    .map((s) => `${s.tags.check ?? "?"} [${s.tags.scenario ?? "?"}]`);
  if (requests.length === 0 && checks.length === 0) return "";
  return `; failed requests: ${requests.join("; ") || "none"}; failed checks: ${checks.join("; ") || "none"}`;
}

describeRealAgentApi("one real agentapi shared by every VU: the thresholds tell the truth", () => {
  const servers: RealAgentApi[] = [];
  let proxy: ReverseProxy | undefined;
  let nowhere: string;
  const healthy = new Map<string, Judged>();
  let slowStatus: Judged;
  let slowSend: Judged;

  const run = (url: string, shape: Shape, transport: EventsTransport, label: string): Promise<Judged> => {
    const local = shape !== "smoke";
    const scenarios = buildScenarios(
      local ? PROFILES.local : PROFILES.smoke,
      AGENT_ONLY_SCENARIOS,
      local ? ONE_SERVER_VUS_FACTOR : 1,
    );
    return runJourneys({
      agentApiUrl: url,
      brokerUrl: nowhere,
      transport,
      vus: Object.fromEntries(Object.entries(scenarios).map(([name, s]) => [name, peakVus(s)])),
      iterationsByScenario: local ? LOCAL_ITERATIONS : SMOKE_ITERATIONS,
      env: {
        PROFILE: local ? "local" : "smoke",
        ...(local ? { TIME_SCALE: "0.1", VUS_FACTOR: String(ONE_SERVER_VUS_FACTOR) } : {}),
        AGENT_ONLY: "true",
        BASE_URL: url,
        THINK_TIME_SCALE: "0.25",
        // The fake agent costs nothing; a real one would want MAX_PROMPTS.
        CONFIRM_PROMPTS: "yes",
        TESTID: `one-server-${label.replace(/\W+/g, "-")}`,
      },
      timeoutMs: 120_000,
    }).then((r) => {
      const judged = judge(r);
      console.log(line(label, judged));
      return judged;
    });
  };

  beforeAll(async () => {
    nowhere = `http://127.0.0.1:${await freeLoopbackPort()}`;
    const started = await Promise.allSettled([
      ...Array.from({ length: 3 }, () => startRealAgentApi({ thinkMs: THINK_MS })),
      startRealAgentApi({ thinkMs: THINK_MS, env: { FAKE_AGENT_REACT_MS: String(SLOW_REACT_MS) } }),
    ]);
    for (const s of started) if (s.status === "fulfilled") servers.push(s.value);
    const failure = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failure) throw failure.reason;
    const [a, b, c, slow] = servers as [RealAgentApi, RealAgentApi, RealAgentApi, RealAgentApi];
    proxy = await startReverseProxy(c.url, (req, _res, forward) => {
      if (req.method === "GET" && req.url === "/status") setTimeout(() => forward(), SLOW_STATUS_MS);
      else forward();
    });
    // Two runs at a time, each on its own server (a server is one shared agent; runs must not share one).
    for (const transport of ["xk6-sse", "polling"] as const) {
      const [smoke, local] = await Promise.all([
        run(a.url, "smoke", transport, `smoke, ${transport}`),
        run(b.url, "local ×0.1", transport, `local TIME_SCALE=0.1 VUS_FACTOR=${ONE_SERVER_VUS_FACTOR}, ${transport}`),
      ]);
      healthy.set(`smoke ${transport}`, smoke);
      healthy.set(`local ${transport}`, local);
    }
    [slowStatus, slowSend] = await Promise.all([
      run(proxy.url, "smoke", "xk6-sse", `smoke, xk6-sse, +${SLOW_STATUS_MS} ms on GET /status`),
      run(slow.url, "smoke", "polling", `smoke, polling, agent reacts ${SLOW_REACT_MS} ms late (send ≈ 3×)`),
    ]);
  }, 600_000);

  afterAll(async () => {
    await proxy?.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  for (const name of ["smoke xk6-sse", "smoke polling", "local xk6-sse", "local polling"]) {
    it(`a healthy server passes every threshold: ${name}`, () => {
      const judged = healthy.get(name);
      expect(judged, name).toBeDefined();
      const { run, outcomes, failed } = judged!;
      expect(run.errors).toEqual([]);
      expect(run.failedChecks).toBe(0);
      expect(failed).toEqual([]);
      // Judged on the shared-agent rows, with what they are about actually measured.
      expect(run.logs.map((l) => l.text).join("\n")).toContain("agent_sharing=shared");
      for (const key of ["http_req_duration{endpoint:status}", "http_req_duration{endpoint:message}"]) {
        expect(outcomes.find((o) => o.key === key)?.samples, key).toBeGreaterThan(0);
      }
      // Reads did wait behind sends (the truth the old thresholds called a failure): some waited most of a send.
      const statusP95 = outcomes.find((o) => o.key === "http_req_duration{endpoint:status}");
      expect(statusP95?.expression).toBe("p(95)<1500");
      // Busy refusals are counted, not failures.
      expect(run.samples.filter((s) => s.metric === "http_req_failed" && s.value !== 0)).toEqual([]);
    });
  }

  it(`${SLOW_STATUS_MS} ms more on GET /status fails the run on idle_status_duration; the send rows hold`, () => {
    expect(slowStatus.run.errors).toEqual([]);
    expect(slowStatus.failed).toContain("idle_status_duration");
    expect(slowStatus.failed).not.toContain("http_req_duration{endpoint:message}");
    expect(slowStatus.failed).not.toContain("http_req_duration{endpoint:messages}");
    expect(slowStatus.failed).not.toContain("agent_turn_duration");
  });

  it("a send that takes 3× upstream's fails the run on the send row; the server's own read time holds", () => {
    expect(slowSend.run.errors).toEqual([]);
    expect(slowSend.failed).toContain("http_req_duration{endpoint:message}");
    expect(slowSend.failed).not.toContain("idle_status_duration");
    const sends = slowSend.run.samples.filter(
      (s) => s.metric === "http_req_duration" && s.tags.endpoint === "message" && s.tags.status === "200",
    );
    expect(Math.min(...sends.map((s) => s.value))).toBeGreaterThan(3 * 1050);
  });
});
