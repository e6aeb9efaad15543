// Broker, MCP and store settings, read from the environment (README table). All durations are milliseconds so
// tests can use tiny TTLs; every bad value fails with one readable line.
import { randomBytes } from "node:crypto";
import { ConfigError, read, wholeNumber, type Env } from "../env";
import { DEFAULT_STORE_CAPS, DEFAULT_SWEEP_INTERVAL_MS } from "../store/memory";
import { STORE_KINDS, type MemoryStoreOptions, type StoreCaps, type StoreKind } from "../store/types";

export interface BrokerSettings {
  /** HMAC-SHA256 key for user and MCP access tokens. */
  tokenSecret: Buffer;
  /** "env" when STUB_TOKEN_SECRET was given; "random" = fresh per process, so tokens die with it. */
  tokenSecretSource: "env" | "random";
  userTokenTtlMs: number;
  accessTokenTtlMs: number;
  /** Also how long an active MCP config lives without a refresh. */
  refreshTokenTtlMs: number;
  /** How long an init may wait for the provider's consent (and how long a pending config lives). */
  stateTtlMs: number;
  codeTtlMs: number;
  /** An MCP session unused for this long is closed. */
  mcpSessionIdleMs: number;
  /** Multiplies every MCP tool's simulated latency; 0 = instant (tests). */
  toolLatencyScale: number;
  store: MemoryStoreOptions;
}

export const MIN_SECRET_LENGTH = 32;
const DAY_MS = 86_400_000;

/** Env variable that overrides each store cap. */
export const STORE_CAP_ENV: Readonly<Record<StoreKind, string>> = Object.freeze({
  users: "STUB_STORE_MAX_USERS",
  oauthStates: "STUB_STORE_MAX_OAUTH_STATES",
  oauthCodes: "STUB_STORE_MAX_OAUTH_CODES",
  mcpConfigs: "STUB_STORE_MAX_MCP_CONFIGS",
  refreshTokens: "STUB_STORE_MAX_REFRESH_TOKENS",
  revocations: "STUB_STORE_MAX_REVOCATIONS",
  mcpSessions: "STUB_STORE_MAX_MCP_SESSIONS",
});

export const BROKER_DEFAULTS = Object.freeze({
  userTokenTtlMs: 3_600_000,
  accessTokenTtlMs: 3_600_000,
  refreshTokenTtlMs: DAY_MS,
  stateTtlMs: 600_000,
  codeTtlMs: 60_000,
  mcpSessionIdleMs: 300_000,
  toolLatencyScale: 1,
});

function tokenSecret(env: Env): Pick<BrokerSettings, "tokenSecret" | "tokenSecretSource"> {
  const raw = read(env, "STUB_TOKEN_SECRET");
  if (raw === undefined) return { tokenSecret: randomBytes(32), tokenSecretSource: "random" };
  if (raw.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`STUB_TOKEN_SECRET must be at least ${MIN_SECRET_LENGTH} characters (got ${raw.length})`);
  }
  return { tokenSecret: Buffer.from(raw, "utf8"), tokenSecretSource: "env" };
}

function latencyScale(env: Env): number {
  const raw = read(env, "STUB_MCP_TOOL_LATENCY_SCALE");
  if (raw === undefined) return BROKER_DEFAULTS.toolLatencyScale;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 100) {
    throw new ConfigError(`STUB_MCP_TOOL_LATENCY_SCALE must be a number between 0 and 100, got "${raw}"`);
  }
  return value;
}

function storeCaps(env: Env): StoreCaps {
  const caps = { ...DEFAULT_STORE_CAPS };
  for (const kind of STORE_KINDS) caps[kind] = wholeNumber(env, STORE_CAP_ENV[kind], caps[kind], 1, 10_000_000);
  return caps;
}

/** Read and validate; throws an Error whose message is one readable line. */
export function loadBrokerSettings(env: NodeJS.ProcessEnv | Env): BrokerSettings {
  const ttl = (name: string, fallback: number): number => wholeNumber(env, name, fallback, 1, 30 * DAY_MS);
  return {
    ...tokenSecret(env),
    userTokenTtlMs: ttl("STUB_USER_TOKEN_TTL_MS", BROKER_DEFAULTS.userTokenTtlMs),
    accessTokenTtlMs: ttl("STUB_ACCESS_TOKEN_TTL_MS", BROKER_DEFAULTS.accessTokenTtlMs),
    refreshTokenTtlMs: ttl("STUB_REFRESH_TOKEN_TTL_MS", BROKER_DEFAULTS.refreshTokenTtlMs),
    stateTtlMs: ttl("STUB_OAUTH_STATE_TTL_MS", BROKER_DEFAULTS.stateTtlMs),
    codeTtlMs: ttl("STUB_OAUTH_CODE_TTL_MS", BROKER_DEFAULTS.codeTtlMs),
    mcpSessionIdleMs: ttl("STUB_MCP_SESSION_IDLE_MS", BROKER_DEFAULTS.mcpSessionIdleMs),
    toolLatencyScale: latencyScale(env),
    store: {
      caps: storeCaps(env),
      sweepIntervalMs: wholeNumber(env, "STUB_STORE_SWEEP_MS", DEFAULT_SWEEP_INTERVAL_MS, 10, 3_600_000),
    },
  };
}
