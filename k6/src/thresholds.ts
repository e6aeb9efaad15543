// Pass/fail criteria as one table of plain data (imports nothing from k6), shared with the dashboards and tests.
// `metric` + `tags` render as a k6 threshold key, e.g. `http_req_duration{endpoint:status}`.
//
// k6 evaluates every threshold at the end of the run, including those whose metric never received a sample; an
// empty Rate reads as 0 and fails `rate>0.99`. So each row says which scenarios feed it (`requires`), and a run
// that filters scenarios (SCENARIOS, AGENT_ONLY) keeps only the rows it can feed.

import {
  AGENTAPI_ENDPOINTS,
  ENDPOINTS,
  PROMPTING_SCENARIOS,
  SCENARIO_NAMES,
  type Endpoint,
  type ScenarioName,
} from "./names";
import { once } from "./lib/lazy";
import type { Transport } from "./config";
import type { AgentSharing } from "./sharing";

/** What a row says instead in another topology: same key, other limits and reason. */
export interface Variant {
  conditions: string[];
  why: string;
  agentTime?: boolean;
}

/**
 * The topologies a row can differ in: VUs sharing agents (sharing.ts), the ACP transport (config.ts Transport), both.
 * "dropped": the row does not apply there (what it measures cannot be observed), so the run does not judge it.
 */
export type Topology = "shared" | "acp" | "acp+shared";

/** A run's topology, as resolveTopology reads it. */
export interface RunTopology {
  sharing: AgentSharing;
  transport: Transport;
}

export interface ThresholdRow {
  metric: string;
  tags?: Record<string, string>;
  conditions: string[];
  /** Why the number is what it is (rendered in k6/README.md and the reports). */
  why: string;
  /** The limit is agent time: AGENT_BUDGET_SCALE multiplies it (slow real agents). */
  agentTime?: boolean;
  abortOnFail?: boolean;
  /** Keep this row only when one of these scenarios runs, and (broker) only when the broker is in play. */
  requires?: { scenarios?: ReadonlyArray<ScenarioName>; broker?: boolean };
  /**
   * The row in other topologies: where VUs share agents (one server for all VUs, a fleet smaller than the VU count),
   * on the ACP transport, or both (falling back to `acp`, then `shared`).
   */
  variants?: Partial<Record<Topology, Variant | "dropped">>;
}

const ALL: ReadonlyArray<ScenarioName> = SCENARIO_NAMES;
const BROKER = true;

/** A broker/MCP operation's p95: this project's own design, fast in-memory work plus the network. */
const BROKER_WHY = "the broker's own in-memory work: single-digit ms on an idle target; the limit leaves room for load";

function scenarioLatency(scenario: ScenarioName, p95: number, why: string, broker = false): ThresholdRow {
  return {
    metric: "http_req_duration",
    tags: { scenario, kind: "call" },
    conditions: [`p(95)<${p95}`],
    why,
    requires: { scenarios: [scenario], broker },
  };
}

function endpointLatency(
  endpoint: Endpoint,
  p95: number,
  scenarios: ReadonlyArray<ScenarioName>,
  why: string = BROKER_WHY,
): ThresholdRow {
  const broker = !AGENTAPI_ENDPOINTS.includes(endpoint);
  return {
    metric: "http_req_duration",
    tags: { endpoint },
    conditions: [`p(95)<${p95}`],
    why,
    requires: { scenarios, broker },
  };
}

/**
 * Upstream's promise to a reader (lib/httpapi/server.go: GET /status and /messages take the server's read lock,
 * POST /message the write lock for the whole send; Go's RWMutex lets the readers a send blocked in before the next
 * send): a read waits at most one send. Where VUs share an agent, reads meet other VUs' sends by design, so a read
 * row's limit is one send's; the idle read row (idle_status_duration) still holds the server's own read time.
 */
const READ_WAITS_ONE_SEND: Variant = {
  conditions: ["p(95)<1500"],
  why:
    "VUs share an agent: a read that meets another VU's send waits for it (upstream's lock), and waits at most one " +
    "send (≈ 1.1 s); idle_status_duration still holds the read itself to 300 ms",
  agentTime: true,
};

/**
 * ACP (`agentapi server --experimental-acp`, x/acpio): Send blocks until the agent has finished the whole prompt and
 * POST /message holds the server's write lock all along, so a read that meets a turn waits for the whole turn, and
 * a second POST waits for it and then runs its own (upstream queues it; it is never refused as busy).
 */
const READ_WAITS_ONE_TURN: Variant = {
  conditions: ["p(95)<6000"],
  why:
    "ACP, VUs share an agent: a read that meets another VU's prompt waits for the agent's whole turn (the send holds " +
    "the lock until the prompt's response); idle_status_duration still holds the read itself to 300 ms",
  agentTime: true,
};
const POST_IS_THE_TURN: Variant = {
  conditions: ["p(95)<6000"],
  why:
    "ACP: a prompt's POST returns when the agent has finished the whole turn (the reference agent works ≤ 1.5 s, " +
    "STUB_THINK_MS), and a POST that meets another's turn waits for it first (upstream queues it, never refuses it)",
  agentTime: true,
};

// Upstream's user send (coder/agentapi v0.12.2 writeStabilize): the next 25 ms snapshot, the first echo poll at
// 50 ms, 1 s of a still screen after the echo, Enter, 25 ms until the screen changed — ≈ 1.1 s on an idle server.
const SEND_WHY =
  "upstream's send waits ≤ 25 ms for a snapshot, 50 ms for the first echo poll, 1 s for the echo to settle and " +
  "25 ms for Enter: ≈ 1.1 s by design (the seed's 600 ms cannot hold on a real AgentAPI); a busy refusal is instant";

/** The threshold rows, built on first use (lib/lazy.ts: a VU never reads them). */
export const thresholdTable = once((): ReadonlyArray<ThresholdRow> => [
  // Overall. kind:call leaves out GET /events streams, whose duration is how long they were watched.
  {
    metric: "http_req_duration",
    tags: { kind: "call" },
    conditions: ["p(95)<1500", "p(99)<3000"],
    why:
      "every API call: reads answer in ms, but prompts (up to ~1 in 5 calls in mixed_workload) take ≈ 1.1 s by " +
      "upstream's design, and a read that meets a send on its agent waits for it; the seed's 500/2000 ms predate that",
    variants: {
      acp: {
        conditions: ["p(95)<6000", "p(99)<12000"],
        why: "ACP: a prompt's POST lasts the agent's whole turn, and reads that meet one wait for it",
        agentTime: true,
      },
    },
  },
  { metric: "http_req_failed", conditions: ["rate<0.01"], why: "the seed's error budget: 1 % of requests" },
  { metric: "checks", conditions: ["rate>0.99"], why: "the seed's: 99 % of checks pass" },
  { metric: "timeout_count", conditions: ["count<1"], why: "no request may hit the client timeout" },

  // Journey success rates (seed) — fed only by the scenarios that run those steps.
  {
    metric: "auth_success_rate",
    conditions: ["rate>0.99"],
    why: "the seed's: 99 % of logins end with MCP tokens",
    requires: {
      scenarios: ["authentication", "mcp_connection", "tool_execution", "list_tools", "disconnect"],
      broker: BROKER,
    },
  },
  {
    metric: "mcp_connection_success_rate",
    conditions: ["rate>0.99"],
    why: "the seed's: 99 % of MCP connections set up",
    requires: { scenarios: ["mcp_connection", "tool_execution", "list_tools", "disconnect"], broker: BROKER },
  },
  {
    metric: "tool_execution_success_rate",
    conditions: ["rate>0.99"],
    why: "the seed's: 99 % of tool calls and accepted prompts succeed (a busy agent is not a failure)",
    requires: { scenarios: ["tool_execution"], broker: BROKER },
  },
  {
    metric: "disconnect_success_rate",
    conditions: ["rate>0.99"],
    why: "the seed's: 99 % of disconnects end the session and revoke the config",
    requires: { scenarios: ["disconnect"], broker: BROKER },
  },

  // Per scenario (calls only): the seed had such limits, but only its summary survives; these values are this
  // project's, set from what each journey's calls cost.
  scenarioLatency("authentication", 300, "broker calls only (token, OAuth init/authorize/callback)", BROKER),
  scenarioLatency("mcp_connection", 600, "broker + MCP calls; MCP initialize builds a session", BROKER),
  {
    ...scenarioLatency("tool_execution", 1500, "one call in four is a prompt (≈ 1.1 s by upstream's design)"),
    variants: { acp: POST_IS_THE_TURN },
  },
  {
    ...scenarioLatency("list_tools", 400, "tools/list and /messages reads: no prompt"),
    variants: { shared: READ_WAITS_ONE_SEND, "acp+shared": READ_WAITS_ONE_TURN },
  },
  scenarioLatency("disconnect", 300, "broker + MCP calls only", BROKER),
  {
    ...scenarioLatency("mixed_workload", 1500, "one call in five is a prompt (≈ 1.1 s by upstream's design)"),
    variants: { acp: POST_IS_THE_TURN },
  },

  // Per endpoint: the seed's four, then the broker and MCP operations.
  {
    ...endpointLatency(
      "status",
      300,
      ALL,
      "answered at once with no send in flight; each VU has its own agent, but watchers probe other agents and a " +
        "read that meets a send waits for it (≤ 1.1 s), so the limit leaves room for those few",
    ),
    variants: { shared: READ_WAITS_ONE_SEND, "acp+shared": READ_WAITS_ONE_TURN },
  },
  {
    ...endpointLatency(
      "messages",
      300,
      ["tool_execution", "list_tools", "mixed_workload", "agent_conversation"],
      "as /status: answered at once unless a send holds the agent's lock",
    ),
    variants: { shared: READ_WAITS_ONE_SEND, "acp+shared": READ_WAITS_ONE_TURN },
  },
  {
    metric: "idle_status_duration",
    conditions: ["p(95)<300"],
    why:
      "GET /status answers that said stable: upstream's send ends with the agent running, so such a read met no " +
      "send and measures the server's own read — the same limit on one shared server and on a fleet",
    requires: { scenarios: ALL },
    // ACP: a read another VU's turn held up comes back `stable` (the turn is over when the lock lets it through), so
    // where VUs share an agent no answer says the read met no turn. With an agent per VU nothing holds a read up.
    variants: { "acp+shared": "dropped" },
  },
  {
    ...endpointLatency("message", 1500, PROMPTING_SCENARIOS, SEND_WHY),
    agentTime: true,
    variants: { acp: POST_IS_THE_TURN },
  },
  endpointLatency("oauth_init", 500, ["authentication", "mcp_connection", "disconnect", "mixed_workload"]),
  endpointLatency("auth_token", 300, ["authentication", "mcp_connection", "disconnect"]),
  endpointLatency("oauth_authorize", 300, ["authentication", "mcp_connection", "disconnect"]),
  endpointLatency("oauth_callback", 500, ["authentication", "mcp_connection", "disconnect"]),
  endpointLatency("oauth_refresh", 500, ["mixed_workload", "tool_execution", "list_tools"]),
  endpointLatency("oauth_revoke", 500, ["authentication", "mcp_connection", "disconnect"]),
  endpointLatency("mcp_initialize", 500, ["mcp_connection", "disconnect"]),
  endpointLatency("mcp_tools_list", 400, ["mcp_connection", "list_tools"]),
  endpointLatency(
    "mcp_tools_call",
    1500,
    ["tool_execution"],
    "the simulated tools take 1-1200 ms (run_tests the longest)",
  ),
  endpointLatency("mcp_delete", 300, ["disconnect"]),

  // Journey durations (request time only, think time excluded).
  {
    metric: "auth_duration",
    conditions: ["p(95)<2000"],
    why: "four broker calls in a row",
    requires: { scenarios: ["authentication"], broker: BROKER },
  },
  {
    metric: "mcp_connection_duration",
    conditions: ["p(95)<3000"],
    why: "initialize + initialized + tools/list",
    requires: { scenarios: ["mcp_connection"], broker: BROKER },
  },
  {
    metric: "tool_execution_duration",
    conditions: ["p(95)<3000"],
    why: "one tools/call (≤ 1.2 s simulated) under load",
    requires: { scenarios: ["tool_execution"], broker: BROKER },
  },
  {
    metric: "disconnect_duration",
    conditions: ["p(95)<2000"],
    why: "session delete + revoke + the refusal check",
    requires: { scenarios: ["disconnect"], broker: BROKER },
  },
  {
    metric: "sse_time_to_first_event",
    conditions: ["p(95)<1000"],
    why: "upstream replays the state as soon as a stream connects",
    requires: { scenarios: ["mixed_workload"] },
  },

  // The agent turn (agent_conversation) and the watchers (event_watchers).
  {
    metric: "agent_turn_duration",
    conditions: ["p(95)<6000"],
    why:
      "prompt sent → stable: upstream's send ≈ 1.1 s, the reference agent works ≤ 1.5 s (STUB_THINK_MS), upstream " +
      "adds 2 s of a still screen, observing it costs ≤ 0.5 s",
    agentTime: true,
    requires: { scenarios: ["agent_conversation"] },
  },
  {
    metric: "agent_first_output",
    conditions: ["p(95)<2000"],
    why:
      "prompt sent → first output: upstream's send ≈ 1.1 s, then the reply shows within one 25 ms snapshot; seeing " +
      "it costs an SSE connect (xk6-sse) or one 250 ms poll (stock k6)",
    agentTime: true,
    requires: { scenarios: ["agent_conversation"] },
    // ACP: the VU's POST blocks until the turn is over, so the first chunk cannot be seen by the one who prompts.
    variants: { acp: "dropped" },
  },
  {
    metric: "agent_turn_failures",
    conditions: ["count<1"],
    why: "every accepted prompt ends stable with its reply in /messages",
    requires: { scenarios: ["agent_conversation"] },
  },
  {
    metric: "sse_delivery_lag",
    conditions: ["p(95)<500"],
    why:
      "agent message updates only (upstream stamps each with the snapshot that emits it; a user message carries " +
      "its send's start, not its emission): a change leaves on its 25 ms snapshot, delivery itself is milliseconds",
    requires: { scenarios: ["event_watchers"] },
    // ACP stamps the agent message once, when the prompt is submitted, and never again: no emission time to read.
    variants: { acp: "dropped" },
  },
  {
    metric: "sse_streams_dropped",
    conditions: ["count<1"],
    why: "upstream keeps a stream open until the client leaves (it drops only clients that stop reading)",
    requires: { scenarios: ["event_watchers"] },
  },
]);

/** The variant of a row for a topology: ACP with shared agents falls back to ACP's, then to the shared one. */
function variantFor(row: ThresholdRow, topology: RunTopology): Variant | "dropped" | undefined {
  const v = row.variants;
  if (v === undefined) return undefined;
  if (topology.transport === "acp") {
    return topology.sharing === "shared" ? (v["acp+shared"] ?? v.acp ?? v.shared) : v.acp;
  }
  return topology.sharing === "shared" ? v.shared : undefined;
}

/** The rows as they apply to the run's topology: each row's variant for it replaces the row, or drops it. */
export function resolveTopology(rows: ReadonlyArray<ThresholdRow>, topology: RunTopology): ThresholdRow[] {
  const out: ThresholdRow[] = [];
  for (const row of rows) {
    const variant = variantFor(row, topology);
    if (variant === "dropped") continue;
    if (variant === undefined) {
      out.push(row);
      continue;
    }
    const { variants: _all, agentTime: _own, ...rest } = row;
    out.push({ ...rest, ...variant });
  }
  return out;
}

/** Multiply the agent-time limits (rows marked agentTime) by AGENT_BUDGET_SCALE. */
export function scaleAgentBudgets(rows: ReadonlyArray<ThresholdRow>, scale: number): ThresholdRow[] {
  if (scale === 1) return [...rows];
  return rows.map((row) =>
    row.agentTime
      ? {
          ...row,
          conditions: row.conditions.map((c) =>
            c.replace(
              /([<>]=?)(\d+(?:\.\d+)?)$/,
              (_m, op: string, n: string) => `${op}${Math.round(Number(n) * scale)}`,
            ),
          ),
        }
      : row,
  );
}

/** `metric{tag:value,...}` — the key k6 expects in `options.thresholds`. */
export function thresholdKey(row: { metric: string; tags?: Record<string, string> }): string {
  const tags = Object.entries(row.tags ?? {});
  if (tags.length === 0) return row.metric;
  return `${row.metric}{${tags.map(([k, v]) => `${k}:${v}`).join(",")}}`;
}

/** The rows a run can feed, given the scenarios it executes and whether the broker is in play. */
export function selectThresholds(
  scenarios: ReadonlyArray<ScenarioName>,
  agentOnly: boolean,
  table: ReadonlyArray<ThresholdRow> = thresholdTable(),
): ThresholdRow[] {
  return table.filter((row) => {
    const req = row.requires;
    if (!req) return true;
    if (req.broker && agentOnly) return false;
    return !req.scenarios || req.scenarios.some((s) => scenarios.includes(s));
  });
}

export type K6ThresholdValue = string | { threshold: string; abortOnFail: boolean; delayAbortEval?: string };

/**
 * `options.thresholds`: the selected rows (with `abortOnFail` for the metrics the profile names) plus empty
 * entries for the latency of every endpoint and scenario, so the end-of-test summary carries those breakdowns
 * (k6 only reports sub-metrics that appear in `thresholds`; an empty list adds no pass/fail criterion).
 */
export function buildK6Thresholds(
  rows: ReadonlyArray<ThresholdRow>,
  scenarios: ReadonlyArray<ScenarioName>,
  abortOnFail: ReadonlyArray<string> = [],
): Record<string, K6ThresholdValue[]> {
  const out: Record<string, K6ThresholdValue[]> = {};
  for (const row of rows) {
    const key = thresholdKey(row);
    const abort = row.abortOnFail === true || abortOnFail.includes(row.metric);
    const values: K6ThresholdValue[] = row.conditions.map((threshold) =>
      abort ? { threshold, abortOnFail: true, delayAbortEval: "1m" } : threshold,
    );
    out[key] = [...(out[key] ?? []), ...values];
  }
  const breakdowns = [
    ...ENDPOINTS.map((endpoint) => thresholdKey({ metric: "http_req_duration", tags: { endpoint } })),
    ...scenarios.map((scenario) => thresholdKey({ metric: "http_req_duration", tags: { scenario } })),
    // The agent's first output by how it was seen (xk6-sse stream or polling), for the reports' Agents section.
    ...["sse", "poll"].map((observed_by) => thresholdKey({ metric: "agent_first_output", tags: { observed_by } })),
  ];
  for (const key of breakdowns) {
    if (!(key in out)) out[key] = [];
  }
  return out;
}
