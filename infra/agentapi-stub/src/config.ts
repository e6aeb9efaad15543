// The target's configuration, read once from the environment (see the contract page and the README's table).
// Every problem is reported as one readable line through ConfigError; main.ts prints it and exits 2.
import { loadBrokerSettings, type BrokerSettings } from "./broker/settings";
import { ConfigError, read, wholeNumber, type Env } from "./env";
import { AGENT_REDRAW_MS, loadUpstreamTiming, scaledRedrawMs, timeScale, type UpstreamTiming } from "./agent/timing";
import { TRANSPORTS, type Transport } from "./agent/agent-conversation";
import { ACP_CHUNK_MS } from "./agent/acp-conversation";
import type { StatePersistence } from "./agent/state";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export interface FaultDefaults {
  /** Added latency for every request (ms), unless a request sends its own X-Fault-Delay-Ms. */
  delayMs: number;
  /** Probability (0..1) that a request is answered with `status` instead of being served. */
  errorRate: number;
  /** Status used when `errorRate` fires. */
  status: number;
}

export interface StubConfig {
  host: string;
  agentApiPort: number;
  brokerPort: number;
  /** Hostnames (no ports) accepted in the Host header of the AgentAPI listener; ["*"] = any. */
  allowedHosts: string[];
  /** CORS origins (`scheme://host[:port]`) of the AgentAPI listener; ["*"] = any. */
  allowedOrigins: string[];
  agentType: string;
  /** How long the simulated agent works per user message; drawn uniformly from [min, max]. */
  thinkMs: { min: number; max: number };
  /** How long the simulated agent takes to echo typed text; undefined = it never echoes. */
  echoDelayMs: number | undefined;
  /** How long after Enter the simulated agent's screen first changes. */
  reactDelayMs: number;
  /** How often the working agent redraws its screen. */
  redrawMs: number;
  /** Upstream's waits (server.go, pty_conversation.go); upstream's values unless set. */
  timing: UpstreamTiming;
  /** How many agents the AgentAPI listener serves (agent n at /agents/{n}, agent 1 also at /). */
  agents: number;
  /** How every agent of the target is driven: upstream's PTY mode or its `--experimental-acp` mode. */
  transport: Transport;
  /** ACP: about how often the simulated agent sends a chunk of its reply. */
  acpChunkMs: number;
  /** Upstream's --state-file/--load-state/--save-state (STUB_STATE_FILE…); undefined = no state file. */
  state: StatePersistence | undefined;
  /** Conversation history cap: the oldest messages are dropped beyond it. */
  maxMessages: number;
  /** Cap on concurrent GET /events streams; more get 503. */
  maxSseClients: number;
  faults: FaultDefaults;
  logLevel: LogLevel;
  broker: BrokerSettings;
}

export { ConfigError };

// Upstream's defaults (coder/agentapi cmd/server): hosts localhost, 127.0.0.1, [::1]; origins its chat UI and dev ports.
export const UPSTREAM_ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"];
export const UPSTREAM_ALLOWED_ORIGINS = ["http://localhost:3284", "http://localhost:3000", "http://localhost:3001"];

const MAX_FAULT_DELAY_MS = 30_000;

function port(env: Env, name: string, fallback: number): number {
  return wholeNumber(env, name, fallback, 0, 65535);
}

function probability(env: Env, name: string): number {
  const raw = read(env, name);
  if (raw === undefined) return 0;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new ConfigError(`${name} must be a number between 0 and 1, got "${raw}"`);
  }
  return value;
}

/** "300-1500" or "500" → {min, max}. */
export function parseRange(name: string, raw: string): { min: number; max: number } {
  const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(raw.trim());
  if (!match) throw new ConfigError(`${name} must look like "300-1500" or "500" (milliseconds), got "${raw}"`);
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  if (max < min) throw new ConfigError(`${name}: the maximum (${max}) is below the minimum (${min})`);
  if (max > 600_000) throw new ConfigError(`${name}: at most 600000 ms, got ${max}`);
  return { min, max };
}

/** Upstream semantics: space-separated; `*` alone means any; no whitespace, commas, schemes or ports in an item. */
export function parseAllowedHosts(name: string, raw: string): string[] {
  const items = raw.split(/\s+/).filter((s) => s !== "");
  if (items.length === 0) throw new ConfigError(`${name}: the list must not be empty`);
  if (items.includes("*")) return ["*"];
  return items.map((item) => {
    if (item.includes(",")) throw new ConfigError(`${name}: '${item}' contains commas; separate hosts with spaces`);
    if (/^https?:\/\//i.test(item)) throw new ConfigError(`${name}: '${item}' must not include http:// or https://`);
    let url: URL;
    try {
      url = new URL(`http://${item}`);
    } catch {
      throw new ConfigError(`${name}: '${item}' is not a valid host`);
    }
    if (url.port !== "" || /:\d+$/.test(item)) throw new ConfigError(`${name}: '${item}' must not include a port`);
    // URL keeps IPv6 brackets; the Host check compares without them (as upstream's Hostname()).
    return url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  });
}

/** Upstream semantics: space-separated origins reduced to `scheme://host[:port]`; `*` alone means any. */
export function parseAllowedOrigins(name: string, raw: string): string[] {
  const items = raw.split(/\s+/).filter((s) => s !== "");
  if (items.length === 0) throw new ConfigError(`${name}: the list must not be empty`);
  if (items.includes("*")) return ["*"];
  return items.map((item) => {
    if (item.includes(",")) throw new ConfigError(`${name}: '${item}' contains commas; separate origins with spaces`);
    try {
      const url = new URL(item);
      return `${url.protocol}//${url.host}`;
    } catch {
      throw new ConfigError(`${name}: '${item}' is not a valid origin (expected e.g. http://localhost:3284)`);
    }
  });
}

function logLevel(env: Env): LogLevel {
  const raw = (read(env, "STUB_LOG_LEVEL") ?? read(env, "LOG_LEVEL") ?? "info").toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError(`STUB_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${raw}"`);
  }
  return raw as LogLevel;
}

function agentType(env: Env): string {
  const raw = read(env, "STUB_AGENT_TYPE") ?? "claude";
  if (!/^[a-z][a-z0-9_-]{0,31}$/.test(raw)) {
    throw new ConfigError(`STUB_AGENT_TYPE must be a short lowercase name like "claude", got "${raw}"`);
  }
  return raw;
}

function transport(env: Env): Transport {
  const raw = read(env, "STUB_TRANSPORT") ?? "pty";
  const value = raw.toLowerCase();
  if (!(TRANSPORTS as readonly string[]).includes(value)) {
    throw new ConfigError(`STUB_TRANSPORT must be one of ${TRANSPORTS.join(", ")}, got "${raw}"`);
  }
  return value as Transport;
}

/** A Go bool flag's value (strconv.ParseBool), or undefined when unset. */
function bool(env: Env, name: string): boolean | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  if (["1", "t", "T", "TRUE", "true", "True"].includes(raw)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/** Upstream's rules (cmd/server runServer): load and save default to true with a file; true without one, or any
 * persistence with ACP, is refused with upstream's words. */
function statePersistence(env: Env, transport: Transport): StatePersistence | undefined {
  const file = read(env, "STUB_STATE_FILE");
  const load = bool(env, "STUB_LOAD_STATE");
  const save = bool(env, "STUB_SAVE_STATE");
  if (file === undefined) {
    if (load === true) throw new ConfigError("STUB_LOAD_STATE requires STUB_STATE_FILE to be set");
    if (save === true) throw new ConfigError("STUB_SAVE_STATE requires STUB_STATE_FILE to be set");
    return undefined;
  }
  const state = { file, load: load ?? true, save: save ?? true };
  if (transport === "acp" && (state.load || state.save)) {
    throw new ConfigError("ACP mode doesn't support state persistence (STUB_TRANSPORT=acp with STUB_STATE_FILE set)");
  }
  return state;
}

/** A delay in ms, or `off` (the agent never does it). */
function optionalDelay(env: Env, name: string, fallback: number): number | undefined {
  const raw = read(env, name);
  if (raw?.toLowerCase() === "off") return undefined;
  return wholeNumber(env, name, fallback, 0, 600_000);
}

/** Read and validate everything; throws ConfigError with one readable line. */
export function loadConfig(env: Env = process.env): StubConfig {
  const errorRate = probability(env, "STUB_FAULT_ERROR_RATE");
  const broker: BrokerSettings = loadBrokerSettings(env);
  return {
    host: read(env, "STUB_HOST") ?? "127.0.0.1",
    agentApiPort: port(env, "AGENTAPI_PORT", 3284),
    brokerPort: port(env, "BROKER_PORT", 3000),
    allowedHosts: parseAllowedHosts(
      "AGENTAPI_ALLOWED_HOSTS",
      read(env, "AGENTAPI_ALLOWED_HOSTS") ?? UPSTREAM_ALLOWED_HOSTS.join(" "),
    ),
    allowedOrigins: parseAllowedOrigins(
      "AGENTAPI_ALLOWED_ORIGINS",
      read(env, "AGENTAPI_ALLOWED_ORIGINS") ?? UPSTREAM_ALLOWED_ORIGINS.join(" "),
    ),
    agentType: agentType(env),
    thinkMs: parseRange("STUB_THINK_MS", read(env, "STUB_THINK_MS") ?? "300-1500"),
    echoDelayMs: optionalDelay(env, "STUB_ECHO_DELAY_MS", 2),
    reactDelayMs: wholeNumber(env, "STUB_REACT_DELAY_MS", 2, 0, 600_000),
    redrawMs: scaledRedrawMs(timeScale(env), wholeNumber(env, "STUB_REDRAW_MS", AGENT_REDRAW_MS, 1, 60_000)),
    timing: loadUpstreamTiming(env),
    agents: wholeNumber(env, "STUB_AGENTS", 1, 1, 10_000),
    transport: transport(env),
    acpChunkMs: wholeNumber(env, "STUB_ACP_CHUNK_MS", ACP_CHUNK_MS, 1, 60_000),
    state: statePersistence(env, transport(env)),
    maxMessages: wholeNumber(env, "STUB_MAX_MESSAGES", 1000, 2, 1_000_000),
    maxSseClients: wholeNumber(env, "STUB_MAX_SSE_CLIENTS", 1000, 1, 100_000),
    faults: {
      delayMs: wholeNumber(env, "STUB_FAULT_DELAY_MS", 0, 0, MAX_FAULT_DELAY_MS),
      errorRate,
      status: wholeNumber(env, "STUB_FAULT_STATUS", 503, 400, 599),
    },
    logLevel: logLevel(env),
    broker,
  };
}

export { MAX_FAULT_DELAY_MS };
