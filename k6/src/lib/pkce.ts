// PKCE (RFC 7636, S256) with k6's own crypto: a random verifier and its SHA-256 challenge, both base64url
// without padding. (The seed built tokens with Node's Buffer, which k6 does not have.)

import { randomBytes, sha256 } from "k6/crypto";
import { b64encode } from "k6/encoding";

export interface Pkce {
  verifier: string;
  challenge: string;
  method: "S256";
}

export function createPkce(): Pkce {
  const verifier = b64encode(randomBytes(32), "rawurl");
  return { verifier, challenge: sha256(verifier, "base64rawurl"), method: "S256" };
}
