// Multi-step flows several journeys share: logging in (user token → OAuth PKCE → tokens) and opening an MCP
// session (initialize → initialized → tools/list). Each step has its check; the login steps, MCP initialize,
// refresh, revoke and the agent status are groups named after them (the suite's tests and reports find those by
// their group); the flow records its success rate and duration (request time only — no think time inside).

import { group } from "k6";
import { getStatus } from "./clients/agentapi";
import {
  authorize,
  oauthCallback,
  oauthInit,
  oauthRefresh,
  oauthRevoke,
  PROVIDERS,
  requestUserToken,
} from "./clients/broker";
import { initialize, listTools, notifyInitialized, type McpSession } from "./clients/mcp";
import {
  checkAuthorize,
  checkCallback,
  checkInitialize,
  checkInitialized,
  checkOAuthInit,
  checkRefresh,
  checkRevoke,
  checkStatus,
  checkToolsList,
  checkUserToken,
} from "./checks";
import { createPkce } from "./lib/pkce";
import { iteration, userId } from "./lib/iteration";
import { metrics } from "./metrics";
import { agentUrl } from "./agent-target";
import { config } from "./run-config";
import { expiresAt, setSession, stillValid, vu, type McpConfigTokens } from "./vu-state";
import type { StatusBody } from "./lib/guards";

/** A fresh end-user token from the broker, kept by the VU. */
export function fetchUserToken(): string | null {
  return group("user token", () => {
    const r = requestUserToken(config.authUrl, userId());
    if (!checkUserToken(r) || r.body === null) return null;
    vu.userToken = r.body.access_token;
    vu.userTokenExpiresAt = expiresAt(r.body.expires_in);
    return vu.userToken;
  });
}

/** The VU's user token, fetched again when missing or about to expire. */
export function ensureUserToken(): string | null {
  if (vu.userToken !== null && stillValid(vu.userTokenExpiresAt)) return vu.userToken;
  return fetchUserToken();
}

/**
 * Log in: user token → OAuth init (PKCE S256) → authorize (302, code read from Location) → callback.
 * The VU keeps the resulting config and tokens. Records auth_success_rate and auth_duration.
 */
export function logIn(): McpConfigTokens | null {
  const started = Date.now();
  const userToken = fetchUserToken();
  const tokens = userToken === null ? null : oauthDance(userToken);
  metrics.authSuccessRate.add(tokens !== null);
  if (tokens !== null) {
    metrics.authDuration.add(Date.now() - started);
    vu.config = tokens;
  }
  return tokens;
}

function oauthDance(userToken: string): McpConfigTokens | null {
  const pkce = createPkce();
  const provider = PROVIDERS[iteration() % PROVIDERS.length] ?? "github";

  const init = group("oauth init", () => {
    const r = oauthInit(config.oauthBaseUrl, userToken, {
      mcpName: `k6-${provider}`,
      provider,
      codeChallenge: pkce.challenge,
    });
    return checkOAuthInit(r) ? r.body : null;
  });
  if (init === null) return null;

  const code = group("authorize", () => {
    const r = authorize(config.oauthBaseUrl, userToken, init.state);
    return checkAuthorize(r, init.state) ? r.code : null;
  });
  if (code === null) return null;

  return group("callback", () => {
    const r = oauthCallback(config.oauthBaseUrl, userToken, {
      state: init.state,
      code,
      codeVerifier: pkce.verifier,
    });
    if (!checkCallback(r, init.mcp_config_id) || r.body === null) return null;
    return {
      configId: r.body.mcp_config_id ?? init.mcp_config_id,
      accessToken: r.body.access_token,
      refreshToken: r.body.refresh_token,
      expiresAt: expiresAt(r.body.expires_in),
      issuedAt: Date.now(),
    };
  });
}

/**
 * Open an MCP session with the config's access token: initialize → notifications/initialized → tools/list.
 * Records mcp_connection_success_rate and mcp_connection_duration; a failure also counts in connection_failures.
 */
export function connectMcp(tokens: McpConfigTokens): McpSession | null {
  const started = Date.now();
  const session = group("mcp initialize", () => {
    const r = initialize(config.mcpUrl, tokens.accessToken);
    return checkInitialize(r) ? r.session : null;
  });
  const initialized = session !== null && checkInitialized(notifyInitialized(config.mcpUrl, session));
  const listed = initialized && session !== null && checkToolsList(listTools(config.mcpUrl, session));

  const ok = session !== null && initialized && listed;
  metrics.mcpConnectionSuccessRate.add(ok);
  if (ok) {
    metrics.mcpConnectionDuration.add(Date.now() - started);
  } else {
    metrics.connectionFailures.add(1, { endpoint: "mcp_initialize" });
  }
  setSession(ok ? session : null);
  return ok ? session : null;
}

/**
 * A VU that keeps a session refreshes its token pair this often, as a long-lived client would. Refreshing also
 * keeps its config recently written on the broker, whose store evicts the least recently written entries at its cap.
 */
export const TOKEN_REFRESH_INTERVAL_MS = 120_000;

/** The VU's MCP session, logging in and connecting first when it has none (or its token is about to expire). */
export function ensureSession(): McpSession | null {
  const session = vu.session;
  if (session !== null && vu.config !== null && stillValid(vu.config.expiresAt)) {
    if (Date.now() - vu.config.issuedAt > TOKEN_REFRESH_INTERVAL_MS) {
      const refreshed = refreshOwnConfig();
      // Same config, new access token: the session stays; its requests carry the new token.
      if (refreshed !== null) session.accessToken = refreshed.accessToken;
    }
    return session;
  }
  setSession(null);
  // A config that is still valid gets a new session; otherwise log in again.
  const tokens = vu.config !== null && stillValid(vu.config.expiresAt) ? vu.config : logIn();
  return tokens === null ? null : connectMcp(tokens);
}

/**
 * Refresh the VU's OWN config (logging in first if it has none): the rotated pair replaces the old one.
 * Counts token_refresh_count.
 */
export function refreshOwnConfig(): McpConfigTokens | null {
  const own = vu.config ?? logIn();
  const userToken = ensureUserToken();
  if (own === null || userToken === null) return null;
  return group("refresh", () => {
    const r = oauthRefresh(config.oauthBaseUrl, userToken, own.configId, own.refreshToken);
    if (!checkRefresh(r, own.refreshToken) || r.body === null) return null;
    metrics.tokenRefreshCount.add(1);
    const tokens: McpConfigTokens = {
      configId: own.configId,
      accessToken: r.body.access_token,
      refreshToken: r.body.refresh_token,
      expiresAt: expiresAt(r.body.expires_in),
      issuedAt: Date.now(),
    };
    vu.config = tokens;
    return tokens;
  });
}

/** Revoke the VU's own config (sign out); the broker forgets it and its tokens stop working. */
export function revokeOwnConfig(): boolean {
  const own = vu.config;
  const userToken = ensureUserToken();
  if (own === null || userToken === null) return false;
  const revoked = group("revoke", () => checkRevoke(oauthRevoke(config.oauthBaseUrl, userToken, own.configId)));
  if (revoked) vu.config = null;
  return revoked;
}

/**
 * After a 404 the server no longer knows the session (idle timeout); after a 401 it no longer accepts the config's
 * token either. Either way the next iteration reconnects (after a 401, with a fresh login).
 */
export function forgetSessionIfGone(status: number): void {
  if (status === 401) vu.config = null;
  if (status === 401 || status === 404) setSession(null);
}

/** GET /status with its checks, as one step. */
export function agentStatusStep(): StatusBody | null {
  return group("agent status", () => {
    const r = getStatus(agentUrl());
    checkStatus(r);
    return r.body;
  });
}
