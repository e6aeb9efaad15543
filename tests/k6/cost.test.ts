// What the suite costs per request, and that the cuts made to that cost (issue 11) lost nothing users read:
// - InfluxDB points (= samples: xk6-output-influxdb writes one point per sample) per HTTP request of the local
//   profile's mix stay at the measured level (`npm run bench:suite` measures it in full);
// - every metric a threshold row or a dashboard panel reads is still emitted, with the tags they filter on;
// - a broken response still fails its check, under the name of the condition it broke.
import { readdirSync, readFileSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCENARIO_NAMES, type ScenarioName } from "../../k6/src/names";
import { thresholdTable } from "../../k6/src/thresholds";
import { ALL, ROLLUPS, SUMMARY_MEASUREMENT, SUMMARY_METRIC_TAG, summaryOf } from "../../tools/rollup/spec";
import { countByJourney, iterationsPerVu, mixPerRequest } from "../../scripts/bench-suite/mix";
import { REPO_ROOT } from "./harness/bundle";
import { runJourneys, type JourneyRun, type MetricSample } from "./harness/index";
import { startTarget, type RunningStub } from "./helpers";

/**
 * Points per request of the mix in this run (measured 13.0 after the cuts, 14.8 before; the full measurement,
 * `npm run bench:suite`, gives 13.3 after and 15.1 before): a regression guard, below the goal of 14.
 */
const MIX_POINTS_PER_REQUEST_MAX = 13.3;

/**
 * Metrics recorded only when something goes wrong (or an agent is busy, a prompt budget is spent, an outage ends): a
 * healthy run declares them, no more.
 */
const ON_FAILURE_ONLY = new Set([
  "timeout_count",
  "connection_failures",
  "agent_turn_failures",
  "sse_streams_dropped",
  "agent_busy_total",
  "prompts_withheld",
  "agent_recovery_time",
  "agent_history_lost",
]);

const VUS: Readonly<Record<ScenarioName, number>> = {
  authentication: 1,
  mcp_connection: 1,
  tool_execution: 2,
  list_tools: 1,
  disconnect: 1,
  mixed_workload: 2,
  agent_conversation: 2,
  event_watchers: 2,
};

/** Each VU runs a tenth of what one VU runs on the local profile (its agent's conversation grows as in a run). */
const ITERATIONS = Object.fromEntries(
  SCENARIO_NAMES.map((n) => [n, Math.max(n === "mixed_workload" ? 20 : 4, Math.round(iterationsPerVu(n) / 10))]),
) as Record<ScenarioName, number>;

interface Query {
  measurement: string;
  /** Tags the query filters or groups on, with the fixed value it requires (undefined: any value). */
  tags: Array<{ tag: string; value?: string }>;
}

/** Every InfluxQL query of the generated dashboards: its measurement and the tags it reads. */
function dashboardQueries(): Query[] {
  const dir = join(REPO_ROOT, "infra", "grafana", "dashboards");
  const queries: Query[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const text = readFileSync(join(dir, file), "utf8");
    for (const match of text.matchAll(/"query":\s*"((?:[^"\\]|\\.)*)"/g)) {
      const q = JSON.parse(`"${match[1] ?? ""}"`) as string;
      const from = /\bFROM "([a-z_]+)"/.exec(q)?.[1];
      if (from === undefined) continue;
      // A rollup measurement (tools/rollup) is built from a k6 trend's samples with the spec's fixed tags; a
      // variable's `${name:text}` (one value or All) needs the tag on the samples, whatever its value.
      const rollup = ROLLUPS.find((r) => r.measurement === from);
      // A run summary row (tools/rollup/spec.ts SUMMARIES) is built from the metric its `metric` tag names, with that
      // spec's fixed tags; its "All" rows need the tag on the samples, whatever its value.
      const summarised =
        from === SUMMARY_MEASUREMENT ? new RegExp(`"${SUMMARY_METRIC_TAG}" = '([a-z_]+)'`).exec(q)?.[1] : undefined;
      const where = summarised !== undefined ? summaryOf(summarised).where : (rollup?.where ?? {});
      const measurement = summarised ?? rollup?.source ?? from;
      const tags: Query["tags"] = Object.entries(where).map(([tag, value]) => ({ tag, value }));
      for (const m of q.matchAll(/"([a-z_]+)" = '([^']*)'/g)) {
        if (summarised !== undefined && m[1] === SUMMARY_METRIC_TAG) continue;
        const fixed = m[2]?.startsWith("${") || (summarised !== undefined && m[2] === ALL) ? undefined : m[2];
        tags.push({ tag: m[1] ?? "", value: fixed });
      }
      for (const m of q.matchAll(/"([a-z_]+)" =~/g)) tags.push({ tag: m[1] ?? "" });
      // The outermost GROUP BY: time(…) and the quoted tags after it.
      const groupBy = q
        .slice(q.lastIndexOf("GROUP BY "))
        .replace(/ fill\(.*$/, "")
        .replace(/\([^)]*\)/g, "");
      for (const m of groupBy.matchAll(/"([a-z_]+)"/g)) tags.push({ tag: m[1] ?? "" });
      queries.push({ measurement, tags });
    }
  }
  return queries;
}

function carries(samples: ReadonlyArray<MetricSample>, metric: string, tags: Record<string, string | undefined>) {
  return samples.some(
    (s) =>
      s.metric === metric &&
      Object.entries(tags).every(([k, v]) => (v === undefined ? s.tags[k] !== undefined : s.tags[k] === v)),
  );
}

describe("the suite's cost per request", () => {
  let stub: RunningStub;
  let run: JourneyRun;
  const agents = Object.values(VUS).reduce((a, b) => a + b, 0);

  beforeAll(async () => {
    stub = await startTarget({ agents });
    run = await runJourneys({
      agentApiUrl: stub.agentApiUrl,
      brokerUrl: stub.brokerUrl,
      vus: VUS,
      iterationsByScenario: ITERATIONS,
      env: {
        TESTID: "cost-test",
        AGENTAPI_URL_TEMPLATE: `${stub.agentApiUrl}/agents/{agent}`,
        AGENTS: String(agents),
      },
      timeoutMs: 120_000,
    });
  }, 180_000);

  afterAll(async () => {
    await stub?.close();
  });

  it("runs clean", () => {
    expect(run.errors).toEqual([]);
    expect(run.failedChecks).toBe(0);
  });

  it(`writes at most ${MIX_POINTS_PER_REQUEST_MAX} InfluxDB points per HTTP request of the local mix`, () => {
    const counts = countByJourney(run.samples);
    for (const name of SCENARIO_NAMES) expect(counts[name]?.requests, name).toBeGreaterThan(0);
    const mix = mixPerRequest(counts);
    expect(mix).toBeLessThanOrEqual(MIX_POINTS_PER_REQUEST_MAX);
    // One check sample per checked response; group_duration only for the groups the tests and reports read.
    expect(mixPerRequest(counts, (m) => m === "checks")).toBeLessThan(1.1);
    expect(mixPerRequest(counts, (m) => m === "group_duration")).toBeLessThan(0.7);
    expect(mixPerRequest(counts, (m) => m === "concurrent_users")).toBeLessThan(0.1);
  });

  it("still emits every metric a threshold row reads, with the row's tags", () => {
    const declared = new Set(run.declaredMetrics.map((m) => m.name));
    for (const row of thresholdTable()) {
      if (ON_FAILURE_ONLY.has(row.metric)) {
        expect(declared.has(row.metric), row.metric).toBe(true);
        continue;
      }
      expect(carries(run.samples, row.metric, row.tags ?? {}), `${row.metric} ${JSON.stringify(row.tags ?? {})}`).toBe(
        true,
      );
    }
  });

  it("still emits every measurement a dashboard panel reads, with the tags the panel filters and groups on", () => {
    const declared = new Set(run.declaredMetrics.map((m) => m.name));
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(40);
    for (const q of queries) {
      if (ON_FAILURE_ONLY.has(q.measurement)) {
        expect(declared.has(q.measurement), q.measurement).toBe(true);
        continue;
      }
      // POST /upload has a panel (the upstream API has it) but no journey sends it, before or after the cuts.
      if (q.tags.some((t) => t.tag === "endpoint" && t.value === "upload")) continue;
      // The capacity row: `step` and dropped_iterations come only from a capacity run (arrival-rate executors;
      // tests/capacity/knee.test.ts reads them).
      if (q.tags.some((t) => t.tag === "step") || q.measurement === "dropped_iterations") continue;
      const tags: Record<string, string | undefined> = {};
      for (const t of q.tags) if (tags[t.tag] === undefined) tags[t.tag] = t.value;
      expect(carries(run.samples, q.measurement, tags), `${q.measurement} ${JSON.stringify(q.tags)}`).toBe(true);
    }
  });

  it("counts total_requests once per iteration and endpoint, to the same totals as http_reqs", () => {
    for (const name of SCENARIO_NAMES) {
      const inScenario = (s: MetricSample) => s.tags.scenario === name;
      const total = (metric: string) =>
        run.samples.filter((s) => s.metric === metric && inScenario(s)).reduce((n, s) => n + s.value, 0);
      expect(total("total_requests"), name).toBe(total("http_reqs"));
      const points = run.samples.filter((s) => s.metric === "total_requests" && inScenario(s));
      const iterations = total("iterations");
      const endpoints = new Set(points.map((s) => s.tags.endpoint));
      expect(points.length, name).toBeLessThanOrEqual(iterations * endpoints.size);
    }
  });
});

// ---- broken responses -------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

interface Breakage {
  /** Which requests to break: method and path (without query). */
  matches: (method: string, path: string) => boolean;
  /** Leave the first n matching requests alone (setup's probes). */
  skip?: number;
  /** The broken answer, from the real one (and the request's body). */
  breaks: (real: Answer, requestBody: string) => Answer;
}

/**
 * A proxy in front of the reference target that breaks the responses a case selects and passes everything else
 * through (GET /events streams included). AgentAPI and broker paths do not overlap, so one port serves both.
 */
function breakingProxy(stub: RunningStub): { server: Server; url: () => string; set: (b: Breakage | null) => void } {
  let breakage: Breakage | null = null;
  let seen = 0;
  const upstreamOf = (path: string) =>
    new URL(path.startsWith("/api/") || path === "/mcp" ? stub.brokerUrl : stub.agentApiUrl);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const requestBody = Buffer.concat(chunks).toString("utf8");
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const upstream = upstreamOf(path);
      const broken = breakage !== null && breakage.matches(req.method ?? "GET", path) && seen++ >= (breakage.skip ?? 0);
      const forward = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          if (!broken || breakage === null) {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
            return;
          }
          const body: Buffer[] = [];
          up.on("data", (c: Buffer) => body.push(c));
          up.on("end", () => {
            const real = {
              status: up.statusCode ?? 502,
              body: Buffer.concat(body).toString("utf8"),
              headers: up.headers,
            };
            const out = (breakage as Breakage).breaks(real, requestBody);
            const headers: Answer["headers"] = {
              ...out.headers,
              "content-length": String(Buffer.byteLength(out.body)),
            };
            delete headers["transfer-encoding"];
            res.writeHead(out.status, headers);
            res.end(out.body);
          });
        },
      );
      forward.on("error", () => res.destroy());
      forward.end(requestBody === "" ? undefined : requestBody);
    });
  });
  return {
    server,
    url: () => {
      const address = server.address();
      return `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
    },
    set: (b) => {
      breakage = b;
      seen = 0;
    },
  };
}

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

/** Each case: a journey, what breaks, and the check condition that must fail (the one the breakage violates). */
const CASES: Array<{ name: string; scenario: ScenarioName; breakage: Breakage; fails: string }> = [
  {
    name: "GET /status answers 503",
    scenario: "list_tools",
    breakage: {
      matches: (m, p) => m === "GET" && p === "/status",
      skip: 1,
      breaks: (real) => ({ ...real, status: 503, body: "{}" }),
    },
    fails: "status: 200",
  },
  {
    name: "GET /status answers an unknown agent status",
    scenario: "list_tools",
    breakage: {
      matches: (m, p) => m === "GET" && p === "/status",
      skip: 1,
      breaks: (real) => ({ ...real, body: JSON.stringify({ ...json(real.body), status: "thinking" }) }),
    },
    fails: "status: agent status, type and transport",
  },
  {
    name: "GET /messages lists ids out of order",
    scenario: "tool_execution",
    breakage: {
      matches: (m, p) => m === "GET" && p === "/messages",
      breaks: (real) => {
        const b = json(real.body);
        const messages = (b.messages as Array<{ id: number }>).map((m, i) => ({ ...m, id: -i }));
        return { ...real, body: JSON.stringify({ ...b, messages }) };
      },
    },
    fails: "messages: ids ascending",
  },
  {
    name: "GET /messages lacks the prompt just sent",
    scenario: "tool_execution",
    breakage: {
      matches: (m, p) => m === "GET" && p === "/messages",
      breaks: (real) => {
        const b = json(real.body);
        const messages = (b.messages as Array<{ role: string }>).filter((m) => m.role !== "user");
        return { ...real, body: JSON.stringify({ ...b, messages }) };
      },
    },
    fails: "messages: contains the prompt just sent",
  },
  {
    name: "the OAuth redirect echoes another state",
    scenario: "authentication",
    breakage: {
      matches: (m, p) => m === "GET" && p.endsWith("/authorize"),
      breaks: (real) => {
        const location = new URL(String(real.headers.location), "http://localhost");
        location.searchParams.set("state", "someone-else");
        return { ...real, headers: { ...real.headers, location: location.href } };
      },
    },
    fails: "authorize: redirect echoes the state",
  },
  {
    name: "a refresh hands back the same refresh token",
    scenario: "mixed_workload",
    breakage: {
      matches: (m, p) => m === "POST" && p.endsWith("/refresh"),
      breaks: (real, requestBody) => ({
        ...real,
        body: JSON.stringify({ ...json(real.body), refresh_token: json(requestBody).refresh_token }),
      }),
    },
    fails: "refresh: refresh token rotated",
  },
  {
    name: "tools/call returns an error result",
    scenario: "tool_execution",
    breakage: {
      matches: (m, p) => m === "POST" && p === "/mcp",
      breaks: (real) => {
        if (!/json/.test(String(real.headers["content-type"]))) return real;
        const b = json(real.body);
        const result = b.result as Record<string, unknown> | undefined;
        if (!result || !Array.isArray(result.content)) return real;
        return { ...real, body: JSON.stringify({ ...b, result: { ...result, isError: true } }) };
      },
    },
    fails: "mcp tools/call: not an error",
  },
];

describe("a broken response still fails its check", () => {
  let stub: RunningStub;
  let proxy: ReturnType<typeof breakingProxy>;

  beforeAll(async () => {
    stub = await startTarget();
    proxy = breakingProxy(stub);
    await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
  });

  afterAll(async () => {
    proxy.server.closeAllConnections();
    await new Promise<void>((resolve) => proxy.server.close(() => resolve()));
    await stub.close();
  });

  it.each(CASES)(
    "$name → fails “$fails”",
    async ({ scenario, breakage, fails }) => {
      proxy.set(breakage);
      const run = await runJourneys({
        agentApiUrl: proxy.url(),
        brokerUrl: proxy.url(),
        scenarios: [scenario],
        iterations: scenario === "mixed_workload" ? 20 : 4,
        timeoutMs: 60_000,
      }).finally(() => proxy.set(null));
      expect(run.errors).toEqual([]);
      const failed = run.samples.filter((s) => s.metric === "checks" && s.value === 0).map((s) => s.tags.check);
      expect(failed).toContain(fails);
      // One sample per broken response: no response fails under two names.
      expect(run.failedChecks).toBe(failed.length);
    },
    90_000,
  );
});
