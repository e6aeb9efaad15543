// Double of `k6/encoding`: base64 in k6's four variants.
import { Buffer } from "node:buffer";
type Variant = "std" | "rawstd" | "url" | "rawurl";

function toBuffer(input: string | ArrayBuffer): Buffer {
  return typeof input === "string" ? Buffer.from(input, "utf8") : Buffer.from(new Uint8Array(input));
}

export function b64encode(input: string | ArrayBuffer, variant: Variant = "std"): string {
  const std = toBuffer(input).toString("base64");
  const url = std.replace(/\+/g, "-").replace(/\//g, "_");
  switch (variant) {
    case "std":
      return std;
    case "rawstd":
      return std.replace(/=+$/, "");
    case "url":
      return url;
    case "rawurl":
      return url.replace(/=+$/, "");
  }
}

export function b64decode(input: string, variant: Variant = "std", format?: "s"): string | ArrayBuffer {
  const normal = variant === "url" || variant === "rawurl" ? input.replace(/-/g, "+").replace(/_/g, "/") : input;
  const bytes = Buffer.from(normal, "base64");
  if (format === "s") return bytes.toString("utf8");
  return new Uint8Array(bytes).buffer;
}

export default { b64encode, b64decode };
