// One agent's conversation as a real AgentAPI server keeps it over upstream's ACP transport
// (`agentapi server --experimental-acp`, coder/agentapi v0.12.2: x/acpio/acp_conversation.go and acpio.go),
// driving a simulated ACP agent instead of a process speaking JSON-RPC on its stdio:
// - no initial agent message and no screen: the agent is `stable` from the start and `running` exactly while a
//   prompt is in flight (no stability window, no snapshot grid);
// - a user send adds the user message and an empty agent message at once (both stamped with the submit time, never
//   restamped), turns `running`, then blocks for the whole turn while the agent's chunks grow the agent message;
//   the turn ends when the agent answers the prompt (plus upstream's wait of up to 100 ms for a late chunk, paid only
//   when no chunk came), then `stable`;
// - events as upstream's emitter sends them: `running` at submit, the two messages only at the first chunk, one
//   agent update per chunk, `stable` at the end;
// - a raw message is a real prompt whose reply is discarded: it blocks for a whole turn and changes nothing visible.
// Event-driven: a turn holds one timer at a time (the next chunk); an idle agent holds none.
import { AgentEventFeed, type AgentConversation } from "./agent-conversation";
import {
  ERR_AGENT_BUSY,
  ERR_EMPTY,
  MessageRejected,
  trimWhitespace,
  type AgentEvent,
  type AgentListener,
  type AgentStatus,
  type ConversationMessage,
  type ConversationRole,
} from "./conversation";
import { composeReply } from "./reply";
import { AgentTimers, ShutdownError } from "./timers";

/** executePrompt waits up to 100 ms for a chunk after the prompt returned; a chunk received during the turn ends
 * the wait at once (chunkReceived holds one signal), so it is only paid by a turn that produced no chunk. */
export const NO_CHUNK_WAIT_MS = 100;
/** How often the simulated ACP agent sends a chunk by default (STUB_ACP_CHUNK_MS). */
export const ACP_CHUNK_MS = 100;

/** As the PTY agent's reply (simulated-agent.ts): a line per 100 ms of think time, 2 … 24 lines. */
const MS_PER_LINE = 100;
const MAX_LINES = 24;

export interface AcpConversationOptions {
  agentType: string;
  /** How long the agent works on each prompt, drawn uniformly from [min, max] (ms); the chunks span it. */
  thinkMs: { min: number; max: number };
  /** About how often the agent sends a chunk while it works (ms). */
  chunkMs: number;
  /** History cap: beyond it the oldest messages are dropped (ids keep increasing). */
  maxMessages: number;
  random?: () => number;
  /** The agent's reply to a prompt as the chunks it streams (default: acpReplyChunks); [] = a reply without text. */
  chunks?: (prompt: string, thinkMs: number, chunkMs: number) => string[];
}

/** Go's strings.TrimSpace (unicode.IsSpace), which ACPAgentIO.Write applies to every prompt. */
export function goTrimSpace(text: string): string {
  return text.replace(
    /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g,
    "",
  );
}

/** The prompt text ACPAgentIO.Write sends for written bytes: bracketed-paste markers and the `x\b` hack stripped,
 * then TrimSpace; "" = nothing is sent (the write succeeds at once). */
export function acpPromptText(data: string): string {
  let text = data;
  if (text.startsWith("\u001b[200~")) text = text.slice(6);
  if (text.endsWith("\u001b[201~")) text = text.slice(0, -6);
  if (text.startsWith("x\b")) text = text.slice(2);
  return goTrimSpace(text);
}

/**
 * The simulated agent's reply (reply.ts's text, the same as the PTY agent's but not padded: there is no terminal)
 * cut into about one chunk per `chunkMs` of the think time, at word boundaries like streamed tokens. The chunks
 * concatenate to the whole reply.
 */
export function acpReplyChunks(prompt: string, thinkMs: number, chunkMs: number): string[] {
  const text = composeReply(prompt, Math.min(MAX_LINES, Math.max(2, Math.ceil(thinkMs / MS_PER_LINE)))).join("\n");
  const tokens = text.match(/\s*\S+\s*/g) ?? [text];
  const count = Math.max(1, Math.min(tokens.length, Math.ceil(thinkMs / Math.max(1, chunkMs))));
  const chunks: string[] = [];
  for (let i = 0; i < count; i++) {
    chunks.push(
      tokens.slice(Math.floor((i * tokens.length) / count), Math.floor(((i + 1) * tokens.length) / count)).join(""),
    );
  }
  return chunks;
}

export class AcpConversation implements AgentConversation {
  readonly agentType: string;
  readonly transport = "acp" as const;
  private readonly history: ConversationMessage[] = [];
  private nextId = 0;
  /** Upstream's `prompting`: a user turn is in flight; the status is `running` exactly then. */
  private prompting = false;
  /** The current turn's two messages are not yet known to the emitter (no chunk yet): the replay leaves them out. */
  private unannounced = false;
  private readonly feed = new AgentEventFeed();
  private readonly timers = new AgentTimers();
  private readonly random: () => number;
  private closed = false;

  constructor(private readonly options: AcpConversationOptions) {
    this.agentType = options.agentType;
    this.random = options.random ?? Math.random;
  }

  get status(): AgentStatus {
    return this.prompting ? "running" : "stable";
  }

  messages(): readonly ConversationMessage[] {
    return this.history;
  }

  /** The emitter's view (EventEmitter.currentStateAsEvents): a turn's messages only once its first chunk came. */
  stateEvents(): AgentEvent[] {
    const known = this.unannounced ? this.history.slice(0, -2) : this.history;
    const events: AgentEvent[] = known.map((message) => ({ type: "message_update", message }));
    events.push({ type: "status_change", status: this.status });
    return events;
  }

  subscribe(listener: AgentListener): () => void {
    return this.feed.subscribe(listener);
  }

  untilStable(): Promise<void> {
    return this.feed.untilStable(this.status);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** ACPConversation.Send: resolves when the whole turn is over. */
  async sendUser(content: string): Promise<void> {
    if (this.closed) throw new MessageRejected(new ShutdownError().message);
    // createMessage formats (trims) the content first, so Send's whitespace check always passes.
    content = trimWhitespace(content);
    if (content === "") throw new MessageRejected(ERR_EMPTY);
    // Over HTTP the write lock serializes sends, so only upstream's initial prompt (not modeled) could meet this.
    if (this.prompting) throw new MessageRejected(ERR_AGENT_BUSY);
    const time = new Date().toISOString();
    const user = this.append("user", content, time);
    const reply = this.append("agent", "", time);
    this.unannounced = true;
    this.prompting = true;
    this.emit({ type: "status_change", status: "running" });
    let chunked = false;
    try {
      await this.prompt(content, (chunk) => {
        chunked = true;
        // handleChunk: the agent message is the text streamed so far; its time stays the submit time.
        reply.content += chunk;
        this.announce(user, reply);
      });
      if (!chunked) await this.sleepUntil(this.timers.now() + NO_CHUNK_WAIT_MS);
    } catch (error) {
      if (error instanceof ShutdownError) throw new MessageRejected(error.message);
      throw error;
    } finally {
      this.prompting = false;
      if (!this.closed) {
        // The end of executePrompt: EmitMessages (only what the chunks did not already send), then EmitStatus.
        if (this.unannounced) this.announce(user, reply);
        this.emit({ type: "status_change", status: "stable" });
      }
    }
  }

  /**
   * ACPAgentIO.Write outside the conversation: a real prompt whose chunks are discarded (upstream logs each as a
   * late chunk). It blocks for the whole turn; nothing is stored, no event is sent, the status stays `stable`.
   */
  async sendRaw(content: string): Promise<void> {
    if (this.closed) throw new MessageRejected(new ShutdownError().message);
    const text = acpPromptText(content);
    if (text === "") return;
    try {
      await this.prompt(text);
    } catch (error) {
      if (error instanceof ShutdownError) throw new MessageRejected(error.message);
      throw error;
    }
  }

  close(): void {
    this.closed = true;
    this.timers.close();
    this.feed.clear();
  }

  /** The simulated agent answers one session/prompt: chunks spread evenly over its think time, then the response. */
  private async prompt(text: string, onChunk?: (chunk: string) => void): Promise<void> {
    const { min, max } = this.options.thinkMs;
    const totalMs = min + Math.floor(this.random() * (max - min + 1));
    const chunks = (this.options.chunks ?? acpReplyChunks)(text, totalMs, this.options.chunkMs);
    // Scheduled against the start so timer drift does not stretch the think time; the last chunk lands on its end.
    const started = this.timers.now();
    for (const [i, chunk] of chunks.entries()) {
      await this.sleepUntil(started + ((i + 1) * totalMs) / chunks.length);
      onChunk?.(chunk);
    }
    await this.sleepUntil(started + totalMs);
  }

  /** Never earlier than `time` (a timer may fire a fraction of a millisecond early). */
  private async sleepUntil(time: number): Promise<void> {
    while (this.timers.now() < time) await this.timers.sleep(time - this.timers.now());
  }

  /** EmitMessages after a change: the turn's user message with the first one, then the agent message each time. */
  private announce(user: ConversationMessage, reply: ConversationMessage): void {
    if (this.unannounced) {
      this.unannounced = false;
      this.emit({ type: "message_update", message: user });
    }
    this.emit({ type: "message_update", message: reply });
  }

  private append(role: ConversationRole, content: string, time: string): ConversationMessage {
    // Upstream's member order (id, content, role, time), so /messages serializes as upstream's does.
    const message: ConversationMessage = { id: this.nextId++, content, role, time };
    this.history.push(message);
    if (this.history.length > this.options.maxMessages)
      this.history.splice(0, this.history.length - this.options.maxMessages);
    return message;
  }

  private emit(event: AgentEvent): void {
    this.feed.emit(event);
  }
}
