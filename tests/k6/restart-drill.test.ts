// A restart drill on the reference target: the agent journeys run against a fleet; mid-run the target saves its
// state (as upstream does on SIGTERM), stops, and comes back on the same ports, with its state file or without one.
// The run must survive it — no error, no VU stalled — and measure it: the failures while nothing listened (cause
// `refused`), each VU's recovery time, and the history it lost (none with the state file; some without).
// The outage lasts until the VUs have met the closed port a few times (the harness reports each answer as it comes),
// never for a guessed time.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../infra/agentapi-stub/src/config";
import { startStub, type RunningStub } from "../../infra/agentapi-stub/src/stub";
import { FAST_REDRAW_MS, FAST_TIMING } from "../../infra/agentapi-stub/src/agent/timing";
import { until } from "../support/wait";
import { freeLoopbackPort } from "../../infra/agentapi-real/launch";
import { runJourneys, type JourneyRun, type MetricSample } from "./harness/index";

const AGENTS = 3;
/**
 * VU v on agent ((v − 1) mod 3) + 1, in this order: the conversation (VU 1) and list_tools (VU 4) on agent 1, so the
 * VU that reads most often reads a conversation with history; tool_execution (VU 2) on agent 2; the watcher (VU 3).
 */
const SCENARIOS = ["agent_conversation", "tool_execution", "event_watchers", "list_tools"];
/** Answers with no connection (k6's code for "connection refused") the VUs must have met before the target returns. */
const REFUSED_BEFORE_RESTART = 6;

const total = (samples: MetricSample[], metric: string, filter: (s: MetricSample) => boolean = () => true): number =>
  samples.filter((s) => s.metric === metric && filter(s)).reduce((n, s) => n + s.value, 0);

async function stubOn(
  ports: { agentApi: number; broker: number },
  stateFile: string | undefined,
): Promise<RunningStub> {
  const stub = await startStub({
    ...loadConfig({ STUB_LOG_LEVEL: "silent", STUB_AGENTS: String(AGENTS), STUB_MCP_TOOL_LATENCY_SCALE: "0.05" }),
    agentApiPort: ports.agentApi,
    brokerPort: ports.broker,
    thinkMs: { min: 100, max: 200 },
    timing: FAST_TIMING,
    redrawMs: FAST_REDRAW_MS,
    state: stateFile === undefined ? undefined : { file: stateFile, load: true, save: true },
  });
  await stub.agentsStable();
  return stub;
}

/** User messages the fleet holds (what its agents were sent and kept). */
function userMessages(stub: RunningStub): number {
  let n = 0;
  for (let agent = 1; agent <= AGENTS; agent++) {
    n +=
      stub.fleet
        .byPathSegment(String(agent))
        ?.conversation.messages()
        .filter((m) => m.role === "user").length ?? 0;
  }
  return n;
}

describe("a restart drill on the reference target (the journeys through an outage)", () => {
  const dir = mkdtempSync(join(tmpdir(), "agentapi-drill-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function drill(persisted: boolean): Promise<JourneyRun> {
    const ports = { agentApi: await freeLoopbackPort(), broker: await freeLoopbackPort() };
    const stateFile = persisted ? join(dir, "state.json") : undefined;
    let stub = await stubOn(ports, stateFile);
    const url = `http://127.0.0.1:${ports.agentApi}`;
    let refused = 0;
    // A history read of the restarted agent that met the outage: that VU compares its history once it is back.
    let refusedHistoryReads = 0;
    let down = false;
    const run = runJourneys({
      agentApiUrl: url,
      brokerUrl: `http://127.0.0.1:${ports.broker}`,
      scenarios: SCENARIOS,
      // Enough iterations that every VU still has most of its journey to run when the target comes back (an iteration
      // that meets the outage fails at once and goes on to its think time).
      iterationsByScenario: { agent_conversation: 20, list_tools: 150, tool_execution: 24, event_watchers: 20 },
      env: {
        AGENT_ONLY: "true",
        AGENTAPI_URL_TEMPLATE: `${url}/agents/{agent}`,
        AGENTS: String(AGENTS),
        THINK_TIME_SCALE: "0.05",
        TESTID: `drill-${persisted ? "state" : "fresh"}`,
      },
      timeoutMs: 90_000,
      onAnswer: (answer) => {
        if (!down || answer.status !== 0 || answer.errorCode !== 1212) return;
        refused++;
        if (answer.url === `${url}/agents/1/messages`) refusedHistoryReads++;
      },
    });
    try {
      // Mid-run: once the agents hold some conversation.
      await until(
        () => userMessages(stub) >= 3,
        () => `3 prompts kept by the fleet (${userMessages(stub)})`,
        60_000,
      );
      if (persisted) expect(await stub.saveState()).toBe("saved");
      down = true;
      await stub.close();
      await until(
        () => refused >= REFUSED_BEFORE_RESTART && refusedHistoryReads >= 1,
        () => `VUs meeting the closed port (${refused}; history reads of agent 1: ${refusedHistoryReads})`,
        60_000,
      );
      stub = await stubOn(ports, stateFile);
      down = false;
      return await run;
    } finally {
      await stub.close();
    }
  }

  for (const persisted of [true, false]) {
    it(`${persisted ? "with" : "without"} a state file: the run survives, the outage is measured${persisted ? ", nothing is lost" : ", the lost history counted"}`, async () => {
      const run = await drill(persisted);
      // Nothing crashed or stalled: every VU ran its iterations to the end.
      expect(run.errors).toEqual([]);
      for (const scenario of SCENARIOS) {
        expect(
          total(run.samples, "iterations", (s) => s.tags.scenario === scenario),
          scenario,
        ).toBeGreaterThan(0);
      }
      // The outage shows: requests that found nothing listening, by cause, and each VU's way back.
      expect(total(run.samples, "connection_failures", (s) => s.tags.cause === "refused")).toBeGreaterThanOrEqual(
        REFUSED_BEFORE_RESTART,
      );
      expect(
        total(
          run.samples,
          "connection_failures",
          (s) => s.tags.cause === undefined && s.tags.endpoint !== "mcp_initialize",
        ),
      ).toBe(0);
      const recoveries = run.samples.filter((s) => s.metric === "agent_recovery_time");
      expect(recoveries.length).toBeGreaterThan(0);
      for (const r of recoveries) expect(r.value).toBeGreaterThan(0);
      // History: each VU compares what it had seen with what its agent shows once settled again.
      const compared = run.samples.filter((s) => s.metric === "agent_history_lost");
      expect(compared.length).toBeGreaterThan(0);
      const lost = total(run.samples, "agent_history_lost");
      if (persisted) expect(lost).toBe(0);
      else expect(lost).toBeGreaterThan(0);
      // A restarted server replays its restored history with the original times: watchers must not take that for
      // delivery lag (only updates stamped since their watch began count).
      const lags = run.samples.filter((s) => s.metric === "sse_delivery_lag").map((s) => s.value);
      expect(lags.filter((lag) => lag > 5_000)).toEqual([]);
      console.log(
        `restart drill on the target (${persisted ? "state file" : "no state file"}): ` +
          `${total(run.samples, "connection_failures", (s) => s.tags.cause === "refused")} refused, ` +
          `${recoveries.length} recoveries (max ${Math.round(Math.max(...recoveries.map((r) => r.value)))} ms), ` +
          `history lost ${lost} in ${compared.length} comparisons, ` +
          `turns lost ${total(run.samples, "agent_turn_failures", (s) => s.tags.reason === "stream_lost")}`,
      );
    }, 150_000);
  }
});
