// The lifecycle functions k6 runs in its first init context, VU 0 — options, setup, teardown and handleSummary —
// apart from the journeys (main.ts) so that no VU instantiates them: k6/lazy-modules.mjs bundles this file and
// what it imports into a function main.ts calls only when __VU is 0 (k6/README.md "What a VU costs").

import exec from "k6/execution";
import type { Options } from "k6/options";
import { probeServers } from "./clients/agentapi";
import { requestUserToken } from "./clients/broker";
import { EVENTS_TRANSPORT } from "./clients/events";
import { agentCount, agentUrlOf, describeConfig } from "./config";
import { instanceOf, instanceReportDir, type Instance } from "./instance";
import { formatDuration } from "./lib/duration";
import { maxRunSeconds } from "./profiles";
import { renderReports, type SummaryData } from "./reports/index";
import { config } from "./run-config";
import { PROMPTING_SCENARIOS } from "./names";
import { worstCasePrompts } from "./prompt-plan";
import { judged, promptShares, scenarios } from "./run-plan";
import { buildK6Thresholds } from "./thresholds";
import { capacity } from "./capacity/run-capacity";

/** The run's k6 options: its scenarios (profile or capacity plan), thresholds and tags. */
export function runOptions(): Options {
  return {
    scenarios: capacity?.scenarios ?? scenarios(),
    // A capacity run goes past the knee on purpose: its verdict is per step (tools/capacity), so k6 judges nothing
    // (the empty lists keep the breakdowns in the summary).
    thresholds: capacity
      ? buildK6Thresholds([], config.scenarios)
      : buildK6Thresholds(judged().rows, config.scenarios, config.profile.abortOnFail),
    // transport: one value per run (pty or acp), so the dashboards can say which one a run drove.
    tags: { testid: config.testId, transport: config.transport },
    summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "count"],
    setupTimeout: "30s",
    teardownTimeout: "30s",
    userAgent: "agentapi-load-k6/1.0",
  };
}

export interface SetupData {
  startedAt: number;
  /** The run's configuration in one line, with the testid its samples carry. */
  config: string;
  /** The testid on this run's samples, for the reports. */
  testId: string;
  /** This k6 instance of a distributed run (null for a whole run), and where its reports go. */
  instance?: Instance | null;
  reportDir?: string;
}

function isSetupData(value: unknown): value is SetupData {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.startedAt === "number" && typeof v.config === "string" && typeof v.testId === "string";
}

/**
 * The testid k6 puts on every sample: `--tag testid=…` or options.tags. Not `config.testId` as such: each init
 * context (one per VU, one more for handleSummary at the end) computes its own default from the clock, while
 * k6 tags samples with the one from the first.
 */
function taggedTestId(): string {
  const tagged = exec.test.options.tags?.testid;
  return typeof tagged === "string" && tagged !== "" ? tagged : config.testId;
}

/**
 * The instance of a distributed run this is (k6-operator: one execution segment per runner), from the options k6
 * reports outside the init context; null for a whole run, or where k6 gives no options (handleSummary).
 */
function runInstance(): Instance | null {
  try {
    const options = exec.test.options;
    return instanceOf(options.executionSegment, options.executionSegmentSequence);
  } catch {
    return null;
  }
}

/** Stop the run with one readable line (k6 prints it and exits non-zero). */
function abort(message: string): never {
  exec.test.abort(message);
  throw new Error(message);
}

/** The distinct AgentAPI servers of the run: one, the template's 1 … AGENTS, or the list. */
function distinctServers(): string[] {
  const urls: string[] = [];
  const count = agentCount(config.agents);
  for (let n = 1; n <= count; n++) urls.push(agentUrlOf(config.agents, n));
  return Array.from(new Set(urls));
}

/** How the run's credentials look, by header name only ("bearer", "Coder-Session-Token", or none). */
function credentialsNamed(): string {
  const names = Object.keys(config.agentApiHeaders);
  return names.length === 0 ? "none" : names.map((n) => (n === "Authorization" ? "AGENTAPI_TOKEN" : n)).join(", ");
}

/**
 * Every server answers GET /status with an agent status before a VU starts, or the run stops with one line: which
 * server, what it answered, and what to set. Returns whether all of them are the reference target.
 */
function checkServers(): boolean {
  const probes = probeServers(distinctServers());
  for (const p of probes) {
    if (p.status === 0) abort(`setup: AgentAPI at ${p.url} is unreachable (${p.error}); start it or set BASE_URL`);
    if (p.status === 401 || p.status === 403) {
      abort(
        `setup: AgentAPI at ${p.url} refused the request (${p.status}): set AGENTAPI_TOKEN (sent as Authorization: ` +
          `Bearer) or AGENTAPI_HEADERS (e.g. {"Coder-Session-Token":"…"}); credentials sent: ${credentialsNamed()}`,
      );
    }
    if (!p.agentStatus) {
      abort(`setup: ${p.url}/status answered ${p.status} without an agent status; is BASE_URL an AgentAPI server?`);
    }
    // The thresholds and journeys were planned for one transport before the run (k6 fixes them at init).
    if (p.transport !== config.transport) {
      abort(
        `setup: AgentAPI at ${p.url} runs the ${p.transport ?? "unknown"} transport (its /status says so), but the ` +
          `run is planned for ${config.transport}: set AGENTAPI_TRANSPORT=${p.transport ?? "pty"}`,
      );
    }
  }
  return probes.every((p) => p.reference);
}

/** Prompting scenarios of this run that would send at least one prompt. */
function promptingScenarios(): string[] {
  return config.scenarios.filter((name) => (PROMPTING_SCENARIOS as ReadonlyArray<string>).includes(name));
}

/** The prompts the run may send, in one line (printed before the first VU starts). */
function describePrompts(): string {
  const worst = worstCasePrompts(scenarios(), config.thinkTimeScale, config.agentOnly);
  const schedule = Number.isFinite(worst) ? `≈ ${worst}` : "no bound (THINK_TIME_SCALE=0)";
  const shares = promptShares();
  if (shares === null) return `prompts: no budget (MAX_PROMPTS); the schedule allows ${schedule}`;
  const listed = Object.entries(shares)
    .map(([name, share]) => `${name} ${share}`)
    .join(", ");
  return `prompts: at most ${config.maxPrompts} (MAX_PROMPTS: ${listed || "no prompting scenario"}); the schedule allows ${schedule}`;
}

export function setup(): SetupData {
  const testId = taggedTestId();
  // Each instance of a distributed run writes its own report folder under the run's one testid.
  const instance = runInstance();
  const reportDir = instanceReportDir(config.reportDir, instance);
  const described =
    describeConfig({ ...config, testId, reportDir }) +
    ` agent_sharing=${judged().sharing}` +
    (instance === null ? "" : ` instance=${instance.index}/${instance.count} segment=${instance.segment}`);
  const planned =
    formatDuration(maxRunSeconds(scenarios())) + (config.timeScale === 1 ? "" : ` (time_scale=${config.timeScale})`);
  console.log(`agentapi-load: ${described} sse=${EVENTS_TRANSPORT} planned≤${planned}`);

  const reference = checkServers();
  const prompting = promptingScenarios();
  console.log(`agentapi-load: ${describePrompts()}`);
  if (prompting.length > 0 && !reference && config.maxPrompts === null && !config.confirmPrompts) {
    abort(
      `setup: ${prompting.join(", ")} would prompt real agents (not the reference target), and each prompt costs ` +
        "money: set MAX_PROMPTS=N (a budget for the whole run), or CONFIRM_PROMPTS=yes (run-tests.sh --yes) to go on without one",
    );
  }
  if (!config.agentOnly) {
    const token = requestUserToken(config.authUrl, "k6-setup");
    if (token.reply.status === 0) {
      abort(
        `setup: broker at ${config.authUrl} is unreachable (${token.reply.res.error}); start it, set AUTH_URL, or run with AGENT_ONLY=true`,
      );
    }
    if (token.body === null) {
      abort(`setup: ${config.authUrl} answered ${token.reply.status} without a user token; check AUTH_URL`);
    }
  }
  return { startedAt: Date.now(), config: described, testId, instance, reportDir };
}

export function teardown(data: SetupData): void {
  const seconds = (Date.now() - data.startedAt) / 1000;
  console.log(`agentapi-load: finished after ${formatDuration(seconds)} (${data.config})`);
}

export function handleSummary(data: SummaryData): Record<string, string> {
  // setup's record of the run (absent when setup never finished).
  const run = isSetupData(data.setup_data) ? data.setup_data : null;
  return renderReports(
    data,
    {
      config: run ? run.config : describeConfig(config),
      profile: config.profile.name,
      testId: run ? run.testId : config.testId,
      eventsTransport: EVENTS_TRANSPORT,
      generatedAt: new Date().toISOString(),
      promptBudget: config.maxPrompts,
      setupCompleted: run !== null,
    },
    run && typeof run.reportDir === "string" ? run.reportDir : instanceReportDir(config.reportDir, runInstance()),
  );
}
