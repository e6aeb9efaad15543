// GET /status, the hottest path under load. Its whole body depends only on the Host header (the `$schema` link)
// and the agent's status, so both variants are serialized once per Host value and reused: a status change picks
// the other string, nothing is serialized per request.
import type { Conversation } from "../agent/conversation";
import { describedBy, type SchemaLinks } from "./schema-links";

export const STATUS_LINK = describedBy("StatusResponseBody");
export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";
const MAX_CACHED_HOSTS = 256;

interface Bodies {
  stable: string;
  running: string;
}

export class StatusBodies {
  private readonly byHost = new Map<string, Bodies>();

  constructor(
    private readonly agent: Conversation,
    private readonly links: SchemaLinks,
  ) {}

  private bodies(host: string | undefined): Bodies {
    const key = host ?? "";
    let bodies = this.byHost.get(key);
    if (bodies === undefined) {
      const make = (status: string): string =>
        // Upstream's member order.
        JSON.stringify({
          $schema: this.links.link(host, "StatusResponseBody"),
          status,
          agent_type: this.agent.agentType,
          transport: "pty",
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
