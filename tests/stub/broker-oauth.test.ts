// The broker's OAuth flow end to end on the in-process stub: the happy path and every refusal the contract names.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBrokerSettings } from "../../infra/agentapi-stub/src/broker/settings";
import { startStub, type RunningStub } from "../../infra/agentapi-stub/src/stub";
import {
  ANY_STRING,
  authorize,
  authorizeCode,
  deleteMcpSession,
  expectProblem,
  getUserToken,
  grantMcpAccess,
  initBody,
  initOAuth,
  initializeRequest,
  mcpPost,
  openMcpSession,
  pkcePair,
  postJson,
  sleep,
} from "./broker-helpers";

const UUID: unknown = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

const stubs: RunningStub[] = [];
async function stubWith(env: Record<string, string> = {}): Promise<string> {
  const stub = await startStub({
    agentApiPort: 0,
    brokerPort: 0,
    broker: loadBrokerSettings({ STUB_MCP_TOOL_LATENCY_SCALE: "0", ...env }),
  });
  stubs.push(stub);
  return stub.brokerUrl;
}

let broker: string;
let alice: string;
let bob: string;

beforeAll(async () => {
  broker = await stubWith();
  alice = await getUserToken(broker, "alice");
  bob = await getUserToken(broker, "bob@example.com");
});
afterAll(async () => {
  await Promise.all(stubs.map((stub) => stub.close()));
});

describe("user tokens", () => {
  it("issues a signed Bearer token with its lifetime", async () => {
    const response = await postJson(broker, "/api/auth/token", { user_id: "carol" });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ access_token: ANY_STRING, token_type: "Bearer", expires_in: 3600 });
    expect(String(response.body.access_token).split(".")).toHaveLength(3);
  });

  it.each([
    ["a missing user_id", {}],
    ["an empty user_id", { user_id: "" }],
    ["a user_id with spaces", { user_id: "a b" }],
    ["a user_id of the wrong type", { user_id: { id: 1 } }],
    ["an overlong user_id", { user_id: "u".repeat(129) }],
  ])("refuses %s with 400 problem+json naming the field", async (_name, body) => {
    const response = await postJson(broker, "/api/auth/token", body);
    expectProblem(response, 400);
    expect(JSON.stringify(response.body.errors)).toContain("user_id");
  });

  it("guards every /api/mcp/oauth/* route with 401 + WWW-Authenticate", async () => {
    const { challenge } = pkcePair();
    for (const token of [undefined, "not-a-token", `${alice.slice(0, -2)}xx`]) {
      const response = await postJson(broker, "/api/mcp/oauth/init", initBody(challenge), { token });
      expectProblem(response, 401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm="agentapi-stub"/);
    }
    const unsigned = await authorize(`${broker}/api/mcp/oauth/authorize?state=${"s".repeat(43)}`, "x.y.z");
    expect(unsigned.status).toBe(401);
    for (const path of ["callback", "refresh", "revoke"]) {
      expectProblem(await postJson(broker, `/api/mcp/oauth/${path}`, {}), 401);
    }
  });

  it("refuses a token signed by another process (a different secret)", async () => {
    const other = await stubWith();
    const foreign = await getUserToken(other, "alice");
    const { challenge } = pkcePair();
    const response = await postJson(broker, "/api/mcp/oauth/init", initBody(challenge), { token: foreign });
    expectProblem(response, 401, /signature/);
  });

  it("refuses an expired user token", async () => {
    // The control (still valid right after issue) must land within the lifetime: 1 s leaves room for a slow machine.
    const ttlMs = 1_000;
    const shortLived = await stubWith({ STUB_USER_TOKEN_TTL_MS: String(ttlMs) });
    const token = await getUserToken(shortLived, "alice");
    const issuedBy = Date.now(); // the server signed it before this
    const { challenge } = pkcePair();
    expect((await postJson(shortLived, "/api/mcp/oauth/init", initBody(challenge), { token })).status).toBe(200);
    // Expired once its lifetime has passed since it was issued (a slow machine only lets more time pass).
    await sleep(issuedBy + ttlMs + 100 - Date.now());
    const response = await postJson(shortLived, "/api/mcp/oauth/init", initBody(challenge), { token });
    expectProblem(response, 401, /expired/);
    expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("does not accept an MCP access token as a user token, nor a user token on /mcp", async () => {
    const grant = await grantMcpAccess(broker, alice);
    const { challenge } = pkcePair();
    const init = await postJson(broker, "/api/mcp/oauth/init", initBody(challenge), { token: grant.accessToken });
    expectProblem(init, 401, /this is an MCP access token, not a user token/);
    expectProblem(
      await mcpPost(broker, alice, initializeRequest()),
      401,
      /this is a user token, not an MCP access token/,
    );
  });
});

describe("OAuth init", () => {
  it("returns a config id, a state and the consent URL on this broker", async () => {
    const { challenge } = pkcePair();
    const response = await postJson(broker, "/api/mcp/oauth/init", initBody(challenge), { token: alice });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      mcp_config_id: UUID,
      state: ANY_STRING,
      authorization_url: `${broker}/api/mcp/oauth/authorize?state=${String(response.body.state)}`,
      expires_in: 600,
    });
  });

  it.each([
    ["an unknown provider", { provider: "gitlab" }, /provider/],
    ["the plain PKCE method", { code_challenge_method: "plain" }, /code_challenge_method/],
    ["a challenge that is not S256-shaped", { code_challenge: "short" }, /code_challenge/],
    ["a missing redirect_uri", { redirect_uri: undefined }, /redirect_uri/],
  ])("refuses %s with 400 naming the field", async (_name, change, field) => {
    const { challenge } = pkcePair();
    const response = await postJson(
      broker,
      "/api/mcp/oauth/init",
      { ...initBody(challenge), ...change },
      { token: alice },
    );
    expectProblem(response, 400);
    expect(JSON.stringify(response.body.errors)).toMatch(field);
  });

  it.each([
    ["ftp://example.com/cb", /http or https/],
    ["not a url", /not an absolute URL/],
    ["http://localhost/cb#frag", /fragment/],
  ])("refuses redirect_uri %s", async (redirectUri, detail) => {
    const { challenge } = pkcePair();
    const response = await postJson(broker, "/api/mcp/oauth/init", initBody(challenge, redirectUri), {
      token: alice,
    });
    expectProblem(response, 400, detail);
  });
});

describe("authorize (the simulated provider's consent)", () => {
  it("redirects to redirect_uri with code and state, keeping its query", async () => {
    const { challenge } = pkcePair();
    const init = await postJson<{ authorization_url: string; state: string }>(
      broker,
      "/api/mcp/oauth/init",
      initBody(challenge, "https://client.example/cb?tenant=7"),
      { token: alice },
    );
    const response = await authorize(init.body.authorization_url, alice);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get("location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe("https://client.example/cb");
    expect(location.searchParams.get("tenant")).toBe("7");
    expect(location.searchParams.get("state")).toBe(init.body.state);
    expect(location.searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("refuses an unknown state, and a state used twice", async () => {
    const unknown = await authorize(`${broker}/api/mcp/oauth/authorize?state=${"A".repeat(43)}`, alice);
    expect(unknown.status).toBe(400);
    const init = await initOAuth(broker, alice);
    expect((await authorize(init.authorizationUrl, alice)).status).toBe(302);
    const again = await authorize(init.authorizationUrl, alice);
    expect(again.status).toBe(400);
    expect(again.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await again.json()).toMatchObject({ detail: "unknown or expired state" });
  });

  it("refuses another user's state without spending it", async () => {
    const init = await initOAuth(broker, alice);
    expect((await authorize(init.authorizationUrl, bob)).status).toBe(400);
    expect((await authorize(init.authorizationUrl, alice)).status).toBe(302);
  });

  it("refuses a missing or malformed state with 400", async () => {
    expect((await authorize(`${broker}/api/mcp/oauth/authorize`, alice)).status).toBe(400);
    expect((await authorize(`${broker}/api/mcp/oauth/authorize?state=%3Cscript%3E`, alice)).status).toBe(400);
  });

  it("refuses an expired state", async () => {
    const shortState = await stubWith({ STUB_OAUTH_STATE_TTL_MS: "150" });
    const token = await getUserToken(shortState, "alice");
    const init = await initOAuth(shortState, token);
    await sleep(250);
    expect((await authorize(init.authorizationUrl, token)).status).toBe(400);
  });
});

describe("callback (code exchange with PKCE)", () => {
  const callback = (body: Record<string, string>, token = alice) =>
    postJson(broker, "/api/mcp/oauth/callback", body, { token });

  it("exchanges the code once for an access/refresh pair", async () => {
    const init = await initOAuth(broker, alice);
    const { code, state } = await authorizeCode(init.authorizationUrl, alice);
    const first = await callback({ state, code, code_verifier: init.verifier });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      mcp_config_id: init.configId,
      access_token: ANY_STRING,
      refresh_token: ANY_STRING,
      token_type: "Bearer",
      expires_in: 3600,
    });
    expectProblem(await callback({ state, code, code_verifier: init.verifier }), 400, /already used/);
  });

  it("refuses a PKCE mismatch, and the code is spent by that attempt", async () => {
    const init = await initOAuth(broker, alice);
    const { code, state } = await authorizeCode(init.authorizationUrl, alice);
    expectProblem(await callback({ state, code, code_verifier: pkcePair().verifier }), 400, /PKCE/);
    expectProblem(await callback({ state, code, code_verifier: init.verifier }), 400, /already used/);
  });

  it("refuses a state that does not belong to the code", async () => {
    const first = await initOAuth(broker, alice);
    const second = await initOAuth(broker, alice);
    const { code } = await authorizeCode(first.authorizationUrl, alice);
    expectProblem(await callback({ state: second.state, code, code_verifier: first.verifier }), 400, /state/);
  });

  it("refuses a wrong code, another user's code and an expired code", async () => {
    const init = await initOAuth(broker, alice);
    const { state, code } = await authorizeCode(init.authorizationUrl, alice);
    expectProblem(await callback({ state, code: "B".repeat(43), code_verifier: init.verifier }), 400, /unknown/);
    expectProblem(await callback({ state, code, code_verifier: init.verifier }, bob), 400, /this user/);

    const shortCode = await stubWith({ STUB_OAUTH_CODE_TTL_MS: "150" });
    const token = await getUserToken(shortCode, "alice");
    const late = await initOAuth(shortCode, token);
    const granted = await authorizeCode(late.authorizationUrl, token);
    await sleep(250);
    const expired = await postJson(
      shortCode,
      "/api/mcp/oauth/callback",
      { ...granted, code_verifier: late.verifier },
      { token },
    );
    expectProblem(expired, 400, /expired/);
  });

  it("validates the body (verifier length, missing fields)", async () => {
    expectProblem(await callback({ state: "S".repeat(43), code: "C".repeat(43), code_verifier: "short" }), 400);
    expectProblem(await callback({ state: "S".repeat(43) }), 400);
  });
});

describe("refresh (rotation)", () => {
  it("rotates the pair: the old refresh token and the old access token stop working", async () => {
    const grant = await grantMcpAccess(broker, alice);
    const refreshed = await postJson<{ access_token: string; refresh_token: string; mcp_config_id: string }>(
      broker,
      "/api/mcp/oauth/refresh",
      { mcp_config_id: grant.configId, refresh_token: grant.refreshToken },
      { token: alice },
    );
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.mcp_config_id).toBe(grant.configId);
    expect(refreshed.body.refresh_token).not.toBe(grant.refreshToken);
    expect(refreshed.body.access_token).not.toBe(grant.accessToken);

    const reused = await postJson(
      broker,
      "/api/mcp/oauth/refresh",
      { mcp_config_id: grant.configId, refresh_token: grant.refreshToken },
      { token: alice },
    );
    expectProblem(reused, 400, /already used/);
    expectProblem(await mcpPost(broker, grant.accessToken, initializeRequest()), 401, /replaced/);
    expect((await mcpPost(broker, refreshed.body.access_token, initializeRequest())).status).toBe(200);
  });

  it("keeps an MCP session usable with the refreshed access token", async () => {
    const grant = await grantMcpAccess(broker, alice);
    const sessionId = await openMcpSession(broker, grant.accessToken);
    const refreshed = await postJson<{ access_token: string }>(
      broker,
      "/api/mcp/oauth/refresh",
      { mcp_config_id: grant.configId, refresh_token: grant.refreshToken },
      { token: alice },
    );
    const list = await mcpPost(
      broker,
      refreshed.body.access_token,
      { jsonrpc: "2.0", id: 2, method: "tools/list" },
      sessionId,
    );
    expect(list.status).toBe(200);
    expect((await deleteMcpSession(broker, refreshed.body.access_token, sessionId)).status).toBe(200);
  });

  it("answers 404 for an unknown or foreign config and 400 for a wrong refresh token", async () => {
    const grant = await grantMcpAccess(broker, alice);
    const refresh = (body: Record<string, string>, token = alice) =>
      postJson(broker, "/api/mcp/oauth/refresh", body, { token });
    const unknownId = "00000000-0000-4000-8000-000000000000";
    expectProblem(await refresh({ mcp_config_id: unknownId, refresh_token: grant.refreshToken }), 404);
    expectProblem(await refresh({ mcp_config_id: grant.configId, refresh_token: grant.refreshToken }, bob), 404);
    expectProblem(await refresh({ mcp_config_id: grant.configId, refresh_token: "W".repeat(43) }), 400, /invalid/);
    // The wrong attempts spent nothing: the owner's real token still works.
    expect((await refresh({ mcp_config_id: grant.configId, refresh_token: grant.refreshToken })).status).toBe(200);
  });

  it("refuses to refresh a config whose callback has not happened", async () => {
    const init = await initOAuth(broker, alice);
    const response = await postJson(
      broker,
      "/api/mcp/oauth/refresh",
      { mcp_config_id: init.configId, refresh_token: "R".repeat(43) },
      { token: alice },
    );
    expectProblem(response, 400, /callback/);
  });
});

describe("revoke", () => {
  it("only the owner may revoke; afterwards /mcp answers 401 and refresh fails", async () => {
    const grant = await grantMcpAccess(broker, alice);
    const revoke = (token: string) =>
      postJson(broker, "/api/mcp/oauth/revoke", { mcp_config_id: grant.configId }, { token });

    expectProblem(await revoke(bob), 404);
    expect((await mcpPost(broker, grant.accessToken, initializeRequest())).status).toBe(200);

    const revoked = await revoke(alice);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ revoked: true });
    // Idempotent for the owner (RFC 7009), still unknown for anyone else.
    expect((await revoke(alice)).body).toEqual({ revoked: true });
    expectProblem(await revoke(bob), 404);

    const mcp = await mcpPost(broker, grant.accessToken, initializeRequest());
    expectProblem(mcp, 401, /revoked/);
    expect(mcp.headers.get("www-authenticate")).toMatch(/^Bearer /);
    const refresh = await postJson(
      broker,
      "/api/mcp/oauth/refresh",
      { mcp_config_id: grant.configId, refresh_token: grant.refreshToken },
      { token: alice },
    );
    expectProblem(refresh, 400, /revoked/);
  });

  it("answers 404 for a config that never existed", async () => {
    const response = await postJson(
      broker,
      "/api/mcp/oauth/revoke",
      { mcp_config_id: "11111111-1111-4111-8111-111111111111" },
      { token: alice },
    );
    expectProblem(response, 404);
  });
});

describe("MCP access token lifetime", () => {
  it("refuses an expired access token with 401", async () => {
    const shortAccess = await stubWith({ STUB_ACCESS_TOKEN_TTL_MS: "300" });
    const token = await getUserToken(shortAccess, "alice");
    const grant = await grantMcpAccess(shortAccess, token);
    await sleep(400);
    const response = await mcpPost(shortAccess, grant.accessToken, initializeRequest());
    expectProblem(response, 401, /expired/);
    expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });
});
