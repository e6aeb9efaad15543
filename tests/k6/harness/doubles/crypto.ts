// Double of `k6/crypto`: the hashes and random bytes the suite uses, with k6's output encodings.
import { Buffer } from "node:buffer";
import { createHash, randomBytes as nodeRandomBytes } from "node:crypto";

type Encoding = "hex" | "base64" | "base64url" | "base64rawurl" | "binary";

function toBuffer(input: string | ArrayBuffer): Buffer {
  return typeof input === "string" ? Buffer.from(input, "utf8") : Buffer.from(new Uint8Array(input));
}

function encode(digest: Buffer, encoding: Encoding): string | ArrayBuffer {
  switch (encoding) {
    case "hex":
      return digest.toString("hex");
    case "base64":
      return digest.toString("base64");
    case "base64url":
      // k6's base64url keeps the padding; base64rawurl drops it.
      return digest.toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
    case "base64rawurl":
      return digest.toString("base64url");
    case "binary":
      return new Uint8Array(digest).buffer;
  }
}

function hash(algorithm: string) {
  return (input: string | ArrayBuffer, encoding: Encoding): string | ArrayBuffer =>
    encode(createHash(algorithm).update(toBuffer(input)).digest(), encoding);
}

export const sha256 = hash("sha256");
export const sha1 = hash("sha1");
export const sha512 = hash("sha512");
export const md5 = hash("md5");

export function randomBytes(size: number): ArrayBuffer {
  const bytes = nodeRandomBytes(size);
  return new Uint8Array(bytes).buffer;
}

export default { sha256, sha1, sha512, md5, randomBytes };
