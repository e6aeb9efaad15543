// Client for the AgentAPI surface (coder/agentapi's HTTP contract): /status, /messages, /message.
// The /events stream lives in clients/events.ts (xk6-sse) and clients/events.poll.ts (stock k6).
// Every request carries the run's AgentAPI credentials (AGENTAPI_TOKEN, AGENTAPI_HEADERS: config.agentApiHeaders).

import http from "k6/http";
import { agentUrl } from "../agent-target";
import { noteAgentAnswer, noteAgentStatus, noteMessages } from "../agent-health";
import { metrics } from "../metrics";
import { REFERENCE_TARGET_HEADER } from "../names";
import { agentUrlName } from "../agent-urls";
import { config } from "../run-config";
import { REQUEST_TIMEOUT, send, type Reply } from "./http";
import {
  isMessagesBody,
  isOkBody,
  isProblemBody,
  isStatusBody,
  problemReasons,
  type MessagesBody,
  type StatusBody,
} from "../lib/guards";

export interface StatusReply {
  reply: Reply;
  body: StatusBody | null;
}

/** Static names: one series per endpoint however many agents the fleet has (config.ts agentUrlName). */
const NAME = agentUrlName(config.agents);
const STATUS = { endpoint: "status", name: `${NAME}/status`, headers: config.agentApiHeaders } as const;
const MESSAGES = { endpoint: "messages", name: `${NAME}/messages`, headers: config.agentApiHeaders } as const;
const MESSAGE = {
  endpoint: "message",
  name: `${NAME}/message`,
  alsoExpected: [500],
  headers: config.agentApiHeaders,
} as const;

/** GET /status. An answer that says `stable` also times idle_status_duration: no send held that read up. */
export function getStatus(baseUrl: string): StatusReply {
  const reply = send("GET", `${baseUrl}/status`, undefined, STATUS);
  const body = reply.status === 200 && isStatusBody(reply.json) ? reply.json : null;
  if (baseUrl === agentUrl()) {
    noteAgentAnswer(reply.status);
    if (body !== null) noteAgentStatus(body.status);
  }
  if (body !== null && body.status === "stable") metrics.idleStatusDuration.add(reply.res.timings.duration);
  return { reply, body };
}

export interface MessagesReply {
  reply: Reply;
  body: MessagesBody | null;
}

export function getMessages(baseUrl: string): MessagesReply {
  const reply = send("GET", `${baseUrl}/messages`, undefined, MESSAGES);
  const body = reply.status === 200 && isMessagesBody(reply.json) ? reply.json : null;
  if (baseUrl === agentUrl()) {
    noteAgentAnswer(reply.status);
    if (body !== null) noteMessages(body.messages);
  }
  return { reply, body };
}

/**
 * accepted: the agent took the message. busy: the agent was running (one agent per AgentAPI server, so
 * concurrent prompts collide; upstream answers 500 "message can only be sent when the agent is waiting for user
 * input") — an expected outcome under load, counted in agent_busy_total, never a failure. rejected: anything else.
 */
export type SendOutcome = "accepted" | "busy" | "rejected";

export interface SendReply {
  reply: Reply;
  outcome: SendOutcome;
}

// Matched as lower-case text, not a regular expression: a regular expression literal in a journey's top level makes
// every VU that runs it build sobek's RegExp prototype (≈ 12 KiB per VU in k6 v1.8.1).
const BUSY_REASON = "waiting for user input";

/** POST /message type user: a prompt (counted in prompts_sent, whatever the answer). */
export function sendMessage(baseUrl: string, content: string): SendReply {
  // 500 is declared expected because the busy answer is a 500; a 500 that is not "busy" still fails the check.
  const reply = send("POST", `${baseUrl}/message`, { content, type: "user" }, MESSAGE);
  metrics.promptsSent.add(1);
  if (baseUrl === agentUrl()) noteAgentAnswer(reply.status);
  let outcome: SendOutcome = "rejected";
  if (reply.status === 200 && isOkBody(reply.json) && reply.json.ok) {
    outcome = "accepted";
  } else if (
    reply.status === 500 &&
    isProblemBody(reply.json) &&
    problemReasons(reply.json).some((reason) => reason.toLowerCase().includes(BUSY_REASON))
  ) {
    outcome = "busy";
  }
  return { reply, outcome };
}

/** Messages sorted by id with no duplicates — upstream's ordering guarantee. */
export function idsAscending(body: MessagesBody): boolean {
  for (let i = 1; i < body.messages.length; i++) {
    const prev = body.messages[i - 1];
    const cur = body.messages[i];
    if (!prev || !cur || cur.id <= prev.id) return false;
  }
  return true;
}

/** What setup() learns from one server's GET /status. */
export interface ServerProbe {
  url: string;
  /** HTTP status; 0 when the server could not be reached. */
  status: number;
  /** k6's error for a request without a response. */
  error: string;
  /** The answer was an agent status (200 with upstream's body). */
  agentStatus: boolean;
  /** The transport that status names (`pty`, `acp`), or null without one. */
  transport: string | null;
  /** The answer came from the reference target (REFERENCE_TARGET_HEADER), not a real AgentAPI. */
  reference: boolean;
}

/** Servers asked at once per http.batch (k6 runs a batch's requests in parallel, `batchPerHost` per host). */
const PROBE_BATCH = 100;

/**
 * One GET /status per server, with the run's credentials, in parallel batches. Tagged `kind: probe` and without an
 * `endpoint`, so a fleet's worth of setup probes does not count in the endpoint and call latency thresholds.
 */
export function probeServers(urls: ReadonlyArray<string>): ServerProbe[] {
  const params = {
    headers: { Accept: "application/json", ...config.agentApiHeaders },
    tags: { name: "setup: GET /status", kind: "probe" },
    timeout: REQUEST_TIMEOUT,
  };
  const probes: ServerProbe[] = [];
  for (let i = 0; i < urls.length; i += PROBE_BATCH) {
    const chunk = urls.slice(i, i + PROBE_BATCH);
    const responses = http.batch(
      chunk.map((url) => ["GET", `${url}/status`, null, params] as [string, string, null, typeof params]),
    );
    chunk.forEach((url, j) => {
      const res = responses[j];
      if (res === undefined) return;
      let body: unknown;
      try {
        body = res.status === 200 && typeof res.body === "string" ? JSON.parse(res.body) : undefined;
      } catch {
        body = undefined;
      }
      probes.push({
        url,
        status: res.status,
        error: res.error,
        agentStatus: isStatusBody(body),
        transport: isStatusBody(body) ? body.transport : null,
        reference: res.headers[REFERENCE_TARGET_HEADER] !== undefined,
      });
    });
  }
  return probes;
}
