// One agent's conversation as a real AgentAPI server keeps it (coder/agentapi v0.12.2,
// lib/screentracker/pty_conversation.go), driven by the simulated program on its AgentTerminal:
// - message 0 is the agent's start-up screen; the status is `running` until that screen has been still for the
//   stability length (upstream: "initializing", reported as running);
// - a `user` send (POST /message) runs upstream's writeStabilize: wait for the next snapshot, type the text, wait
//   for the echo and then 1 s of stillness (bounded, non-fatal), press Enter, wait for the screen to change (bounded,
//   fatal); only then is the user message added and the send answered;
// - the agent is `running` while its screen changes and `stable` once it has not changed for the stability length,
//   measured on upstream's 25 ms snapshot grid;
// - with a state file (upstream's --state-file, agent/state.ts) the history is restored on the first snapshot that
//   shows the agent ready, and a change counter stands for upstream's `dirty`.
// Event-driven: the status flips on one timer armed when the screen changes; an idle agent holds no timer.
import { AgentEventFeed, type AgentConversation } from "./agent-conversation";
import { AgentTerminal } from "./terminal";
import { SimulatedAgent } from "./simulated-agent";
import type { AgentState, StateSnapshot } from "./state";
import { AgentTimers, ShutdownError } from "./timers";
import type { AgentBehaviour, UpstreamTiming } from "./timing";
import { waitFor } from "./wait-for";

export type AgentStatus = "running" | "stable";
export type ConversationRole = "user" | "agent";

export interface ConversationMessage {
  id: number;
  role: ConversationRole;
  content: string;
  /** RFC 3339 timestamp: a user message's send start, an agent message's last change (upstream's snapshot time). */
  time: string;
}

export type AgentEvent =
  { type: "message_update"; message: ConversationMessage } | { type: "status_change"; status: AgentStatus };

export type AgentListener = (event: AgentEvent) => void;

// Upstream's wording (lib/screentracker/conversation.go, pty_conversation.go, lib/util), so clients see the same errors.
export const ERR_AGENT_BUSY = "message can only be sent when the agent is waiting for user input";
export const ERR_EMPTY = "message must not be empty";
/** sendMessage and createMessage both wrap writeStabilize's error with "failed to send message: ". */
export const ERR_PROCESS_TIMEOUT =
  "failed to send message: failed to wait for processing to start: timeout waiting for condition";

/** A send upstream refuses or fails; the HTTP layer answers it as huma's 500 with `failed to send message: …`. */
export class MessageRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MessageRejected";
  }
}

export interface ConversationOptions {
  agentType: string;
  timing: UpstreamTiming;
  behaviour: AgentBehaviour;
  /** History cap: beyond it the oldest messages are dropped (ids keep increasing). */
  maxMessages: number;
  random?: () => number;
  /** Called with each line upstream would log at info (e.g. an echo that timed out). */
  log?: (message: string) => void;
  /** Upstream's state persistence (--state-file); absent = off. */
  persistence?: ConversationPersistence;
}

/** What the conversation needs for upstream's --state-file (the file itself is agent/state.ts). */
export interface ConversationPersistence {
  /** --load-state: asked once, on the first snapshot that shows the agent ready; a state to restore, or undefined
   * to go on fresh (the caller logs and reports why). */
  load?: () => AgentState | undefined;
}

/** Upstream's msgfmt.TrimWhitespace: strings.Trim with " \t\n\r\f\v". */
export function trimWhitespace(text: string): string {
  return text.replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, "");
}

export class Conversation implements AgentConversation {
  readonly agentType: string;
  readonly transport = "pty" as const;
  private statusValue: AgentStatus = "running";
  private readonly history: ConversationMessage[] = [];
  private nextId = 0;
  private readonly feed = new AgentEventFeed();
  private readonly timers = new AgentTimers();
  private readonly terminal: AgentTerminal;
  private readonly program: SimulatedAgent;
  private readonly timing: UpstreamTiming;
  /** The origin of the snapshot grid: upstream's ticker started with the server. */
  private readonly gridOrigin: number;
  /** When the screen will have been still for the stability length. */
  private stableAt = 0;
  private cancelStableTimer: (() => void) | undefined;
  /** A send is in progress (upstream: queued or `sendingMessage`): the status reads `running`. */
  private sending = false;
  /** Upstream's `writingMessage`: the reply is not updated from the screen while the message is being typed. */
  private writing = false;
  private closed = false;
  /** State persistence: `booting` until the first snapshot that shows the agent ready, then `fresh` or `restored`. */
  private persistence: "off" | "booting" | "fresh" | "restored" = "off";
  /** Bumped on every change of the history; upstream's `dirty` is `changes !== savedChanges`. */
  private changes = 0;
  private savedChanges = 0;
  /** Upstream's userSentMessageAfterLoadState: until then a restored last agent message is not the screen's. */
  private userSentAfterRestore = false;
  /** The restored initial prompt, written back as it was (the simulated agent has no initial prompt). */
  private initialPrompt = { text: "", sent: false };

  constructor(private readonly options: ConversationOptions) {
    this.agentType = options.agentType;
    this.timing = options.timing;
    this.gridOrigin = this.timers.now();
    this.terminal = new AgentTerminal(() => this.timers.now());
    this.program = new SimulatedAgent(this.terminal, this.timers, options.behaviour, options.random);
    // Upstream starts with an empty agent message that the first snapshots fill with the start-up screen.
    this.append("agent", "");
    this.terminal.onChange(() => this.screenChanged());
    this.program.boot();
    if (options.persistence !== undefined) {
      // Upstream's `dirty` starts false: nothing is saved before the first snapshot.
      this.persistence = "booting";
      this.savedChanges = this.changes;
      this.timers.after(this.nextTick(this.terminal.changedAt) - this.timers.now(), () => this.readyTick());
    }
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
    return this.feed.subscribe(listener);
  }

  /** Resolves when the status is, or next turns, `stable`. */
  untilStable(): Promise<void> {
    return this.feed.untilStable(this.statusValue);
  }

  /** Timers pending: 0 for an idle agent. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * POST /message type "user" (the caller holds the server lock). Resolves when upstream would answer 200;
   * rejects with MessageRejected carrying upstream's reason.
   */
  async sendUser(content: string): Promise<void> {
    if (this.closed) throw new MessageRejected(new ShutdownError().message);
    // Upstream formats the message first (createMessage → FormatMessage trims it), so Send's whitespace check always
    // passes: surrounding whitespace is dropped, and only a blank message is refused.
    content = trimWhitespace(content);
    if (content === "") throw new MessageRejected(ERR_EMPTY);
    if (this.statusValue !== "stable") throw new MessageRejected(ERR_AGENT_BUSY);
    this.sending = true;
    try {
      // The send loop starts on the snapshot loop's next tick (its "stable" signal).
      await this.timers.sleep(this.nextTick(this.timers.now()) - this.timers.now());
      this.setStatus("running");
      const time = new Date().toISOString();
      this.writing = true;
      await this.writeStabilize(content);
      this.writing = false;
      this.append("user", content, time);
      this.userSentAfterRestore = true;
      this.updateReply();
    } catch (error) {
      if (error instanceof ShutdownError) throw new MessageRejected(error.message);
      throw error;
    } finally {
      this.writing = false;
      this.sending = false;
      this.settle();
    }
  }

  /** POST /message type "raw": keystrokes written at once; never part of the history. */
  sendRaw(content: string): void {
    this.program.keys(content);
  }

  /** Stop everything in progress; pending sends fail as upstream's do when its context is cancelled. */
  close(): void {
    this.closed = true;
    this.timers.close();
    this.cancelStableTimer = undefined;
    this.feed.clear();
  }

  // Upstream's writeStabilize: phase 1 (echo detection) then phase 2 (processing detection).
  private async writeStabilize(content: string): Promise<void> {
    const t = this.timing;
    const beforeMessage = this.terminal.version;
    this.program.type(content);
    const echoed = await waitFor(
      this.timers,
      { timeoutMs: t.echoTimeoutMs, minIntervalMs: t.echoPollMs, maxIntervalMs: t.maxPollMs, initialWait: true },
      async () => {
        if (this.terminal.version === beforeMessage) return false;
        const seen = this.terminal.version;
        await this.timers.sleep(t.echoSettleMs);
        return this.terminal.version === seen;
      },
    );
    // v0.12.2: an agent that does not echo is not an error; the send goes on to Enter.
    if (!echoed) this.options.log?.("echo detection timed out, sending carriage return");

    const beforeEnter = this.terminal.version;
    let lastEnter = -Infinity;
    const started = await waitFor(
      this.timers,
      { timeoutMs: t.processTimeoutMs, minIntervalMs: t.processPollMs, maxIntervalMs: t.maxPollMs, initialWait: false },
      async () => {
        // Another carriage return only when nothing happened for a while (some agents act on each one).
        if (this.timers.now() - lastEnter >= t.carriageReturnRetryMs) {
          lastEnter = this.timers.now();
          this.program.enter();
        }
        await this.timers.sleep(t.processPollMs);
        return this.terminal.version !== beforeEnter;
      },
    );
    if (!started) throw new MessageRejected(ERR_PROCESS_TIMEOUT);
  }

  /** The first snapshot at or after `time`: upstream sees a change only when it next reads the screen. */
  private nextTick(time: number): number {
    const interval = this.timing.snapshotIntervalMs;
    return this.gridOrigin + (Math.floor((time - this.gridOrigin) / interval) + 1) * interval;
  }

  private screenChanged(): void {
    // The buffer of snapshots must hold only this screen: from the first snapshot that shows it, the length.
    this.stableAt = this.nextTick(this.terminal.changedAt) + this.timing.stabilityMs;
    this.setStatus("running");
    if (!this.writing) this.updateReply();
    this.armStableTimer();
  }

  private armStableTimer(): void {
    if (this.cancelStableTimer !== undefined) return; // it re-arms itself for a later stableAt when it fires
    this.cancelStableTimer = this.timers.after(this.stableAt - this.timers.now(), () => {
      this.cancelStableTimer = undefined;
      if (this.timers.now() < this.stableAt) this.armStableTimer();
      else this.settle();
    });
  }

  /** `stable` when nothing is being sent and the screen is still. */
  private settle(): void {
    if (this.closed || this.sending || this.timers.now() < this.stableAt) return;
    this.setStatus("stable");
  }

  /** Upstream's updateLastAgentMessage: the reply on the screen becomes the agent message after the last user one. */
  private updateReply(): void {
    const reply = this.terminal.reply;
    const last = this.history[this.history.length - 1];
    // A restored last agent message stays as it was (not the new screen's) until the user's next message.
    if (this.persistence === "restored" && !this.userSentAfterRestore && last?.role === "agent") return;
    if (last === undefined || last.role === "user") {
      if (reply !== "") this.append("agent", reply);
    } else if (last.content !== reply) {
      last.content = reply;
      last.time = new Date().toISOString();
      this.changes++;
      this.emit({ type: "message_update", message: last });
    }
  }

  /**
   * The first snapshot that shows the agent ready (its start-up screen): upstream loads the state file here, once.
   * Restored: ids and times as stored, new ids from len(messages) on, the restored messages sent as message updates,
   * not dirty. Otherwise the snapshot has just taken the start-up screen into message 0: dirty.
   */
  private readyTick(): void {
    if (this.closed) return;
    const state = this.options.persistence?.load?.();
    if (state === undefined) {
      this.persistence = "fresh";
      this.savedChanges = -1;
      return;
    }
    this.persistence = "restored";
    this.initialPrompt = { text: state.initialPrompt, sent: state.initialPromptSent };
    const last = state.messages[state.messages.length - 1];
    // Upstream numbers new messages len(messages) on; past the history cap ids run beyond the length.
    this.nextId = Math.max(state.messages.length, last === undefined ? 0 : last.id + 1);
    this.history.length = 0;
    for (const message of state.messages.slice(-this.options.maxMessages)) this.history.push({ ...message });
    this.changes++;
    this.savedChanges = this.changes;
    for (const message of this.history) this.emit({ type: "message_update", message });
    // A restored conversation that ends with the user's message gets a new agent message from the screen.
    this.updateReply();
  }

  /** The history as a save writes it (a copy), or undefined before the first snapshot (nothing to save yet). */
  stateSnapshot(): StateSnapshot | undefined {
    if (this.persistence === "off" || this.persistence === "booting") return undefined;
    const messages = this.history.slice();
    // Only the last message changes in place; the others are never touched again.
    const last = messages[messages.length - 1];
    if (last !== undefined) messages[messages.length - 1] = { ...last };
    return {
      messages,
      initialPrompt: this.initialPrompt.text,
      initialPromptSent: this.initialPrompt.sent,
      changes: this.changes,
      dirty: this.changes !== this.savedChanges,
    };
  }

  /** A save wrote the snapshot taken at `changes`. */
  markSaved(changes: number): void {
    this.savedChanges = changes;
  }

  private append(role: ConversationRole, content: string, time = new Date().toISOString()): void {
    // Upstream's member order (id, content, role, time), so /messages serializes as upstream's does.
    const message: ConversationMessage = { id: this.nextId++, content, role, time };
    this.history.push(message);
    this.changes++;
    if (this.history.length > this.options.maxMessages)
      this.history.splice(0, this.history.length - this.options.maxMessages);
    this.emit({ type: "message_update", message });
  }

  private setStatus(status: AgentStatus): void {
    if (this.statusValue === status) return;
    this.statusValue = status;
    this.emit({ type: "status_change", status });
  }

  private emit(event: AgentEvent): void {
    this.feed.emit(event);
  }
}
