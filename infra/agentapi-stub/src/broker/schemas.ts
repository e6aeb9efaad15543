// JSON schemas of the broker routes (fastify validates requests and serialises responses with them) and the
// matching TypeScript shapes. Error bodies are problem+json from the shared error handler.
import type { OAuthProvider } from "../store/types";

export const OAUTH_PROVIDERS: readonly OAuthProvider[] = ["github", "google", "azure"];

const userId = {
  type: "string",
  minLength: 1,
  maxLength: 128,
  pattern: "^[A-Za-z0-9][A-Za-z0-9._@+:-]*$",
  description: "letters, digits and . _ @ + : - (starting with a letter or digit)",
} as const;
const opaque = { type: "string", minLength: 16, maxLength: 256, pattern: "^[A-Za-z0-9_-]+$" } as const;
const configId = {
  type: "string",
  pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
  description: "a UUID from POST /api/mcp/oauth/init",
} as const;
const expiresIn = { type: "integer", minimum: 1, description: "seconds" } as const;

function body<P extends Record<string, unknown>>(properties: P, required: (keyof P & string)[]) {
  return { type: "object", additionalProperties: false, required, properties } as const;
}

export interface TokenBody {
  user_id: string;
}
export interface InitBody {
  mcp_name: string;
  provider: OAuthProvider;
  redirect_uri: string;
  code_challenge: string;
  code_challenge_method: "S256";
}
export interface AuthorizeQuery {
  state: string;
}
export interface CallbackBody {
  state: string;
  code: string;
  code_verifier: string;
}
export interface RefreshBody {
  mcp_config_id: string;
  refresh_token: string;
}
export interface RevokeBody {
  mcp_config_id: string;
}
export interface TokenPair {
  mcp_config_id: string;
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
}

const tokenPairResponse = {
  200: body(
    {
      mcp_config_id: configId,
      access_token: { type: "string" },
      refresh_token: { type: "string" },
      token_type: { type: "string", enum: ["Bearer"] },
      expires_in: expiresIn,
    },
    ["mcp_config_id", "access_token", "refresh_token", "token_type", "expires_in"],
  ),
} as const;

export const tokenSchema = {
  body: body({ user_id: userId }, ["user_id"]),
  response: {
    200: body(
      { access_token: { type: "string" }, token_type: { type: "string", enum: ["Bearer"] }, expires_in: expiresIn },
      ["access_token", "token_type", "expires_in"],
    ),
  },
} as const;

export const initSchema = {
  body: body(
    {
      mcp_name: { type: "string", minLength: 1, maxLength: 100, pattern: "^[^\\u0000-\\u001f\\u007f]+$" },
      provider: { type: "string", enum: OAUTH_PROVIDERS },
      redirect_uri: { type: "string", minLength: 1, maxLength: 2048, description: "an absolute http(s) URL" },
      // S256 challenges are base64url(SHA-256) without padding: always 43 characters (RFC 7636 §4.2).
      code_challenge: { type: "string", pattern: "^[A-Za-z0-9_-]{43}$" },
      code_challenge_method: { type: "string", enum: ["S256"], description: "only S256 is supported" },
    },
    ["mcp_name", "provider", "redirect_uri", "code_challenge", "code_challenge_method"],
  ),
  response: {
    200: body(
      {
        mcp_config_id: configId,
        state: { type: "string" },
        authorization_url: { type: "string" },
        expires_in: expiresIn,
      },
      ["mcp_config_id", "state", "authorization_url", "expires_in"],
    ),
  },
} as const;

export const authorizeSchema = {
  querystring: body({ state: opaque }, ["state"]),
  response: { 302: { type: "null", description: "redirect to redirect_uri?code=…&state=…" } },
} as const;

export const callbackSchema = {
  body: body(
    {
      state: opaque,
      code: opaque,
      // RFC 7636 §4.1: 43..128 characters of [A-Z a-z 0-9 - . _ ~].
      code_verifier: { type: "string", pattern: "^[A-Za-z0-9._~-]{43,128}$" },
    },
    ["state", "code", "code_verifier"],
  ),
  response: tokenPairResponse,
} as const;

export const refreshSchema = {
  body: body({ mcp_config_id: configId, refresh_token: opaque }, ["mcp_config_id", "refresh_token"]),
  response: tokenPairResponse,
} as const;

export const revokeSchema = {
  body: body({ mcp_config_id: configId }, ["mcp_config_id"]),
  response: { 200: body({ revoked: { type: "boolean", enum: [true] } }, ["revoked"]) },
} as const;
