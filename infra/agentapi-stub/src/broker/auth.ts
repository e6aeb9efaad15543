// Bearer authentication for the broker API (user tokens) and for /mcp (MCP access tokens). Every refusal is a
// 401 problem with an RFC 6750 `WWW-Authenticate: Bearer` challenge.
import { HttpProblem } from "../problem";
import type { Store } from "../store/types";
import type { BrokerSettings } from "./settings";
import { verifyToken, type TokenUse } from "./tokens";

const REALM = "agentapi-stub";

function unauthorized(detail: string, tokenWasSent: boolean): HttpProblem {
  // RFC 6750 §3.1: no error code when the request carried no token at all.
  const challenge = tokenWasSent
    ? `Bearer realm="${REALM}", error="invalid_token", error_description="${detail}"`
    : `Bearer realm="${REALM}"`;
  return new HttpProblem(401, detail, undefined, { "WWW-Authenticate": challenge });
}

function bearerToken(header: string | undefined, use: TokenUse): string {
  const what =
    use === "user" ? "a user token from POST /api/auth/token" : "an MCP access token from the OAuth callback";
  if (header === undefined || header === "") {
    throw unauthorized(`Authorization: Bearer <token> is required (${what})`, false);
  }
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(header);
  if (!match?.[1]) throw unauthorized("the Authorization header must be 'Bearer <token>'", false);
  return match[1];
}

/** The user id behind `Authorization: Bearer <user token>`; the user must still be known to the store. */
export async function authenticateUser(
  header: string | undefined,
  settings: BrokerSettings,
  store: Store,
): Promise<string> {
  const result = verifyToken(settings.tokenSecret, bearerToken(header, "user"), "user");
  if (!result.ok) throw unauthorized(result.reason, true);
  // Sliding: each use keeps the user fresh (and last in eviction order), so an active user is never dropped by the
  // cap, and the record always outlives every token issued to it.
  if ((await store.users.touch(result.claims.sub, settings.userTokenTtlMs)) === undefined) {
    throw unauthorized("the user is no longer known to the broker; request a new token", true);
  }
  return result.claims.sub;
}

/** How long an active MCP config lives after its last token issue or use. */
export function configTtlMs(settings: BrokerSettings): number {
  return Math.max(settings.accessTokenTtlMs, settings.refreshTokenTtlMs);
}

export interface McpAccess {
  token: string;
  userId: string;
  configId: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

/** Check an MCP access token: signature, expiry, and that it is still the current token of a live config. */
export async function authenticateMcpAccess(
  header: string | undefined,
  settings: BrokerSettings,
  store: Store,
): Promise<McpAccess> {
  const token = bearerToken(header, "mcp");
  const result = verifyToken(settings.tokenSecret, token, "mcp");
  if (!result.ok) throw unauthorized(result.reason, true);
  const { sub, cfg, jti, exp } = result.claims;
  if (cfg === undefined) throw unauthorized("the token is malformed", true);
  // Touched like users: a config in use is the last one the cap would evict.
  const config = await store.mcpConfigs.touch(cfg, configTtlMs(settings));
  if (config === undefined) {
    const revoked = (await store.revocations.get(cfg)) !== undefined;
    throw unauthorized(revoked ? "the MCP config was revoked" : "the MCP config no longer exists", true);
  }
  if (config.ownerId !== sub || config.accessTokenId !== jti) {
    throw unauthorized("the access token was replaced by a refresh", true);
  }
  // Its refresh token is kept fresh with it, so a config in use can still be refreshed after many newer grants.
  if (config.refreshTokenHash !== undefined) {
    await store.refreshTokens.touch(config.refreshTokenHash, settings.refreshTokenTtlMs);
  }
  return { token, userId: sub, configId: cfg, expiresAt: exp };
}
