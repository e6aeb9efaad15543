// GET /events: Server-Sent Events as upstream sends them (huma's sse package): `event: <name>` and one `data:` line
// of JSON per event. On connect the stream replays the state (a message_update per message, then a status_change,
// then the stored agent_error events); afterwards it carries each change. Every event is serialized once and written to all streams.
import type { ServerResponse } from "node:http";
import type { FastifyBaseLogger, FastifyReply } from "fastify";
import type { AgentConversation } from "../agent/agent-conversation";
import type { AgentEvent, ConversationMessage } from "../agent/conversation";
import { HttpProblem } from "../problem";

/** Headers upstream sets on its SSE endpoints (so proxies do not buffer). */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/event-stream",
  "Cache-Control": "no-cache, no-store, must-revalidate",
  Pragma: "no-cache",
  Expires: "0",
  "X-Accel-Buffering": "no",
  "X-Proxy-Buffering": "no",
  Connection: "keep-alive",
};

/** A stream whose client does not read is dropped once this much is queued (upstream drops slow subscribers too). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Upstream's emitter keeps the last 100 agent_error events and replays them to every new stream (maxStoredErrors). */
const MAX_STORED_ERRORS = 100;

/** Upstream's ErrorLevel. */
export type ErrorLevel = "error" | "warning";

/** upstream's ErrorBody, in its member order. */
function agentError(message: string, level: ErrorLevel): string {
  const data = JSON.stringify({ message, level, time: new Date().toISOString() });
  return `event: agent_error\ndata: ${data}\n\n`;
}

function messageUpdate(message: ConversationMessage): string {
  const data = JSON.stringify({ id: message.id, role: message.role, message: message.content, time: message.time });
  return `event: message_update\ndata: ${data}\n\n`;
}

function statusChange(status: string, agentType: string): string {
  return `event: status_change\ndata: ${JSON.stringify({ status, agent_type: agentType })}\n\n`;
}

/** The cap on open event streams, shared by every agent of the target (STUB_MAX_SSE_CLIENTS). */
export interface StreamBudget {
  open: number;
  readonly max: number;
}

export class EventHub {
  private readonly streams = new Set<ServerResponse>();
  private readonly unsubscribe: () => void;
  /** The stored agent_error events, serialized. */
  private readonly errors: string[] = [];

  constructor(
    private readonly agent: AgentConversation,
    private readonly budget: StreamBudget,
    private readonly log: FastifyBaseLogger,
  ) {
    this.unsubscribe = agent.subscribe((event) => this.broadcast(this.serialize(event)));
  }

  private serialize(event: AgentEvent): string {
    return event.type === "message_update"
      ? messageUpdate(event.message)
      : statusChange(event.status, this.agent.agentType);
  }

  /** Upstream's EmitError: an `agent_error` event now, and to every stream opened later (the last 100). */
  error(message: string, level: ErrorLevel): void {
    const chunk = agentError(message, level);
    this.errors.push(chunk);
    if (this.errors.length > MAX_STORED_ERRORS) this.errors.shift();
    this.broadcast(chunk);
  }

  private broadcast(chunk: string): void {
    for (const stream of this.streams) {
      if (stream.writableLength > MAX_BUFFERED_BYTES) {
        this.log.warn(
          { queuedBytes: stream.writableLength },
          "closing a slow event stream: its client stopped reading",
        );
        this.drop(stream);
        continue;
      }
      stream.write(chunk);
    }
  }

  private drop(stream: ServerResponse): void {
    this.forget(stream);
    stream.end();
  }

  private forget(stream: ServerResponse): void {
    if (this.streams.delete(stream)) this.budget.open--;
  }

  /** Take over the reply and stream events until the client leaves or the hub closes. */
  open(reply: FastifyReply): void {
    if (this.budget.open >= this.budget.max) {
      throw new HttpProblem(503, `too many event streams (limit ${this.budget.max})`, undefined, {
        "Retry-After": "1",
      });
    }
    const res = reply.raw;
    // Headers set by earlier hooks (CORS, fault markers) travel with the stream.
    const headers = { ...(reply.getHeaders() as Record<string, string>), ...SSE_HEADERS };
    reply.hijack();
    res.writeHead(200, headers);
    let initial = "";
    for (const event of this.agent.stateEvents()) initial += this.serialize(event);
    // After the state, as upstream's currentStateAsEvents (its screen_update is not sent on /events).
    for (const chunk of this.errors) initial += chunk;
    res.write(initial);
    this.streams.add(res);
    this.budget.open++;
    const forget = (): void => this.forget(res);
    res.on("close", forget);
    res.on("error", forget);
  }

  /** End every stream (shutdown) and stop listening to the agent. */
  close(): void {
    this.unsubscribe();
    for (const stream of this.streams) stream.end();
    this.budget.open -= this.streams.size;
    this.streams.clear();
  }
}
