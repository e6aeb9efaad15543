// The one error type of tools/prometheus: its message is a single readable line a CLI can print as it is, and
// `kind` says what went wrong so a caller can branch without parsing the text.
import { causeCode } from "../influx/reader";

export type PrometheusErrorKind =
  /** No HTTP answer at all (refused, reset, timed out). */
  | "unreachable"
  /** The remote-write endpoint answered non-2xx (receiver off, out-of-order or too old samples, bad protobuf). */
  | "rejected"
  /** The query API answered with an error (bad PromQL, timeout on the server, …). */
  | "query"
  /** An answer that is not what the API documents (not JSON, unknown result type). */
  | "bad-response";

export class PrometheusError extends Error {
  constructor(
    readonly kind: PrometheusErrorKind,
    message: string,
    /** The HTTP status when there was an answer. */
    readonly status?: number,
  ) {
    super(message.replace(/\s*\n\s*/g, " "));
    this.name = "PrometheusError";
  }
}

/** The first non-empty line of a body, cut to 200 characters: Prometheus puts the reason there. */
export function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line.trim();
}

export function unreachable(where: string, error: unknown): PrometheusError {
  return new PrometheusError(
    "unreachable",
    `${where} is unreachable (${causeCode(error)}): start Prometheus or set PROMETHEUS_URL`,
  );
}
