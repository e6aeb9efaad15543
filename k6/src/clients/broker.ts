// Client for the broker: end-user tokens and the MCP OAuth flow (init → authorize → callback, refresh, revoke).

import { send, type Reply } from "./http";
import { queryParams } from "../lib/url";
import {
  isOAuthInitBody,
  isRevokeBody,
  isTokenPairBody,
  isUserTokenBody,
  type OAuthInitBody,
  type RevokeBody,
  type TokenPairBody,
  type UserTokenBody,
} from "../lib/guards";

export const PROVIDERS = ["github", "google", "azure"] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Where the simulated provider sends the browser back; the suite reads the code from the 302 and never goes there. */
export const REDIRECT_URI = "http://localhost/k6/oauth/callback";

export interface UserTokenReply {
  reply: Reply;
  body: UserTokenBody | null;
}

export function requestUserToken(authUrl: string, userId: string): UserTokenReply {
  const reply = send("POST", authUrl, { user_id: userId }, { endpoint: "auth_token" });
  return { reply, body: reply.status === 200 && isUserTokenBody(reply.json) ? reply.json : null };
}

export interface OAuthInitReply {
  reply: Reply;
  body: OAuthInitBody | null;
}

export function oauthInit(
  oauthBaseUrl: string,
  userToken: string,
  req: { mcpName: string; provider: Provider; codeChallenge: string },
): OAuthInitReply {
  const reply = send(
    "POST",
    `${oauthBaseUrl}/init`,
    {
      mcp_name: req.mcpName,
      provider: req.provider,
      redirect_uri: REDIRECT_URI,
      code_challenge: req.codeChallenge,
      code_challenge_method: "S256",
    },
    { endpoint: "oauth_init", bearer: userToken },
  );
  return { reply, body: reply.status === 200 && isOAuthInitBody(reply.json) ? reply.json : null };
}

export interface AuthorizeReply {
  reply: Reply;
  code: string | null;
  state: string | null;
}

/** The provider's consent: a 302 back to the redirect URI. Not followed — the code is read from `Location`. */
export function authorize(oauthBaseUrl: string, userToken: string, state: string): AuthorizeReply {
  const reply = send("GET", `${oauthBaseUrl}/authorize?state=${encodeURIComponent(state)}`, undefined, {
    endpoint: "oauth_authorize",
    name: `${oauthBaseUrl}/authorize?state={state}`,
    bearer: userToken,
    redirects: 0,
  });
  const params = queryParams(reply.header("Location") ?? "");
  return { reply, code: params.code ?? null, state: params.state ?? null };
}

export interface TokenPairReply {
  reply: Reply;
  body: TokenPairBody | null;
}

export function oauthCallback(
  oauthBaseUrl: string,
  userToken: string,
  req: { state: string; code: string; codeVerifier: string },
): TokenPairReply {
  const reply = send(
    "POST",
    `${oauthBaseUrl}/callback`,
    { state: req.state, code: req.code, code_verifier: req.codeVerifier },
    { endpoint: "oauth_callback", bearer: userToken },
  );
  return { reply, body: reply.status === 200 && isTokenPairBody(reply.json) ? reply.json : null };
}

export function oauthRefresh(
  oauthBaseUrl: string,
  userToken: string,
  configId: string,
  refreshToken: string,
): TokenPairReply {
  const reply = send(
    "POST",
    `${oauthBaseUrl}/refresh`,
    { mcp_config_id: configId, refresh_token: refreshToken },
    { endpoint: "oauth_refresh", bearer: userToken },
  );
  return { reply, body: reply.status === 200 && isTokenPairBody(reply.json) ? reply.json : null };
}

export interface RevokeReply {
  reply: Reply;
  body: RevokeBody | null;
}

export function oauthRevoke(oauthBaseUrl: string, userToken: string, configId: string): RevokeReply {
  const reply = send(
    "POST",
    `${oauthBaseUrl}/revoke`,
    { mcp_config_id: configId },
    { endpoint: "oauth_revoke", bearer: userToken },
  );
  return { reply, body: reply.status === 200 && isRevokeBody(reply.json) ? reply.json : null };
}
