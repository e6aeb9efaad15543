// Signed bearer tokens (JWT compact form, HS256) and the other secrets of the OAuth flow. Two token uses share one
// key: `user` tokens for the broker API and `mcp` access tokens for /mcp; a token of one use is refused by the other.
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";

export const TOKEN_ISSUER = "agentapi-stub";
export type TokenUse = "user" | "mcp";

export interface TokenClaims {
  iss: string;
  use: TokenUse;
  /** The end user. */
  sub: string;
  /** Unique id of this token. */
  jti: string;
  /** Seconds since the epoch, fractional (RFC 7519 NumericDate allows it) so millisecond TTLs work. */
  iat: number;
  exp: number;
  /** MCP access tokens: the MCP config they belong to. */
  cfg?: string;
}

export type VerifyResult = { ok: true; claims: TokenClaims } | { ok: false; reason: string };

const USE_NAMES: Record<TokenUse, string> = { user: "a user token", mcp: "an MCP access token" };

const HEADER = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));

function base64url(input: string | Buffer): string {
  return Buffer.from(input).toString("base64url");
}

function signature(secret: Buffer, signingInput: string): Buffer {
  return createHmac("sha256", secret).update(signingInput).digest();
}

export function signToken(
  secret: Buffer,
  claims: { use: TokenUse; sub: string; cfg?: string },
  ttlMs: number,
  nowMs: number = Date.now(),
): { token: string; claims: TokenClaims } {
  const full: TokenClaims = {
    iss: TOKEN_ISSUER,
    ...claims,
    jti: randomUUID(),
    iat: nowMs / 1000,
    exp: (nowMs + ttlMs) / 1000,
  };
  const signingInput = `${HEADER}.${base64url(JSON.stringify(full))}`;
  return { token: `${signingInput}.${signature(secret, signingInput).toString("base64url")}`, claims: full };
}

function isClaims(value: unknown): value is TokenClaims {
  if (value === null || typeof value !== "object") return false;
  const c = value as Record<string, unknown>;
  return (
    c.iss === TOKEN_ISSUER &&
    (c.use === "user" || c.use === "mcp") &&
    typeof c.sub === "string" &&
    typeof c.jti === "string" &&
    typeof c.iat === "number" &&
    typeof c.exp === "number" &&
    (c.cfg === undefined || typeof c.cfg === "string")
  );
}

/** Check form, signature (constant time), use and expiry; the reason is safe to show to the client. */
export function verifyToken(secret: Buffer, token: string, use: TokenUse, nowMs: number = Date.now()): VerifyResult {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== HEADER) return { ok: false, reason: "the token is malformed" };
  const [header, payload, sig] = parts as [string, string, string];
  const expected = signature(secret, `${header}.${payload}`);
  const given = Buffer.from(sig, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "the token signature is invalid" };
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return { ok: false, reason: "the token is malformed" };
  }
  if (!isClaims(claims)) return { ok: false, reason: "the token is malformed" };
  if (claims.use !== use) return { ok: false, reason: `this is ${USE_NAMES[claims.use]}, not ${USE_NAMES[use]}` };
  if (claims.exp * 1000 <= nowMs) return { ok: false, reason: "the token has expired" };
  return { ok: true, claims };
}

/** An unguessable opaque value (state, code, refresh token, ids). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

export function sha256Base64url(value: string): string {
  return createHash("sha256").update(value).digest("base64url");
}

/** PKCE S256 (RFC 7636 §4.6): base64url(SHA-256(ASCII(code_verifier))) must equal the challenge. */
export function pkceMatches(codeVerifier: string, codeChallenge: string): boolean {
  const computed = Buffer.from(sha256Base64url(codeVerifier));
  const expected = Buffer.from(codeChallenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/** Whole seconds for `expires_in`, never 0 for a live token. */
export function expiresInSeconds(ttlMs: number): number {
  return Math.max(1, Math.round(ttlMs / 1000));
}
