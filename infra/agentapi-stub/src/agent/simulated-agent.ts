// The simulated agent behind the AgentAPI surface. It follows upstream's conversation rules (coder/agentapi
// screentracker): message 0 is the agent's start-up screen; a user message is accepted only while the agent is
// stable, must be trimmed and non-empty; it turns the agent `running` at once; the agent's reply then grows
// (each change is a message update) until the think time is over and the agent is `stable` again. Raw messages
// are keystrokes: accepted in any state, never stored.
import { composeReply, WELCOME_SCREEN } from "./reply";

export type AgentStatus = "running" | "stable";
export type ConversationRole = "user" | "agent";

export interface ConversationMessage {
  id: number;
  role: ConversationRole;
  content: string;
  /** RFC 3339 timestamp (when the message last changed, as upstream's snapshot time). */
  time: string;
}

export type AgentEvent =
  { type: "message_update"; message: ConversationMessage } | { type: "status_change"; status: AgentStatus };

export type AgentListener = (event: AgentEvent) => void;

// Upstream's wording (lib/screentracker), so clients see the same errors.
export const ERR_AGENT_BUSY = "message can only be sent when the agent is waiting for user input";
export const ERR_NOT_TRIMMED = "message must be trimmed of leading and trailing whitespace";
export const ERR_EMPTY = "message must not be empty";

/** A user message the agent refuses; upstream reports it as a handler error (500). */
export class MessageRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MessageRejected";
  }
}

export interface SimulatedAgentOptions {
  agentType: string;
  thinkMs: { min: number; max: number };
  /** History cap: beyond it the oldest messages are dropped (ids keep increasing). */
  maxMessages: number;
  random?: () => number;
}

// Same trim set as upstream's msgfmt.TrimWhitespace (spaces, tabs, newlines, carriage returns).
const UNTRIMMED = /^[ \t\n\r]|[ \t\n\r]$/;
/** One visible update per this many ms of think time (upstream snapshots the screen every 25 ms). */
const MS_PER_UPDATE = 100;
const MAX_UPDATES = 24;

export class SimulatedAgent {
  readonly agentType: string;
  private statusValue: AgentStatus = "stable";
  private readonly history: ConversationMessage[] = [];
  private nextId = 0;
  private readonly listeners = new Set<AgentListener>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly random: () => number;

  constructor(private readonly options: SimulatedAgentOptions) {
    this.agentType = options.agentType;
    this.random = options.random ?? Math.random;
    this.append("agent", WELCOME_SCREEN);
  }

  get status(): AgentStatus {
    return this.statusValue;
  }

  /** The conversation, oldest first. The array is live: callers must not keep or mutate it. */
  messages(): readonly ConversationMessage[] {
    return this.history;
  }

  /** Events that rebuild the current state: one message update per message, then the status. */
  stateEvents(): AgentEvent[] {
    const events: AgentEvent[] = this.history.map((message) => ({ type: "message_update", message }));
    events.push({ type: "status_change", status: this.statusValue });
    return events;
  }

  subscribe(listener: AgentListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** POST /message type "user". Throws MessageRejected with upstream's reason. */
  sendUser(content: string): void {
    if (this.closed) throw new MessageRejected("the agent is shutting down");
    if (this.statusValue !== "stable") throw new MessageRejected(ERR_AGENT_BUSY);
    if (UNTRIMMED.test(content)) throw new MessageRejected(ERR_NOT_TRIMMED);
    if (content === "") throw new MessageRejected(ERR_EMPTY);
    this.append("user", content);
    this.setStatus("running");
    this.think(content);
  }

  /** POST /message type "raw": keystrokes to the terminal; accepted in any state, not part of the history. */
  sendRaw(_content: string): void {
    // Nothing to store: upstream writes the bytes to the PTY and keeps no message for them.
  }

  /** Stop the reply in progress and tell subscribers nothing more will come. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private think(prompt: string): void {
    const { min, max } = this.options.thinkMs;
    const totalMs = min + Math.floor(this.random() * (max - min + 1));
    const updates = Math.min(MAX_UPDATES, Math.max(2, Math.ceil(totalMs / MS_PER_UPDATE)));
    const lines = composeReply(prompt, updates);
    const stepMs = totalMs / lines.length;
    let shown = 0;
    let reply: ConversationMessage | undefined;
    const started = Date.now();

    const step = (): void => {
      this.timer = undefined;
      if (this.closed) return;
      shown++;
      const content = lines.slice(0, shown).join("\n");
      if (reply === undefined || !this.holds(reply)) reply = this.append("agent", content);
      else this.update(reply, content);
      if (shown < lines.length) {
        // Schedule against the start time so timer drift does not stretch the think time.
        this.timer = setTimeout(step, Math.max(0, started + stepMs * (shown + 1) - Date.now()));
      } else {
        this.setStatus("stable");
      }
    };
    this.timer = setTimeout(step, stepMs);
  }

  /** Still in the history? Ids are contiguous and only the oldest are dropped, so one comparison answers it. */
  private holds(message: ConversationMessage): boolean {
    const oldest = this.history[0];
    return oldest !== undefined && message.id >= oldest.id;
  }

  private append(role: ConversationRole, content: string): ConversationMessage {
    const message: ConversationMessage = { id: this.nextId++, role, content, time: new Date().toISOString() };
    this.history.push(message);
    if (this.history.length > this.options.maxMessages)
      this.history.splice(0, this.history.length - this.options.maxMessages);
    this.emit({ type: "message_update", message });
    return message;
  }

  private update(message: ConversationMessage, content: string): void {
    message.content = content;
    message.time = new Date().toISOString();
    this.emit({ type: "message_update", message });
  }

  private setStatus(status: AgentStatus): void {
    if (this.statusValue === status) return;
    this.statusValue = status;
    this.emit({ type: "status_change", status });
  }

  private emit(event: AgentEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
