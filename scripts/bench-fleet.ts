// `npx tsx scripts/bench-fleet.ts`: what the reference target costs with the default fleet of `make up && make load`.
// Starts the stub as a child process (`node --import tsx infra/agentapi-stub/src/main.ts`, default timings,
// STUB_LOG_LEVEL=warn, loopback ports) and reads its CPU and memory from /proc/<pid>:
//
//   1. idle: 1 agent, then the fleet, each BENCH_FLEET_IDLE_S (30) seconds after boot;
//   2. load: a fresh fleet, driven for BENCH_FLEET_S (60) seconds by K simulated users on loopback, each on its own
//      /agents/{n}. K and the users' mix are the local profile's AgentAPI traffic at its peak: the moment the
//      scenarios that call AgentAPI have the most VUs together (k6/src/profiles.ts), split as they are then.
//
// Each user repeats its journey's AgentAPI steps with the journey's think times (k6/src/scenarios/*.ts; broker and
// MCP steps are left out, their think time is kept): GET /status, GET /messages, POST /message when the agent is
// stable, and /events streams (read the initial state, or watch a turn until the agent is stable again).
// Prints requests/s, p95 per endpoint, the target's CPU-seconds and peak RSS, and the bench client's own CPU.
//
//   BENCH_FLEET_S=60 BENCH_FLEET_IDLE_S=30 npx tsx scripts/bench-fleet.ts
//   BENCH_FLEET_IDLE_S=0 BENCH_FLEET_USERS=100 npx tsx scripts/bench-fleet.ts   # load only, 100 users
//   BENCH_FLEET_AGENTS=2000 …                                                  # default: docker-compose.yml's
//
// Linux only (/proc). Everything listens on and connects to 127.0.0.1.
import { spawn, type ChildProcess, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { SCENARIO_NAMES, type ScenarioName } from "../k6/src/names";
import { buildScenarios, PROFILES, vusAt } from "../k6/src/profiles";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const HOST = "127.0.0.1";

function fail(message: string): never {
  console.error(`bench-fleet: ${message}`);
  process.exit(2);
}

function wholeNumber(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(`${name} must be a whole number in ${min} … ${max} (got "${raw}")`);
  }
  return value;
}

/** The default fleet of docker-compose.yml (`STUB_AGENTS: ${STUB_AGENTS:-N}`). */
function composeFleet(): number {
  const match = /STUB_AGENTS: \$\{STUB_AGENTS:-(\d+)\}/.exec(readFileSync(`${ROOT}docker-compose.yml`, "utf8"));
  if (!match?.[1]) fail("docker-compose.yml has no STUB_AGENTS default");
  return Number(match[1]);
}

// ---- the local profile's AgentAPI peak ------------------------------------------------------------------------

/** Scenarios with AgentAPI steps (authentication reads GET /status; mcp_connection and disconnect have none). */
const AGENTAPI_SCENARIOS: ReadonlyArray<ScenarioName> = [
  "authentication",
  "tool_execution",
  "list_tools",
  "mixed_workload",
  "agent_conversation",
  "event_watchers",
];

/** The second at which the AgentAPI scenarios have the most VUs together, and each one's VUs then. */
function agentApiPeak(): { second: number; total: number; mix: Array<[ScenarioName, number]> } {
  const scenarios = buildScenarios(PROFILES.local, SCENARIO_NAMES, 1);
  const names = AGENTAPI_SCENARIOS.filter((n) => scenarios[n] !== undefined);
  let best = { second: 0, total: 0 };
  for (let t = 0; t <= 3 * 3600; t++) {
    const total = names.reduce((sum, n) => sum + vusAt(scenarios[n]!, t), 0);
    if (total > best.total) best = { second: t, total };
  }
  const mix = names.map((n): [ScenarioName, number] => [n, vusAt(scenarios[n]!, best.second)]).filter(([, v]) => v > 0);
  return { ...best, mix };
}

// ---- the target process -----------------------------------------------------------------------------------------

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU-seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14, 15 of stat)
}

/** Resident memory now and its high-water mark, in MiB. */
function memory(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMiB: kib("VmRSS") / 1024, peakMiB: kib("VmHWM") / 1024 };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

interface Target {
  child: ChildProcess;
  pid: number;
  url: string;
  bootSeconds: number;
}

async function startTarget(agents: number): Promise<Target> {
  const [agentApiPort, brokerPort] = [await freePort(), await freePort()];
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "infra/agentapi-stub/src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      STUB_HOST: HOST,
      AGENTAPI_PORT: String(agentApiPort),
      BROKER_PORT: String(brokerPort),
      STUB_AGENTS: String(agents),
      STUB_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  children.add(child);
  const url = `http://${HOST}:${agentApiPort}`;
  for (;;) {
    if (child.exitCode !== null) fail(`the target exited during boot (code ${child.exitCode})`);
    if (performance.now() - started > 60_000) fail("the target did not answer /healthz within 60 s");
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return { child, pid: child.pid!, url, bootSeconds: (performance.now() - started) / 1000 };
}

async function stopTarget(target: Target): Promise<void> {
  if (target.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => target.child.once("exit", () => resolve()));
  target.child.kill("SIGTERM");
  await Promise.race([exited, sleep(10_000)]);
  target.child.kill("SIGKILL");
  children.delete(target.child);
}

// ---- idle ------------------------------------------------------------------------------------------------------

interface IdleRow {
  agents: number;
  bootSeconds: number;
  bootCpu: number;
  idleCpu: number;
  rssMiB: number;
  peakMiB: number;
}

async function measureIdle(agents: number, seconds: number): Promise<IdleRow> {
  const target = await startTarget(agents);
  const bootCpu = cpuSeconds(target.pid);
  await sleep(seconds * 1000);
  const row = {
    agents,
    bootSeconds: target.bootSeconds,
    bootCpu,
    idleCpu: cpuSeconds(target.pid) - bootCpu,
    ...memory(target.pid),
  };
  await stopTarget(target);
  return row;
}

// ---- load ------------------------------------------------------------------------------------------------------

type Endpoint = "status" | "messages" | "message" | "events";

class Stats {
  readonly latencies: Record<Endpoint, number[]> = { status: [], messages: [], message: [], events: [] };
  errors = 0;
  busy = 0;
  accepted = 0;
  streams = 0;
  recording = true;

  add(endpoint: Endpoint, ms: number): void {
    if (this.recording) this.latencies[endpoint].push(ms);
  }
}

const think = (min: number, max: number) => sleep((min + Math.random() * (max - min)) * 1000);

interface User {
  base: string;
  fleetUrl: (n: number) => string;
  fleet: number;
  stats: Stats;
  deadline: number;
  /** Aborted at the end of the run: no new request starts, open streams close. */
  signal: AbortSignal;
  /** The open /events streams (aborted at the end of the run). */
  streams: Set<AbortController>;
  iteration: number;
}

async function timed(user: User, endpoint: Endpoint, url: string, init?: RequestInit): Promise<Response | null> {
  const started = performance.now();
  try {
    const res = await fetch(url, init);
    await res.arrayBuffer();
    user.stats.add(endpoint, performance.now() - started);
    return res;
  } catch {
    if (!user.signal.aborted) user.stats.errors++;
    return null;
  }
}

async function status(user: User, base = user.base): Promise<string | null> {
  const started = performance.now();
  try {
    const res = await fetch(`${base}/status`);
    const body = (await res.json()) as { status?: string };
    user.stats.add("status", performance.now() - started);
    if (!res.ok) user.stats.errors++;
    return body.status ?? null;
  } catch {
    if (!user.signal.aborted) user.stats.errors++;
    return null;
  }
}

async function messages(user: User): Promise<void> {
  const res = await timed(user, "messages", `${user.base}/messages`);
  if (res && !res.ok) user.stats.errors++;
}

/** POST /message; true when accepted (a 500 "only when the agent is waiting for user input" is a busy agent). */
async function send(user: User, content: string): Promise<boolean> {
  const res = await timed(user, "message", `${user.base}/message`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content, type: "user" }),
  });
  if (res === null) return false;
  if (res.ok) user.stats.accepted++;
  else if (res.status === 500) user.stats.busy++;
  else user.stats.errors++;
  return res.ok;
}

/**
 * GET /events: the initial state ends with a status_change. `initial` stops there (mixed_workload's "events");
 * otherwise, unless the agent is already stable, it watches until a later status_change says stable or the bound
 * passes (agent_conversation's turn, event_watchers' watch). The latency recorded is to the initial state.
 */
async function events(user: User, base: string, initial: boolean, boundMs: number): Promise<void> {
  if (user.signal.aborted) return;
  const controller = new AbortController();
  user.streams.add(controller);
  const timer = setTimeout(() => controller.abort(), boundMs);
  const started = performance.now();
  let live = false;
  try {
    const res = await fetch(`${base}/events`, { headers: { accept: "text/event-stream" }, signal: controller.signal });
    if (!res.ok || res.body === null) {
      user.stats.errors++;
      return;
    }
    user.stats.streams++;
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!frame.startsWith("event: status_change")) continue;
        const stable = frame.includes('"status":"stable"');
        if (!live) {
          live = true;
          user.stats.add("events", performance.now() - started);
          if (initial || stable) return;
        } else if (stable) {
          return;
        }
      }
    }
  } catch {
    if (!controller.signal.aborted) user.stats.errors++;
  } finally {
    clearTimeout(timer);
    user.streams.delete(controller);
    controller.abort();
  }
}

/** mixed_workload's operations (k6/src/scenarios/mixed-workload.ts), broker ones as "none" (think only). */
const MIXED: ReadonlyArray<[string, number]> = [
  ["status", 30],
  ["messages", 20],
  ["send", 20],
  ["none", 25],
  ["events", 5],
];
function mixedOperation(): string {
  let pick = Math.random() * 100;
  for (const [op, weight] of MIXED) if ((pick -= weight) < 0) return op;
  return "status";
}

/** One iteration of a journey's AgentAPI steps, think time included. */
const JOURNEYS: Readonly<Partial<Record<ScenarioName, (user: User) => Promise<void>>>> = {
  authentication: async (user) => {
    await status(user);
    await think(1, 5);
  },
  tool_execution: async (user) => {
    if ((await status(user)) === "stable") await send(user, `Run tests (bench iteration ${user.iteration})`);
    await messages(user);
    await think(3, 8);
  },
  list_tools: async (user) => {
    await status(user);
    await messages(user);
    await think(1, 4);
  },
  mixed_workload: async (user) => {
    const op = mixedOperation();
    if (op === "status") await status(user);
    else if (op === "messages") await messages(user);
    else if (op === "send") await send(user, `Summarise the repository (bench iteration ${user.iteration})`);
    else if (op === "events") await events(user, user.base, true, 10_000);
    await think(1, 5);
  },
  agent_conversation: async (user) => {
    if ((await status(user)) !== "stable" || !(await send(user, `Explain this (bench turn ${user.iteration})`))) {
      await think(1, 2);
      return;
    }
    await events(user, user.base, false, 60_000);
    await messages(user);
    await think(5, 15);
  },
  event_watchers: async (user) => {
    let url = user.base;
    for (let i = 0; i < 4; i++) {
      const candidate = user.fleetUrl(1 + Math.floor(Math.random() * user.fleet));
      if ((await status(user, candidate)) === "running") {
        url = candidate;
        break;
      }
    }
    await events(user, url, false, 60_000);
    await think(1, 3);
  },
};

const LABELS: Readonly<Record<Endpoint, string>> = {
  status: "GET /status",
  messages: "GET /messages",
  message: "POST /message",
  events: "GET /events (to its initial state)",
};

function p95(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]!;
}

async function measureLoad(agents: number, users: Array<ScenarioName>, seconds: number) {
  const target = await startTarget(agents);
  await sleep(2500); // every agent boots to stable 2 s after start
  const stats = new Stats();
  const stop = new AbortController();
  const streams = new Set<AbortController>();
  const fleetUrl = (n: number) => `${target.url}/agents/${n}`;
  const cpuBefore = cpuSeconds(target.pid);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, memory(target.pid).rssMiB)), 1000);

  const loops = users.map(async (journey, index) => {
    const user: User = {
      base: fleetUrl(index + 1),
      fleetUrl,
      fleet: agents,
      stats,
      deadline,
      signal: stop.signal,
      streams,
      iteration: 0,
    };
    await sleep(Math.random() * 5000); // users arrive over the first 5 s, as if the ramp had just topped out
    const step = JOURNEYS[journey]!;
    while (performance.now() < deadline && !stop.signal.aborted) {
      await step(user);
      user.iteration++;
    }
  });
  await sleep(seconds * 1000);
  stats.recording = false;
  stop.abort();
  for (const stream of streams) stream.abort();
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(target.pid) - cpuBefore;
  const client = process.cpuUsage(clientBefore);
  clearInterval(sampler);
  const mem = memory(target.pid);
  await Promise.race([Promise.all(loops), sleep(20_000)]);
  await stopTarget(target);
  return {
    stats,
    elapsed,
    cpu,
    clientCpu: (client.user + client.system) / 1e6,
    peakRss: Math.max(peakRss, mem.rssMiB),
    hwm: mem.peakMiB,
  };
}

// ---- main ------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const fleet = wholeNumber("BENCH_FLEET_AGENTS", composeFleet(), 1, 10_000);
  const seconds = wholeNumber("BENCH_FLEET_S", 60, 5, 600);
  const idleSeconds = wholeNumber("BENCH_FLEET_IDLE_S", 30, 0, 600);
  const peak = agentApiPeak();
  const k = wholeNumber("BENCH_FLEET_USERS", Math.ceil(peak.total), 1, fleet);

  // K users split as the peak's mix, largest remainders first.
  const shares = peak.mix.map(([name, vus]) => ({ name, exact: (vus / peak.total) * k }));
  const counts = new Map(shares.map((s) => [s.name, Math.floor(s.exact)]));
  let left = k - [...counts.values()].reduce((a, b) => a + b, 0);
  for (const s of [...shares].sort((a, b) => (b.exact % 1) - (a.exact % 1))) {
    if (left-- <= 0) break;
    counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
  }
  const users = [...counts].flatMap(([name, n]) => Array.from({ length: n }, () => name));

  console.log(
    `bench-fleet: fleet ${fleet} agents; local profile's AgentAPI peak ${peak.total.toFixed(1)} VUs at ` +
      `${Math.floor(peak.second / 60)}m${peak.second % 60}s: ${[...counts].map(([n, c]) => `${n} ${c}`).join(", ")}`,
  );

  if (idleSeconds > 0) {
    console.log(`\nidle, ${idleSeconds} s after boot (the target: node --import tsx, STUB_LOG_LEVEL=warn)`);
    console.log("| agents | boot | CPU at boot | CPU while idle | RSS | peak RSS |");
    console.log("|---:|---:|---:|---:|---:|---:|");
    for (const agents of fleet === 1 ? [1] : [1, fleet]) {
      const row = await measureIdle(agents, idleSeconds);
      console.log(
        `| ${row.agents} | ${row.bootSeconds.toFixed(1)} s | ${row.bootCpu.toFixed(2)} s | ` +
          `${row.idleCpu.toFixed(2)} s | ${row.rssMiB.toFixed(0)} MiB | ${row.peakMiB.toFixed(0)} MiB |`,
      );
    }
  }

  console.log(`\nload: ${k} users, each on its own /agents/{n}, for ${seconds} s`);
  const run = await measureLoad(fleet, users, seconds);
  const all = Object.values(run.stats.latencies).reduce((n, l) => n + l.length, 0);
  console.log(
    `requests ${all} (${(all / run.elapsed).toFixed(0)}/s), errors ${run.stats.errors}, prompts accepted ` +
      `${run.stats.accepted}, busy ${run.stats.busy}, event streams ${run.stats.streams}`,
  );
  console.log("| endpoint | requests/s | p95 |");
  console.log("|---|---:|---:|");
  for (const [endpoint, latencies] of Object.entries(run.stats.latencies)) {
    const rate = (latencies.length / run.elapsed).toFixed(1);
    const label = LABELS[endpoint as Endpoint];
    console.log(`| ${label} | ${rate} | ${p95(latencies).toFixed(1)} ms |`);
  }
  console.log(
    `target: ${run.cpu.toFixed(1)} CPU-s in ${run.elapsed.toFixed(0)} s (${((run.cpu / run.elapsed) * 100).toFixed(0)}% ` +
      `of one core), peak RSS ${run.peakRss.toFixed(0)} MiB (high-water mark ${run.hwm.toFixed(0)} MiB); ` +
      `bench client ${run.clientCpu.toFixed(1)} CPU-s`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench-fleet: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
