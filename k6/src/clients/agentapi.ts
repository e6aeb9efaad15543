// Client for the AgentAPI surface (coder/agentapi's HTTP contract): /status, /messages, /message.
// The /events stream lives in clients/events.ts (xk6-sse) and clients/events.poll.ts (stock k6).

import { send, type Reply } from "./http";
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

export function getStatus(baseUrl: string): StatusReply {
  const reply = send("GET", `${baseUrl}/status`, undefined, { endpoint: "status" });
  return { reply, body: reply.status === 200 && isStatusBody(reply.json) ? reply.json : null };
}

export interface MessagesReply {
  reply: Reply;
  body: MessagesBody | null;
}

export function getMessages(baseUrl: string): MessagesReply {
  const reply = send("GET", `${baseUrl}/messages`, undefined, { endpoint: "messages" });
  return { reply, body: reply.status === 200 && isMessagesBody(reply.json) ? reply.json : null };
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

const BUSY_REASON = /waiting for user input/i;

export function sendMessage(baseUrl: string, content: string): SendReply {
  // 500 is declared expected because the busy answer is a 500; a 500 that is not "busy" still fails the check.
  const reply = send(
    "POST",
    `${baseUrl}/message`,
    { content, type: "user" },
    { endpoint: "message", alsoExpected: [500] },
  );
  let outcome: SendOutcome = "rejected";
  if (reply.status === 200 && isOkBody(reply.json) && reply.json.ok) {
    outcome = "accepted";
  } else if (
    reply.status === 500 &&
    isProblemBody(reply.json) &&
    problemReasons(reply.json).some((reason) => BUSY_REASON.test(reason))
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
