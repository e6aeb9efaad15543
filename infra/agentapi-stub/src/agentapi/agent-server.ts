// One upstream AgentAPI server's worth of state: its conversation (the agent), its server-wide reader/writer lock,
// its event streams and its pre-serialized /status bodies. A real server drives exactly one agent; the target's
// fleet (fleet.ts) holds one of these per agent, each independent of the others. The transport (STUB_TRANSPORT) picks
// the conversation: upstream's PTY model (conversation.ts) or its ACP model (acp-conversation.ts); everything else
// here, the lock included, is the same for both, as in upstream's Server. With a state file (PTY only, as upstream)
// the agent restores its history when ready and hands the fleet's save a snapshot (agent/state.ts).
import type { FastifyBaseLogger } from "fastify";
import { AcpConversation, ACP_CHUNK_MS } from "../agent/acp-conversation";
import type { AgentConversation, Transport } from "../agent/agent-conversation";
import { Conversation } from "../agent/conversation";
import { ServerLock } from "../agent/server-lock";
import {
  restoreErrorMessage,
  type AgentState,
  type PersistentAgent,
  type StateFile,
  type StateSnapshot,
} from "../agent/state";
import type { AgentBehaviour, UpstreamTiming } from "../agent/timing";
import { EventHub, type StreamBudget } from "./events";
import type { SchemaLinks } from "./schema-links";
import { StatusBodies } from "./status";

export interface AgentServerOptions {
  agentType: string;
  timing: UpstreamTiming;
  behaviour: AgentBehaviour;
  maxMessages: number;
  /** `pty` (default) or `acp` (upstream's `--experimental-acp`), for every agent of the fleet. */
  transport?: Transport;
  /** ACP only: about how often the simulated agent sends a chunk (default 100 ms). */
  acpChunkMs?: number;
  /** Upstream's --state-file, shared by the fleet (PTY only: upstream refuses it with ACP). */
  state?: StateFile;
  streams: StreamBudget;
  links: SchemaLinks;
  log: FastifyBaseLogger;
}

export class AgentServer implements PersistentAgent {
  readonly conversation: AgentConversation;
  readonly lock = new ServerLock();
  readonly events: EventHub;
  readonly statusBodies: StatusBodies;

  constructor(
    readonly id: number,
    options: AgentServerOptions,
  ) {
    const state = options.state;
    this.conversation =
      options.transport === "acp"
        ? new AcpConversation({
            agentType: options.agentType,
            thinkMs: options.behaviour.thinkMs,
            chunkMs: options.acpChunkMs ?? ACP_CHUNK_MS,
            maxMessages: options.maxMessages,
          })
        : new Conversation({
            agentType: options.agentType,
            timing: options.timing,
            behaviour: options.behaviour,
            maxMessages: options.maxMessages,
            log: (message) => options.log.info({ agent: id }, message),
            persistence: state && { load: state.config.load ? () => this.restore(state) : undefined },
          });
    this.events = new EventHub(this.conversation, options.streams, options.log);
    this.statusBodies = new StatusBodies(this.conversation, options.links);
  }

  /** Upstream's loadStateLocked outcome for this agent; a failure is an agent_error event (a warning), as upstream's. */
  private restore(state: StateFile): AgentState | undefined {
    const outcome = state.load(this.id);
    if (outcome.kind === "failed") this.events.error(restoreErrorMessage(outcome.error), "warning");
    return outcome.kind === "restored" ? outcome.state : undefined;
  }

  /** What a save writes for this agent (undefined: nothing yet, or not persisted). */
  snapshot(): StateSnapshot | undefined {
    return this.conversation instanceof Conversation ? this.conversation.stateSnapshot() : undefined;
  }

  markSaved(changes: number): void {
    if (this.conversation instanceof Conversation) this.conversation.markSaved(changes);
  }

  close(): void {
    this.events.close();
    this.conversation.close();
  }
}
