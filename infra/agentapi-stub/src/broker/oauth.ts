// The simulated OAuth broker: init → provider consent (authorize) → callback (code + PKCE) → refresh (rotation)
// → revoke. Pure flow logic over the Store; routes live in index.ts.
import { randomUUID } from "node:crypto";
import { HttpProblem } from "../problem";
import { configTtlMs } from "./auth";
import type { McpConfigRecord, Store } from "../store/types";
import type { CallbackBody, InitBody, RefreshBody, TokenPair } from "./schemas";
import type { BrokerSettings } from "./settings";
import { expiresInSeconds, pkceMatches, randomToken, sha256Base64url, signToken } from "./tokens";

function badRequest(detail: string): HttpProblem {
  return new HttpProblem(400, detail);
}

function unknownConfig(configId: string): HttpProblem {
  // Same answer for "never existed" and "someone else's": a user cannot probe other users' configs.
  return new HttpProblem(404, `no MCP config ${configId} for this user`);
}

/** redirect_uri must be an absolute http(s) URL without a fragment (RFC 6749 §3.1.2). */
function redirectUri(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest(`redirect_uri is not an absolute URL: "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw badRequest(`redirect_uri must use http or https, got "${url.protocol.slice(0, -1)}"`);
  }
  if (url.hash !== "") throw badRequest("redirect_uri must not contain a fragment");
  return url;
}

export class OAuthBroker {
  constructor(
    private readonly settings: BrokerSettings,
    private readonly store: Store,
  ) {}

  /** Register the user (or extend their record) and sign a user token. */
  async issueUserToken(userId: string): Promise<{ access_token: string; token_type: "Bearer"; expires_in: number }> {
    const { users } = this.store;
    const known = await users.get(userId);
    // The record lives as long as the newest token, so every unexpired token of a known user verifies.
    await users.set(
      userId,
      { userId, firstSeenAt: known?.firstSeenAt ?? Date.now(), tokensIssued: (known?.tokensIssued ?? 0) + 1 },
      this.settings.userTokenTtlMs,
    );
    const { token } = signToken(this.settings.tokenSecret, { use: "user", sub: userId }, this.settings.userTokenTtlMs);
    return { access_token: token, token_type: "Bearer", expires_in: expiresInSeconds(this.settings.userTokenTtlMs) };
  }

  async init(
    ownerId: string,
    body: InitBody,
    brokerOrigin: string,
  ): Promise<{ mcp_config_id: string; state: string; authorization_url: string; expires_in: number }> {
    const redirect = redirectUri(body.redirect_uri);
    let authorizationUrl: URL;
    try {
      authorizationUrl = new URL("/api/mcp/oauth/authorize", brokerOrigin);
    } catch {
      throw badRequest("the Host header is not a valid host, so no authorization_url can be built");
    }
    const { stateTtlMs } = this.settings;
    const configId = randomUUID();
    const state = randomToken();
    const config: McpConfigRecord = {
      configId,
      ownerId,
      mcpName: body.mcp_name,
      provider: body.provider,
      redirectUri: redirect.href,
      codeChallenge: body.code_challenge,
      status: "pending",
      createdAt: Date.now(),
    };
    await this.store.mcpConfigs.set(configId, config, stateTtlMs);
    await this.store.oauthStates.set(state, { configId, ownerId }, stateTtlMs);
    authorizationUrl.searchParams.set("state", state);
    return {
      mcp_config_id: configId,
      state,
      authorization_url: authorizationUrl.href,
      expires_in: expiresInSeconds(stateTtlMs),
    };
  }

  /** The simulated provider's consent: consume the state, mint a single-use code, return where to redirect. */
  async authorize(userId: string, state: string): Promise<URL> {
    const { oauthStates, mcpConfigs, oauthCodes } = this.store;
    const pending = await oauthStates.get(state);
    // Check the owner before consuming, so nobody can burn another user's state.
    if (pending === undefined || pending.ownerId !== userId) throw badRequest("unknown or expired state");
    if ((await oauthStates.take(state)) === undefined) throw badRequest("unknown or expired state");
    const config = await mcpConfigs.get(pending.configId);
    if (config?.status !== "pending") throw badRequest("the authorization request for this state no longer exists");
    const code = randomToken();
    await oauthCodes.set(
      code,
      { configId: config.configId, ownerId: userId, state, codeChallenge: config.codeChallenge },
      this.settings.codeTtlMs,
    );
    const location = new URL(config.redirectUri);
    location.searchParams.set("code", code);
    location.searchParams.set("state", state);
    return location;
  }

  async callback(userId: string, body: CallbackBody): Promise<TokenPair> {
    // Taken before any check: a code is spent by its first use, right or wrong (RFC 6749 §4.1.2, §10.5).
    const code = await this.store.oauthCodes.take(body.code);
    if (code === undefined) throw badRequest("the authorization code is unknown, expired or already used");
    if (code.ownerId !== userId) throw badRequest("the authorization code was not issued to this user");
    if (code.state !== body.state)
      throw badRequest("state does not match the one the authorization code was issued for");
    if (!pkceMatches(body.code_verifier, code.codeChallenge)) {
      throw badRequest("code_verifier does not match code_challenge (PKCE S256)");
    }
    const config = await this.store.mcpConfigs.get(code.configId);
    if (config?.status !== "pending") throw badRequest("the MCP config of this authorization code no longer exists");
    return this.issuePair(config);
  }

  /** Rotation: the presented refresh token is spent and a new pair replaces the old one. */
  async refresh(userId: string, body: RefreshBody): Promise<TokenPair> {
    const config = await this.ownedConfig(userId, body.mcp_config_id);
    if (config.status !== "active") throw badRequest("the MCP config has not completed the OAuth callback yet");
    const hash = sha256Base64url(body.refresh_token);
    const current = await this.store.refreshTokens.get(hash);
    if (current?.configId !== config.configId || hash !== config.refreshTokenHash) {
      throw badRequest("the refresh token is invalid, expired or already used");
    }
    // take() is atomic: of two concurrent refreshes with the same token, only one wins.
    if ((await this.store.refreshTokens.take(hash)) === undefined) {
      throw badRequest("the refresh token is invalid, expired or already used");
    }
    return this.issuePair(config);
  }

  async revoke(userId: string, configId: string): Promise<{ revoked: true }> {
    const { mcpConfigs, refreshTokens, revocations } = this.store;
    const config = await mcpConfigs.get(configId);
    if (config === undefined || config.ownerId !== userId) {
      const revocation = await revocations.get(configId);
      // Revoking twice is not an error (RFC 7009 §2.2), but only for the owner.
      if (revocation?.ownerId === userId) return { revoked: true };
      throw unknownConfig(configId);
    }
    await mcpConfigs.delete(configId);
    if (config.refreshTokenHash !== undefined) await refreshTokens.delete(config.refreshTokenHash);
    // Remembered while any token of the config could still be presented.
    await revocations.set(configId, { configId, ownerId: userId, revokedAt: Date.now() }, configTtlMs(this.settings));
    return { revoked: true };
  }

  private async ownedConfig(userId: string, configId: string): Promise<McpConfigRecord> {
    const config = await this.store.mcpConfigs.get(configId);
    if (config !== undefined && config.ownerId === userId) return config;
    const revocation = await this.store.revocations.get(configId);
    if (revocation?.ownerId === userId) throw badRequest(`the MCP config ${configId} was revoked`);
    throw unknownConfig(configId);
  }

  private async issuePair(config: McpConfigRecord): Promise<TokenPair> {
    const { tokenSecret, accessTokenTtlMs, refreshTokenTtlMs } = this.settings;
    const access = signToken(tokenSecret, { use: "mcp", sub: config.ownerId, cfg: config.configId }, accessTokenTtlMs);
    const refreshToken = randomToken();
    const refreshTokenHash = sha256Base64url(refreshToken);
    await this.store.refreshTokens.set(
      refreshTokenHash,
      { configId: config.configId, ownerId: config.ownerId },
      refreshTokenTtlMs,
    );
    await this.store.mcpConfigs.set(
      config.configId,
      { ...config, status: "active", accessTokenId: access.claims.jti, refreshTokenHash },
      configTtlMs(this.settings),
    );
    return {
      mcp_config_id: config.configId,
      access_token: access.token,
      refresh_token: refreshToken,
      token_type: "Bearer",
      expires_in: expiresInSeconds(accessTokenTtlMs),
    };
  }
}
