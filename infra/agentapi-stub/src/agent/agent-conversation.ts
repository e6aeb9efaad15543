// What the HTTP layer (agentapi/agent-server.ts, routes.ts, events.ts, status.ts) needs from one agent's
// conversation, whatever the transport: upstream's st.Conversation (lib/screentracker/conversation.go: Status,
// Messages, Send) plus the event feed upstream's emitter carries, raw writes, shutdown and the timer count the
// tests read. Two implementations, chosen per target by STUB_TRANSPORT:
// - `pty` (conversation.ts): upstream's PTYConversation, a terminal watched on the 25 ms snapshot grid;
// - `acp` (acp-conversation.ts): upstream's ACPConversation (x/acpio), a prompt that blocks for the whole turn
//   while the agent streams chunks.
// The server lock is not part of either: the HTTP layer takes it around each call, as upstream's Server does.
import type { AgentEvent, AgentListener, AgentStatus, ConversationMessage } from "./conversation";

/** Upstream's `transport` in GET /status (cmd/server: `--experimental-acp` → "acp", else "pty"). */
export type Transport = "pty" | "acp";
export const TRANSPORTS: readonly Transport[] = ["pty", "acp"];

export interface AgentConversation {
  readonly agentType: string;
  readonly transport: Transport;
  /** The HTTP status (`running` | `stable`). */
  readonly status: AgentStatus;
  /** The conversation, oldest first. The array is live: callers must not keep or mutate it. */
  messages(): readonly ConversationMessage[];
  /** Events that rebuild the state as upstream's emitter replays it to a new /events stream. */
  stateEvents(): AgentEvent[];
  subscribe(listener: AgentListener): () => void;
  /** Resolves when the status is, or next turns, `stable`. */
  untilStable(): Promise<void>;
  /**
   * POST /message type "user" (the caller holds the server's write lock). Resolves when upstream would answer 200;
   * rejects with MessageRejected carrying upstream's reason.
   */
  sendUser(content: string): Promise<void>;
  /** POST /message type "raw" (the caller holds the server's write lock); rejects with MessageRejected. */
  sendRaw(content: string): void | Promise<void>;
  /** Stop everything in progress (pending sends fail as upstream's do when its context is cancelled). */
  close(): void;
  /** Timers pending: 0 for an idle agent. */
  readonly pendingTimers: number;
}

/**
 * A conversation's event feed, the same for both transports: listeners (upstream's emitter subscribers), the events
 * sent to them, and the wait for `stable` that tests and the fleet use.
 */
export class AgentEventFeed {
  private readonly listeners = new Set<AgentListener>();

  subscribe(listener: AgentListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: AgentEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** Resolves when `status` already is, or the feed next says, `stable`. */
  untilStable(status: AgentStatus): Promise<void> {
    if (status === "stable") return Promise.resolve();
    return new Promise<void>((resolve) => {
      const stop = this.subscribe((event) => {
        if (event.type !== "status_change" || event.status !== "stable") return;
        stop();
        resolve();
      });
    });
  }

  clear(): void {
    this.listeners.clear();
  }
}
