// GET /status, the hottest path under load. Its whole body depends only on the Host header (the `$schema` link)
// and the agent's status, so both variants are serialized once per Host value and reused.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimulatedAgent } from "../agent/simulated-agent";
import { describedBy, type SchemaLinks } from "./schema-links";

export const STATUS_LINK = describedBy("StatusResponseBody");
export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";
const MAX_CACHED_HOSTS = 256;

interface Bodies {
  stable: string;
  running: string;
  stableLength: string;
  runningLength: string;
}

export class StatusBodies {
  private readonly byHost = new Map<string, Bodies>();

  constructor(
    private readonly agent: SimulatedAgent,
    private readonly links: SchemaLinks,
  ) {}

  private bodies(host: string | undefined): Bodies {
    const key = host ?? "";
    let bodies = this.byHost.get(key);
    if (bodies === undefined) {
      const make = (status: string): string =>
        JSON.stringify({
          $schema: this.links.link(host, "StatusResponseBody"),
          agent_type: this.agent.agentType,
          status,
          transport: "pty",
        });
      const stable = make("stable");
      const running = make("running");
      bodies = {
        stable,
        running,
        stableLength: String(Buffer.byteLength(stable)),
        runningLength: String(Buffer.byteLength(running)),
      };
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

  /** Body and its byte length, for the raw fast path. */
  currentWithLength(host: string | undefined): [string, string] {
    const bodies = this.bodies(host);
    return this.agent.status === "stable"
      ? [bodies.stable, bodies.stableLength]
      : [bodies.running, bodies.runningLength];
  }
}

export interface FastStatusOptions {
  bodies: StatusBodies;
  hostAllowed: (host: string | undefined) => boolean;
  /** False while draining, when env faults are on, or when request logging is on: then fastify answers. */
  enabled: () => boolean;
}

/**
 * Answers a plain `GET /status` straight from node:http, before fastify's per-request machinery (which costs
 * about a third of this tiny response's CPU). It only takes requests whose answer is fully determined — allowed
 * Host, no Origin (no CORS decision), no fault header — and writes exactly what the fastify route writes;
 * everything else returns false and goes through fastify as usual.
 */
export function createFastStatus(options: FastStatusOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { bodies, hostAllowed, enabled } = options;
  return (req, res) => {
    if (req.url !== "/status" || req.method !== "GET") return false;
    const h = req.headers;
    if (
      h.origin !== undefined ||
      h["x-fault-delay-ms"] !== undefined ||
      h["x-fault-status"] !== undefined ||
      h["x-fault-rate"] !== undefined ||
      h["x-fault-abort"] !== undefined ||
      !hostAllowed(h.host) ||
      !enabled()
    ) {
      return false;
    }
    const [body, length] = bodies.currentWithLength(h.host);
    res.writeHead(200, [
      "content-type",
      JSON_CONTENT_TYPE,
      "content-length",
      length,
      "link",
      STATUS_LINK,
      "vary",
      "Origin",
    ]);
    res.end(body);
    return true;
  };
}
