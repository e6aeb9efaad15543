// Broker/MCP/store settings from the environment: documented defaults, overrides, and one readable line per mistake.
import { describe, expect, it } from "vitest";
import {
  BROKER_DEFAULTS,
  loadBrokerSettings,
  MIN_SECRET_LENGTH,
  STORE_CAP_ENV,
} from "../../infra/agentapi-stub/src/broker/settings";
import { DEFAULT_STORE_CAPS, DEFAULT_SWEEP_INTERVAL_MS, STORE_KINDS } from "../../infra/agentapi-stub/src/store";

describe("loadBrokerSettings", () => {
  it("uses the documented defaults and a fresh random secret per process", () => {
    const first = loadBrokerSettings({});
    const second = loadBrokerSettings({});
    expect(first).toMatchObject({ ...BROKER_DEFAULTS, tokenSecretSource: "random" });
    expect(first.store).toEqual({ caps: DEFAULT_STORE_CAPS, sweepIntervalMs: DEFAULT_SWEEP_INTERVAL_MS });
    expect(first.tokenSecret).toHaveLength(32);
    expect(first.tokenSecret.equals(second.tokenSecret)).toBe(false);
  });

  it("reads every override", () => {
    const env: Record<string, string> = {
      STUB_TOKEN_SECRET: "s".repeat(MIN_SECRET_LENGTH),
      STUB_USER_TOKEN_TTL_MS: "1000",
      STUB_ACCESS_TOKEN_TTL_MS: "2000",
      STUB_REFRESH_TOKEN_TTL_MS: "3000",
      STUB_OAUTH_STATE_TTL_MS: "4000",
      STUB_OAUTH_CODE_TTL_MS: "5000",
      STUB_MCP_SESSION_IDLE_MS: "6000",
      STUB_MCP_TOOL_LATENCY_SCALE: "0.25",
      STUB_STORE_SWEEP_MS: "700",
    };
    STORE_KINDS.forEach((kind, i) => (env[STORE_CAP_ENV[kind]] = String(100 + i)));
    const settings = loadBrokerSettings(env);
    expect(settings).toMatchObject({
      tokenSecretSource: "env",
      userTokenTtlMs: 1000,
      accessTokenTtlMs: 2000,
      refreshTokenTtlMs: 3000,
      stateTtlMs: 4000,
      codeTtlMs: 5000,
      mcpSessionIdleMs: 6000,
      toolLatencyScale: 0.25,
    });
    expect(settings.tokenSecret.toString()).toBe(env.STUB_TOKEN_SECRET);
    expect(settings.store.sweepIntervalMs).toBe(700);
    STORE_KINDS.forEach((kind, i) => expect(settings.store.caps[kind]).toBe(100 + i));
  });

  it.each([
    [{ STUB_TOKEN_SECRET: "short" }, /STUB_TOKEN_SECRET must be at least 32 characters/],
    [{ STUB_USER_TOKEN_TTL_MS: "1h" }, /STUB_USER_TOKEN_TTL_MS must be a whole number, got "1h"/],
    [{ STUB_OAUTH_CODE_TTL_MS: "0" }, /STUB_OAUTH_CODE_TTL_MS must be between 1 and/],
    [{ STUB_MCP_TOOL_LATENCY_SCALE: "-1" }, /STUB_MCP_TOOL_LATENCY_SCALE must be a number between 0 and 100/],
    [{ STUB_STORE_MAX_MCP_SESSIONS: "0" }, /STUB_STORE_MAX_MCP_SESSIONS must be between 1 and/],
    [{ STUB_STORE_SWEEP_MS: "5" }, /STUB_STORE_SWEEP_MS must be between 10 and/],
  ])("refuses %o with one readable line", (env, message) => {
    let error: unknown;
    try {
      loadBrokerSettings(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("\n");
  });
});
