// What a VU keeps between iterations (each k6 VU has its own copy of module state): its user token, the MCP
// OAuth config it owns with the current token pair, and its open MCP session, if any.

import type { McpSession } from "./clients/mcp";
import { metrics } from "./metrics";

export interface McpConfigTokens {
  configId: string;
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
  /** Epoch ms when this token pair was issued (callback or refresh). */
  issuedAt: number;
}

export interface VuState {
  userToken: string | null;
  userTokenExpiresAt: number;
  config: McpConfigTokens | null;
  session: McpSession | null;
}

export const vu: VuState = { userToken: null, userTokenExpiresAt: 0, config: null, session: null };

/** Tokens are renewed this long before they expire, so no request races an expiry. */
export const EXPIRY_MARGIN_MS = 60_000;

export function expiresAt(expiresInSeconds: number): number {
  return Date.now() + expiresInSeconds * 1000;
}

export function stillValid(epochMs: number): boolean {
  return epochMs - EXPIRY_MARGIN_MS > Date.now();
}

/**
 * Record the VU's session; active_connections reports how many sessions this VU holds (0 or 1) after each open or
 * close (forgetting a session the VU did not have is neither: no sample).
 */
export function setSession(session: McpSession | null): void {
  const changed = (session === null) !== (vu.session === null) || (session !== null && session !== vu.session);
  vu.session = session;
  if (changed) metrics.activeConnections.add(session ? 1 : 0);
}
