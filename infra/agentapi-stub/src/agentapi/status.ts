// GET /status, the hottest path under load. Its whole body depends only on the Host header (the `$schema` link)
// and the agent's status, so both variants are serialized once per Host value and reused: a status change picks
// the other string, nothing is serialized per request.
import type { FastifyReply } from "fastify";
import type { AgentConversation } from "../agent/agent-conversation";
import { describedBy, type SchemaLinks } from "./schema-links";

export const STATUS_LINK = describedBy("StatusResponseBody");
/** Upstream (huma) answers `application/json` with no charset, and its encoder ends each body with a newline. */
export const JSON_CONTENT_TYPE = "application/json";

/** A JSON body exactly as huma writes it. */
export function humaJson(body: unknown): string {
  return `${JSON.stringify(body)}\n`;
}

const asIs = (payload: unknown): string => payload as string;

/**
 * Prepare a reply for a pre-serialized huma body: `Content-Type: application/json` exactly (fastify would append
 * `; charset=utf-8` to a JSON type unless the reply has its own serializer, here one that passes the string on).
 */
export function humaReply(reply: FastifyReply): FastifyReply {
  return reply.header("content-type", JSON_CONTENT_TYPE).serializer(asIs);
}
const MAX_CACHED_HOSTS = 256;

interface Bodies {
  stable: string;
  running: string;
}

export class StatusBodies {
  private readonly byHost = new Map<string, Bodies>();

  constructor(
    private readonly agent: AgentConversation,
    private readonly links: SchemaLinks,
  ) {}

  private bodies(host: string | undefined): Bodies {
    const key = host ?? "";
    let bodies = this.byHost.get(key);
    if (bodies === undefined) {
      const make = (status: string): string =>
        // Upstream's member order.
        humaJson({
          $schema: this.links.link(host, "StatusResponseBody"),
          status,
          agent_type: this.agent.agentType,
          transport: this.agent.transport,
        });
      bodies = { stable: make("stable"), running: make("running") };
      if (this.byHost.size >= MAX_CACHED_HOSTS) this.byHost.clear();
      this.byHost.set(key, bodies);
    }
    return bodies;
  }

  /** The body for the agent's current status. */
  current(host: string | undefined): string {
    const bodies = this.bodies(host);
    return this.agent.status === "stable" ? bodies.stable : bodies.running;
  }
}
