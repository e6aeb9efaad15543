// One upstream AgentAPI server's worth of state: its conversation (the agent), its server-wide reader/writer lock,
// its event streams and its pre-serialized /status bodies. A real server drives exactly one agent; the target's
// fleet (fleet.ts) holds one of these per agent, each independent of the others.
import type { FastifyBaseLogger } from "fastify";
import { Conversation } from "../agent/conversation";
import { ServerLock } from "../agent/server-lock";
import type { AgentBehaviour, UpstreamTiming } from "../agent/timing";
import { EventHub, type StreamBudget } from "./events";
import type { SchemaLinks } from "./schema-links";
import { StatusBodies } from "./status";

export interface AgentServerOptions {
  agentType: string;
  timing: UpstreamTiming;
  behaviour: AgentBehaviour;
  maxMessages: number;
  streams: StreamBudget;
  links: SchemaLinks;
  log: FastifyBaseLogger;
}

export class AgentServer {
  readonly conversation: Conversation;
  readonly lock = new ServerLock();
  readonly events: EventHub;
  readonly statusBodies: StatusBodies;

  constructor(
    readonly id: number,
    options: AgentServerOptions,
  ) {
    this.conversation = new Conversation({
      agentType: options.agentType,
      timing: options.timing,
      behaviour: options.behaviour,
      maxMessages: options.maxMessages,
      log: (message) => options.log.info({ agent: id }, message),
    });
    this.events = new EventHub(this.conversation, options.streams, options.log);
    this.statusBodies = new StatusBodies(this.conversation, options.links);
  }

  close(): void {
    this.events.close();
    this.conversation.close();
  }
}
