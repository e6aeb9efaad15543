// Upstream's state persistence (coder/agentapi v0.12.2 `--state-file`, `--load-state`, `--save-state`;
// lib/screentracker/pty_conversation.go SaveState and loadStateLocked), PTY model only:
// - one agent's state is upstream's AgentState, written as json.Encoder writes it (compact, `<>&` escaped, a final
//   newline): {"version":1,"messages":[{"id","message","role","time"}],"initial_prompt":"","initial_prompt_sent":false}
//   (the text is `message` in the file, `content` over HTTP);
// - a fleet (STUB_AGENTS > 1) keeps ONE file: a top-level object keyed by agent number, each value that agent's
//   AgentState ({"1":{…},"2":{…}}). One rename saves the whole fleet at once, so a restart never mixes two saves, and
//   a fleet of 1000 costs one file and one fsync instead of 1000. With one agent the file is exactly upstream's, so
//   the target and a real agentapi can read each other's files; a fleet reading such a file gives it to agent 1;
// - a save (SIGTERM/SIGINT/SIGHUP before the listeners stop, SIGUSR1 while running) is skipped when nothing changed
//   since the last one (upstream's `dirty`); it writes `<file>.tmp` (0600; parent directories created 0700), syncs it
//   and renames it over the file;
// - the file is read with Go's rules (json.Decoder into AgentState: the first value only, field names matched
//   case-insensitively, unknown fields ignored, the first type error reported) and upstream's wording, and only when
//   an agent is ready (conversation.ts restores it on the first snapshot that shows the agent's prompt).
import { readFileSync } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import type { FastifyBaseLogger } from "fastify";
import { goDecodeFirst, type GoValue } from "../agentapi/go-json";
import type { ConversationMessage, ConversationRole } from "./conversation";

/** STUB_STATE_FILE / STUB_LOAD_STATE / STUB_SAVE_STATE (upstream's --state-file / --load-state / --save-state). */
export interface StatePersistence {
  file: string;
  load: boolean;
  save: boolean;
}

/** What one agent holds in the file, decoded (upstream's AgentState, `message` renamed to `content`). */
export interface AgentState {
  messages: ConversationMessage[];
  initialPrompt: string;
  initialPromptSent: boolean;
}

/** One agent as a save sees it. `messages` is a copy the conversation no longer changes. */
export interface StateSnapshot extends AgentState {
  /** The conversation's change count when the snapshot was taken (markSaved hands it back). */
  changes: number;
  /** Something changed since the last save (upstream's `dirty`). */
  dirty: boolean;
}

/** What the save needs from each agent. `snapshot()` is undefined until the agent's first snapshot tick. */
export interface PersistentAgent {
  readonly id: number;
  snapshot(): StateSnapshot | undefined;
  markSaved(changes: number): void;
}

/** What loading found for one agent. */
export type LoadOutcome =
  { kind: "restored"; state: AgentState } | { kind: "missing"; detail: string } | { kind: "failed"; error: string };

const NO_FILE: LoadOutcome = { kind: "missing", detail: "file does not exist" };
const NO_ENTRY: LoadOutcome = { kind: "missing", detail: "the file holds nothing for this agent" };

/** `saved`; `unchanged` (upstream: "Skipping state save: no changes since last save"); `disabled` (no state file
 * or STUB_SAVE_STATE=false: "State persistence is disabled"). */
export type SaveResult = "saved" | "unchanged" | "disabled";

/** Upstream's event text when a load fails (pty_conversation.go Start). */
export function restoreErrorMessage(error: string): string {
  return `Failed to restore previous session: ${error}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing.

/** json.Encoder's default HTML escaping (upstream does not turn it off for the state file). */
function goEscapeHtml(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** One agent's AgentState as upstream's encoder writes it (member order of the Go structs), without the newline. */
export function encodeAgentState(state: AgentState): string {
  return goEscapeHtml(
    JSON.stringify({
      version: 1,
      messages: state.messages.map((m) => ({ id: m.id, message: m.content, role: m.role, time: m.time })),
      initial_prompt: state.initialPrompt,
      initial_prompt_sent: state.initialPromptSent,
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Reading, with Go's rules and messages.

/** Go's syscall error texts for the errors an open can meet (node says e.g. "EACCES: permission denied, open …"). */
const ERRNO_TEXT: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "not a directory",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
  EIO: "input/output error",
};

const GO_TYPES = {
  state: "screentracker.AgentState",
  messages: "[]screentracker.ConversationMessage",
  message: "screentracker.ConversationMessage",
  role: "screentracker.ConversationRole",
} as const;

/** Go's zero time.Time as json writes it. */
const ZERO_TIME = "0001-01-01T00:00:00Z";

function kindOf(value: GoValue): string {
  if (typeof value === "boolean") return "bool";
  if (typeof value === "string") return "string";
  if (typeof value === "number") return "number";
  return Array.isArray(value) ? "array" : "object";
}

/** An error that stops Go's decoder at once (an Unmarshaler's error, here time.Time's). */
class DecodeAbort extends Error {}

/** encoding/json into AgentState: type errors are remembered (the first one wins) and decoding goes on. */
class StateDecoder {
  typeError: string | undefined;

  private mismatch(value: GoValue, goType: string, struct?: string, path?: string): void {
    if (this.typeError !== undefined) return;
    // Go names the literal for a number that is not an int; JS has only the value (1.0 and 1e2 count as ints here).
    const what = typeof value === "number" && goType === "int" ? `number ${String(value)}` : kindOf(value);
    this.typeError =
      struct === undefined
        ? `json: cannot unmarshal ${what} into Go value of type ${goType}`
        : `json: cannot unmarshal ${what} into Go struct field ${struct}.${path} of type ${goType}`;
  }

  /** The members of a JSON object matched to Go struct fields: the exact name first, else case-insensitively. */
  private fields(object: Map<string, GoValue>, names: readonly string[]): [string, GoValue][] {
    const out: [string, GoValue][] = [];
    for (const [key, value] of object) {
      const name = names.find((n) => n === key) ?? names.find((n) => n.toLowerCase() === key.toLowerCase());
      if (name !== undefined) out.push([name, value]);
    }
    return out;
  }

  private int(value: GoValue, fallback: number, struct: string, path: string): number {
    if (value === null) return fallback;
    if (typeof value === "number" && Number.isInteger(value) && Math.abs(value) < 2 ** 63) return value;
    this.mismatch(value, "int", struct, path);
    return fallback;
  }

  private string(value: GoValue, fallback: string, goType: string, struct: string, path: string): string {
    if (value === null) return fallback;
    if (typeof value === "string") return value;
    this.mismatch(value, goType, struct, path);
    return fallback;
  }

  private time(value: GoValue, fallback: string): string {
    if (value === null) return fallback;
    if (typeof value !== "string") throw new DecodeAbort("Time.UnmarshalJSON: input is not a JSON string");
    const error = parseRfc3339Error(value);
    if (error !== undefined) throw new DecodeAbort(error);
    return value;
  }

  private message(value: GoValue): ConversationMessage {
    const message: ConversationMessage = { id: 0, content: "", role: "" as ConversationRole, time: ZERO_TIME };
    if (value === null) return message;
    if (!(value instanceof Map)) {
      this.mismatch(value, GO_TYPES.message, "AgentState", "messages");
      return message;
    }
    const struct = "ConversationMessage";
    for (const [name, item] of this.fields(value, ["id", "message", "role", "time"])) {
      if (name === "id") message.id = this.int(item, message.id, struct, "messages.id");
      else if (name === "message")
        message.content = this.string(item, message.content, "string", struct, "messages.message");
      else if (name === "role")
        message.role = this.string(item, message.role, GO_TYPES.role, struct, "messages.role") as ConversationRole;
      else message.time = this.time(item, message.time);
    }
    return message;
  }

  /** The AgentState in `value` with its version, or the error json.Decoder.Decode returns. */
  decode(value: GoValue): { state: AgentState; version: number } | { error: string } {
    const state: AgentState = { messages: [], initialPrompt: "", initialPromptSent: false };
    let version = 0;
    try {
      if (value !== null && !(value instanceof Map)) this.mismatch(value, GO_TYPES.state);
      else if (value !== null) {
        const struct = "AgentState";
        for (const [name, item] of this.fields(value, [
          "version",
          "messages",
          "initial_prompt",
          "initial_prompt_sent",
        ])) {
          if (name === "version") version = this.int(item, version, struct, "version");
          else if (name === "initial_prompt")
            state.initialPrompt = this.string(item, state.initialPrompt, "string", struct, "initial_prompt");
          else if (name === "initial_prompt_sent") {
            if (typeof item === "boolean") state.initialPromptSent = item;
            else if (item !== null) this.mismatch(item, "bool", struct, "initial_prompt_sent");
          } else if (item === null) state.messages = [];
          else if (Array.isArray(item)) state.messages = item.map((m) => this.message(m));
          else this.mismatch(item, GO_TYPES.messages, struct, "messages");
        }
      }
    } catch (error) {
      if (error instanceof DecodeAbort) return { error: error.message };
      throw error;
    }
    return this.typeError === undefined ? { state, version } : { error: this.typeError };
  }
}

/** loadStateLocked's checks after the read: decode (with Go's message), then the version. */
function agentOutcome(value: GoValue): LoadOutcome {
  const decoded = new StateDecoder().decode(value);
  if ("error" in decoded) return { kind: "failed", error: unmarshalError(decoded.error) };
  if (decoded.version !== 1) {
    return { kind: "failed", error: `unsupported state file version ${decoded.version} (expected 1)` };
  }
  return { kind: "restored", state: decoded.state };
}

function unmarshalError(error: string): string {
  return `failed to unmarshal state (corrupted or invalid JSON): ${error}`;
}

/** What every agent gets from reading `file` (`agents` = the fleet's size; see the layout above). */
export function readStateFile(file: string, agents: number): (agent: number) => LoadOutcome {
  const all = (outcome: LoadOutcome) => (): LoadOutcome => outcome;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    if (code === "ENOENT") return all(NO_FILE);
    // Go opens a directory fine; reading it fails inside the decoder.
    if (code === "EISDIR") return all({ kind: "failed", error: unmarshalError(`read ${file}: is a directory`) });
    const text = ERRNO_TEXT[code] ?? (error instanceof Error ? error.message : String(error));
    return all({ kind: "failed", error: `failed to open state file: open ${file}: ${text}` });
  }
  const decoded = goDecodeFirst(bytes);
  if ("error" in decoded) return all({ kind: "failed", error: unmarshalError(decoded.error) });
  const top = decoded.value;
  // One agent, or a fleet reading a one-agent (upstream) file: the whole file is agent 1's AgentState.
  if (agents === 1 || (top instanceof Map && top.has("version"))) {
    const first = agentOutcome(top);
    return (agent) => (agent === 1 ? first : NO_ENTRY);
  }
  if (top === null) return all(NO_ENTRY);
  if (!(top instanceof Map)) {
    const error = `json: cannot unmarshal ${kindOf(top)} into Go value of type map[string]${GO_TYPES.state}`;
    return all({ kind: "failed", error: unmarshalError(error) });
  }
  const outcomes = new Map<number, LoadOutcome>();
  return (agent) => {
    let outcome = outcomes.get(agent);
    if (outcome === undefined) {
      const entry = top.get(String(agent));
      outcome = entry === undefined ? NO_ENTRY : agentOutcome(entry);
      outcomes.set(agent, outcome);
    }
    return outcome;
  };
}

// time.Parse(time.RFC3339, s) as Time.UnmarshalJSON runs it (strict fast path, then the layout parser), with its
// error messages; undefined when Go accepts the string.
const RFC3339_LAYOUT = "2006-01-02T15:04:05Z07:00";

/** The time package's quote(): ASCII as is (with `"` and `\` escaped), every other byte as \xNN. */
function goTimeQuote(s: string): string {
  let out = '"';
  for (const c of s) {
    const code = c.codePointAt(0)!;
    if (code < 0x20 || code >= 0x80) {
      for (const byte of Buffer.from(c, "utf8")) out += `\\x${byte.toString(16).padStart(2, "0")}`;
    } else out += c === '"' || c === "\\" ? `\\${c}` : c;
  }
  return `${out}"`;
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function parseRfc3339Error(original: string): string | undefined {
  const isDigit = (s: string, i: number): boolean => i < s.length && s[i]! >= "0" && s[i]! <= "9";
  const bad = (value: string, element: string): string =>
    `parsing time ${goTimeQuote(original)} as ${goTimeQuote(RFC3339_LAYOUT)}: cannot parse ${goTimeQuote(value)} as ${goTimeQuote(element)}`;
  const outOfRange = (what: string): string => `parsing time ${goTimeQuote(original)}: ${what} out of range`;
  let value = original;
  const literal = (prefix: string): string | undefined => {
    if (!value.startsWith(prefix)) return bad(value, prefix);
    value = value.slice(prefix.length);
    return undefined;
  };
  /** getnum: one or two digits (fixed: exactly two). */
  const number = (fixed: boolean): number | undefined => {
    if (!isDigit(value, 0)) return undefined;
    if (!isDigit(value, 1)) {
      if (fixed) return undefined;
      const n = Number(value[0]);
      value = value.slice(1);
      return n;
    }
    const n = Number(value.slice(0, 2));
    value = value.slice(2);
    return n;
  };
  // The year: four digits.
  if (value.length < 4 || !/^\d{4}/.test(value)) return bad(value, "2006");
  const year = Number(value.slice(0, 4));
  value = value.slice(4);
  const fields: [string, string, boolean, number, string][] = [
    ["-", "01", true, 12, "month"],
    ["-", "02", true, 31, "day"],
    ["T", "15", false, 23, "hour"],
    [":", "04", true, 59, "minute"],
    [":", "05", true, 59, "second"],
  ];
  const parsed: number[] = [];
  for (const [prefix, element, fixed, max, name] of fields) {
    const error = literal(prefix);
    if (error !== undefined) return error;
    const at = value;
    const n = number(fixed);
    if (n === undefined) return bad(at, element);
    if (n > max || (name === "month" && n < 1)) return outOfRange(name);
    parsed.push(n);
  }
  // Fractional seconds, right after the seconds: a period or comma and at least one digit.
  if (value.length >= 2 && (value[0] === "." || value[0] === ",") && isDigit(value, 1)) {
    let n = 2;
    while (isDigit(value, n)) n++;
    value = value.slice(n);
  }
  // The zone: Z, or ±hh:mm.
  const zone = value;
  if (value.startsWith("Z")) value = value.slice(1);
  else {
    if (value.length < 6 || value[3] !== ":") return bad(zone, "Z07:00");
    const sign = value[0];
    const hh = value.slice(1, 3);
    const mm = value.slice(4, 6);
    if (!/^\d\d$/.test(hh) || !/^\d\d$/.test(mm) || (sign !== "+" && sign !== "-")) return bad(zone, "Z07:00");
    if (Number(hh) > 24) return outOfRange("time zone offset hour");
    if (Number(mm) > 60) return outOfRange("time zone offset minute");
    value = value.slice(6);
  }
  if (value.length > 0) return `parsing time ${goTimeQuote(original)}: extra text: ${goTimeQuote(value)}`;
  const [month, day] = parsed as [number, number];
  if (day < 1 || day > daysIn(month, year)) return outOfRange("day");
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The file.

/**
 * The state file of the whole fleet. Reads it once, when the first agent is ready; saves are queued, never run
 * side by side (each writes `<file>.tmp`).
 */
export class StateFile {
  private outcomes: ((agent: number) => LoadOutcome) | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly config: StatePersistence,
    private readonly agents: number,
    private readonly log?: FastifyBaseLogger,
  ) {}

  /** What agent `id` restores (upstream's loadStateLocked), logged as upstream logs it. */
  load(id: number): LoadOutcome {
    this.outcomes ??= readStateFile(this.config.file, this.agents);
    const outcome = this.outcomes(id);
    const path = this.config.file;
    if (outcome.kind === "missing")
      this.log?.info({ agent: id, path }, `No previous state to load (${outcome.detail})`);
    else if (outcome.kind === "failed") this.log?.error({ agent: id, error: outcome.error }, "Failed to load state");
    else this.log?.info({ agent: id, path, messages: outcome.state.messages.length }, "Successfully loaded state");
    return outcome;
  }

  /** Upstream's SaveState for every agent at once (see SaveResult). Rejects with the file system's error. */
  save(agents: readonly PersistentAgent[]): Promise<SaveResult> {
    const run = this.queue.then(() => this.write(agents));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async write(agents: readonly PersistentAgent[]): Promise<SaveResult> {
    if (!this.config.save) return "disabled";
    // Every agent at the same instant: each snapshot is a copy, so the writes below cannot see later changes.
    const snapshots = agents.map((agent) => ({ agent, snapshot: agent.snapshot() }));
    if (!snapshots.some((s) => s.snapshot?.dirty === true)) return "unchanged";
    const file = this.config.file;
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const temp = `${file}.tmp`;
    const handle = await open(temp, "w", 0o600);
    let renamed = false;
    try {
      try {
        if (this.agents === 1) {
          const state = snapshots[0]?.snapshot;
          if (state !== undefined) await handle.write(`${encodeAgentState(state)}\n`);
        } else {
          let separator = "{";
          for (const { agent, snapshot } of snapshots) {
            // An agent not yet ready keeps what the file holds for it (its load is still to come).
            const state = snapshot ?? this.pendingState(agent.id);
            if (state === undefined) continue;
            await handle.write(`${separator}"${agent.id}":${encodeAgentState(state)}`);
            separator = ",";
          }
          await handle.write(separator === "{" ? "{}\n" : "}\n");
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
      renamed = true;
    } finally {
      if (!renamed) await rm(temp, { force: true });
    }
    for (const { agent, snapshot } of snapshots) if (snapshot !== undefined) agent.markSaved(snapshot.changes);
    return "saved";
  }

  private pendingState(id: number): AgentState | undefined {
    if (!this.config.load) return undefined;
    this.outcomes ??= readStateFile(this.config.file, this.agents);
    const outcome = this.outcomes(id);
    return outcome.kind === "restored" ? outcome.state : undefined;
  }
}
