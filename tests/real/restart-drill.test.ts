// The restart drill on real agentapi: two servers (one per workspace), the agent journeys on them; mid-run the first
// server is SIGTERMed — upstream saves its state on the way down when it has a state file (AGENTAPI_STATE_FILE, i.e.
// --state-file) — and started again on the same port. The run must survive it and measure it: requests that found
// nothing listening (cause `refused`), each VU's recovery time, and the history it lost: none with the state file,
// the conversation so far without one. The outage lasts until the VUs have met the closed port a few times (the
// harness reports each answer as it comes), never for a guessed time.
// Skips without an agentapi binary (fails under CI=true): see tests/support/real-agentapi.ts.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { freeLoopbackPort } from "../../infra/agentapi-real/launch";
import { runJourneys, type JourneyRun, type MetricSample } from "../k6/harness/index";
import { describeRealAgentApi, startRealAgentApi, type RealAgentApi } from "../support/real-agentapi";
import { until } from "../support/wait";

const THINK_MS = 300;
/** Answers with no connection (k6's "connection refused") the VUs must have met before the server comes back. */
const REFUSED_BEFORE_RESTART = 3;

const total = (samples: MetricSample[], metric: string, filter: (s: MetricSample) => boolean = () => true): number =>
  samples.filter((s) => s.metric === metric && filter(s)).reduce((n, s) => n + s.value, 0);

/** A prompt was answered and the agent is stable again: its last message is the agent's reply after a user's. */
async function turnOver(server: RealAgentApi): Promise<boolean> {
  const body = (await (await fetch(`${server.url}/messages`)).json()) as { messages: Array<{ role: string }> };
  const status = ((await (await fetch(`${server.url}/status`)).json()) as { status: string }).status;
  const roles = body.messages.map((m) => m.role);
  return status === "stable" && roles.includes("user") && roles.at(-1) === "agent";
}

describeRealAgentApi("the restart drill on real agentapi (SIGTERM, start again on the same port)", () => {
  const dir = mkdtempSync(join(tmpdir(), "agentapi-real-drill-"));
  const running = new Set<RealAgentApi>();
  afterAll(async () => {
    await Promise.all([...running].map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** `answering`: the restarted server is in use at once, so it may never be seen idle by a poll of its own. */
  async function start(port: number, stateFile: string | undefined, readyWhen: "answering" | "stable" = "stable") {
    const server = await startRealAgentApi({
      thinkMs: THINK_MS,
      port,
      env: stateFile === undefined ? {} : { AGENTAPI_STATE_FILE: stateFile },
      readyWhen,
    });
    running.add(server);
    return server;
  }

  async function drill(persisted: boolean): Promise<{ run: JourneyRun; saved: string | undefined }> {
    const stateFile = persisted ? join(dir, `state-${Date.now()}.json`) : undefined;
    const port = await freeLoopbackPort();
    let first = await start(port, stateFile);
    const second = await start(await freeLoopbackPort(), undefined);
    let refused = 0;
    // A history read of the restarted agent that met the outage: that VU compares its history once it is back.
    let refusedHistoryReads = 0;
    let down = false;
    // VU 1 (agent_conversation) and VU 3 (list_tools) on the first server, VU 2 (tool_execution) on the second. The
    // conversation makes the history; list_tools reads it often and long enough to read it again after the restart
    // (an iteration that meets the outage fails at once and goes on, so few iterations would all be spent in it).
    const run = runJourneys({
      agentApiUrl: first.url,
      brokerUrl: `http://127.0.0.1:${await freeLoopbackPort()}`,
      scenarios: ["agent_conversation", "tool_execution", "list_tools"],
      iterationsByScenario: { agent_conversation: 1, tool_execution: 3, list_tools: 60 },
      env: {
        AGENT_ONLY: "true",
        AGENTAPI_URLS: `${first.url},${second.url}`,
        THINK_TIME_SCALE: "0.1",
        CONFIRM_PROMPTS: "yes",
        TESTID: `real-drill-${persisted ? "state" : "fresh"}`,
      },
      timeoutMs: 120_000,
      onAnswer: (answer) => {
        if (!down || answer.status !== 0 || answer.errorCode !== 1212) return;
        refused++;
        if (answer.url === `http://127.0.0.1:${port}/messages`) refusedHistoryReads++;
      },
    });
    let saved: string | undefined;
    try {
      // Mid-run, between turns: the conversation's one turn is over (its reply in, the agent stable). (A state saved
      // between a prompt and the first line of its reply restores as a turn that never ends: upstream reports the
      // agent running for good, since its last message is the user's and an unchanged screen adds no reply.)
      await until(async () => await turnOver(first), "the conversation's turn over on the first server", 60_000);
      down = true;
      await first.close(); // SIGTERM: upstream saves (with a state file), ends every stream, stops
      running.delete(first);
      if (stateFile !== undefined) saved = readFileSync(stateFile, "utf8");
      await until(
        () => refused >= REFUSED_BEFORE_RESTART && refusedHistoryReads >= 1,
        () => `VUs meeting the closed port (${refused}; history reads: ${refusedHistoryReads})`,
        60_000,
      );
      first = await start(port, stateFile, "answering");
      down = false;
      return { run: await run, saved };
    } finally {
      await run.catch(() => undefined);
      await Promise.all([first.close(), second.close()]);
      running.delete(first);
      running.delete(second);
    }
  }

  for (const persisted of [true, false]) {
    it(`${persisted ? "with" : "without"} --state-file: the run survives the restart, the outage is measured, ${persisted ? "no history is lost" : "the lost history is counted"}`, async () => {
      const { run, saved } = await drill(persisted);
      expect(run.errors).toEqual([]);
      if (persisted) {
        // Upstream's AgentState, written on SIGTERM.
        const state = JSON.parse(saved ?? "{}") as { version?: number; messages?: Array<{ role: string }> };
        expect(state.version).toBe(1);
        expect(state.messages?.filter((m) => m.role === "user").length).toBeGreaterThanOrEqual(1);
      }
      expect(total(run.samples, "connection_failures", (s) => s.tags.cause === "refused")).toBeGreaterThanOrEqual(
        REFUSED_BEFORE_RESTART,
      );
      const recoveries = run.samples.filter((s) => s.metric === "agent_recovery_time");
      expect(recoveries.length).toBeGreaterThan(0);
      const compared = run.samples.filter((s) => s.metric === "agent_history_lost");
      expect(compared.length).toBeGreaterThan(0);
      const lost = total(run.samples, "agent_history_lost");
      if (persisted) expect(lost).toBe(0);
      else expect(lost).toBeGreaterThan(0);
      console.log(
        `restart drill on real agentapi (${persisted ? "--state-file" : "no state file"}): ` +
          `${total(run.samples, "connection_failures", (s) => s.tags.cause === "refused")} refused, ` +
          `${recoveries.length} recoveries (max ${Math.round(Math.max(...recoveries.map((r) => r.value)))} ms), ` +
          `history lost ${lost} in ${compared.length} comparisons, ` +
          `turns lost ${total(run.samples, "agent_turn_failures", (s) => s.tags.reason === "stream_lost")}, ` +
          `streams dropped ${total(run.samples, "sse_streams_dropped")}`,
      );
    }, 180_000);
  }
});
