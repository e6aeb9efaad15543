// The errors handlers and hooks throw; problem.ts renders them in each listener's style (RFC 9457 problem+json on
// the broker, huma's ErrorModel on the AgentAPI listener), except PlainTextAnswer, which is the same everywhere.
import { STATUS_CODES } from "node:http";

/** Throw from any handler or hook; the listener's error handler renders it (problem+json or huma's ErrorModel). */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    /** Extra members; `errors` (ErrorDetail[]) is huma's list and is rendered in huma's field order. */
    readonly extra?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = "HttpProblem";
  }
}

/** One entry of upstream's (huma's) `errors` list: what, where, and the offending value. */
export interface ErrorDetail {
  message?: string;
  location?: string;
  value?: unknown;
}

/** Go's http.StatusText, which differs from node's STATUS_CODES for a few codes ("" = Go has no text). */
const GO_STATUS_TEXT: Readonly<Record<number, string>> = {
  413: "Request Entity Too Large",
  414: "Request URI Too Long",
  416: "Requested Range Not Satisfiable",
  418: "I'm a teapot",
  509: "",
};

export function goStatusText(status: number): string {
  return GO_STATUS_TEXT[status] ?? STATUS_CODES[status] ?? "";
}

/**
 * A plain-text answer as Go's net/http writes one (upstream's Host refusal, chi's 404, the server's own refusals):
 * `text/plain; charset=utf-8` and exactly this body.
 */
export class PlainTextAnswer extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly options: {
      /** `X-Content-Type-Options: nosniff`, as http.Error sets it. */
      nosniff?: boolean;
      /** Status line reason phrase, when it is not Go's status text. */
      reason?: string;
      /** Close the connection after the answer (Go's server does for the requests it refuses itself). */
      close?: boolean;
    } = {},
  ) {
    super(body.trimEnd());
    this.name = "PlainTextAnswer";
  }
}

/** `http.Error(w, text, status)`: the text plus a newline, nosniff. */
export function goHttpError(status: number, text: string): PlainTextAnswer {
  return new PlainTextAnswer(status, `${text}\n`, { nosniff: true });
}

/**
 * A request Go's HTTP server refuses before any handler runs (missing or malformed Host, bad request target):
 * `400 Bad Request: <why>` on the status line and as the body, and the connection is closed.
 */
export function goServerRefusal(status: number, why?: string): PlainTextAnswer {
  const reason = why === undefined ? goStatusText(status) : `${goStatusText(status)}: ${why}`;
  return new PlainTextAnswer(status, `${status} ${reason}`, { reason, close: true });
}

/** fastify's and its plugins' error codes for a body (or multipart part) over a limit: 413 on both listeners. */
export const BODY_TOO_LARGE_CODES: ReadonlySet<string> = new Set([
  "FST_ERR_CTP_BODY_TOO_LARGE",
  "FST_REQ_FILE_TOO_LARGE",
  "FST_FILES_LIMIT",
  "FST_FIELDS_LIMIT",
  "FST_PARTS_LIMIT",
]);
