// Every wait of a real AgentAPI server, with its upstream source (coder/agentapi v0.12.2), and the simulated agent's
// own timings. Defaults are upstream's; STUB_TIME_SCALE shrinks all of upstream's waits at once (the opt-in fast
// mode for tests: 0.02 turns the 2 s stability length into 40 ms).
import { ConfigError, read, wholeNumber, type Env } from "../env";

export interface UpstreamTiming {
  /** lib/httpapi/server.go `snapshotInterval`: the screen is read every 25 ms. */
  snapshotIntervalMs: number;
  /** server.go `ScreenStabilityLength: 2 * time.Second`: `stable` once the screen has been still this long. */
  stabilityMs: number;
  /** pty_conversation.go writeStabilize phase 1: after the echo, the screen must stay unchanged for 1 s. */
  echoSettleMs: number;
  /** `writeStabilizeEchoTimeout` (2 s in v0.12.2, non-fatal: the send goes on to Enter; 15 s and fatal in v0.12.1). */
  echoTimeoutMs: number;
  /** phase 1's WaitFor MinInterval (50 ms); the interval doubles up to WaitFor's 500 ms maximum. */
  echoPollMs: number;
  /** `writeStabilizeProcessTimeout`: after Enter, the screen must change within 15 s, else the send fails (500). */
  processTimeoutMs: number;
  /** phase 2's WaitFor MinInterval and the wait after each carriage return (25 ms). */
  processPollMs: number;
  /** phase 2 writes another carriage return when nothing happened for 3 s. */
  carriageReturnRetryMs: number;
  /** lib/util WaitFor's default MaxInterval (500 ms), the cap of the doubling poll interval. */
  maxPollMs: number;
}

/** The simulated program inside the terminal (not upstream's: the agent's). */
export interface AgentBehaviour {
  /** How long the agent stays busy per user message, drawn uniformly from [min, max] (ms). */
  thinkMs: { min: number; max: number };
  /** Typed text shows on the screen after this long; `undefined` = the agent never echoes (a bracketed-paste TUI). */
  echoDelayMs: number | undefined;
  /** After Enter, the screen first changes after this long (the agent starts working). */
  reactDelayMs: number;
  /** While working, the agent redraws (a spinner, the next reply line) this often, so upstream keeps it `running`. */
  redrawMs: number;
}

/** A terminal agent's spinner redraws about every 100 ms (the project's fake agent does the same). */
export const AGENT_REDRAW_MS = 100;

/** The redraw interval under STUB_TIME_SCALE: the agent must redraw well within the scaled stability length. */
export function scaledRedrawMs(scale: number, redrawMs = AGENT_REDRAW_MS): number {
  return scale === 1 ? redrawMs : Math.max(5, Math.round(redrawMs * scale));
}

export const UPSTREAM_TIMING: Readonly<UpstreamTiming> = {
  snapshotIntervalMs: 25,
  stabilityMs: 2000,
  echoSettleMs: 1000,
  echoTimeoutMs: 2000,
  echoPollMs: 50,
  processTimeoutMs: 15_000,
  processPollMs: 25,
  carriageReturnRetryMs: 3000,
  maxPollMs: 500,
};

/** STUB_TIME_SCALE for tests that need a fast agent but not upstream's exact waits. */
export const FAST_TIME_SCALE = 0.02;

/** Upstream's timings multiplied by `scale` (each at least 1 ms). */
export function scaledTiming(scale: number, base: UpstreamTiming = UPSTREAM_TIMING): UpstreamTiming {
  const out = { ...base };
  for (const key of Object.keys(out) as (keyof UpstreamTiming)[]) out[key] = Math.max(1, Math.round(base[key] * scale));
  return out;
}

/** The test-sized timings: upstream's shape at FAST_TIME_SCALE, and the agent's redraw interval to go with it. */
export const FAST_TIMING: Readonly<UpstreamTiming> = scaledTiming(FAST_TIME_SCALE);
export const FAST_REDRAW_MS = scaledRedrawMs(FAST_TIME_SCALE);

const TIMING_ENV: Record<keyof UpstreamTiming, string> = {
  snapshotIntervalMs: "STUB_SNAPSHOT_INTERVAL_MS",
  stabilityMs: "STUB_STABILITY_MS",
  echoSettleMs: "STUB_ECHO_SETTLE_MS",
  echoTimeoutMs: "STUB_ECHO_TIMEOUT_MS",
  echoPollMs: "STUB_ECHO_POLL_MS",
  processTimeoutMs: "STUB_PROCESS_TIMEOUT_MS",
  processPollMs: "STUB_PROCESS_POLL_MS",
  carriageReturnRetryMs: "STUB_CR_RETRY_MS",
  maxPollMs: "STUB_MAX_POLL_MS",
};

export function timeScale(env: Env): number {
  const raw = read(env, "STUB_TIME_SCALE");
  if (raw === undefined) return 1;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 1) {
    throw new ConfigError(`STUB_TIME_SCALE must be a number in (0, 1] (e.g. 0.02 for the fast mode), got "${raw}"`);
  }
  return value;
}

/** Each timing from its own variable (upstream's value by default), then STUB_TIME_SCALE over all of them. */
export function loadUpstreamTiming(env: Env): UpstreamTiming {
  const base = { ...UPSTREAM_TIMING };
  for (const key of Object.keys(TIMING_ENV) as (keyof UpstreamTiming)[]) {
    base[key] = wholeNumber(env, TIMING_ENV[key], UPSTREAM_TIMING[key], 1, 600_000);
  }
  const scale = timeScale(env);
  const timing = scale === 1 ? base : scaledTiming(scale, base);
  if (timing.snapshotIntervalMs > timing.stabilityMs) {
    throw new ConfigError(
      `STUB_SNAPSHOT_INTERVAL_MS (${timing.snapshotIntervalMs}) must not exceed STUB_STABILITY_MS (${timing.stabilityMs})`,
    );
  }
  return timing;
}

/** Names of the timing variables, for the README and the ready log line. */
export const TIMING_VARIABLES: Readonly<Record<keyof UpstreamTiming, string>> = TIMING_ENV;
