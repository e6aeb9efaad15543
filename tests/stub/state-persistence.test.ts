// Upstream's state persistence (coder/agentapi v0.12.2 --state-file/--load-state/--save-state) on the target:
// STUB_STATE_FILE through the CLI as a child process (SIGTERM saves before the drain, SIGUSR1 saves and keeps serving,
// a restart restores ids, times and contents, a bad file is an agent_error), in-process restarts (saveState + close
// + startStub, what the k6 harness drives), the fleet's one-file layout, and the file read by Go's rules.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Conversation, type AgentEvent } from "../../infra/agentapi-stub/src/agent/conversation";
import { readStateFile, type AgentState } from "../../infra/agentapi-stub/src/agent/state";
import { FAST_REDRAW_MS, FAST_TIMING } from "../../infra/agentapi-stub/src/agent/timing";
import { loadConfig, ConfigError } from "../../infra/agentapi-stub/src/config";
import type { RunningStub } from "../../infra/agentapi-stub/src/stub";
import { until, waitFor } from "../support/wait";
import { openSse, REPO_ROOT, sendUser, testStub, waitForStatus } from "./helpers/stub";

const MAIN = "infra/agentapi-stub/src/main.ts";
/** Bounds for a noisy shared machine: how long a broken target is given, not how long a working one takes. */
const BOUND_MS = 30_000;

interface HttpMessage {
  id: number;
  content: string;
  role: string;
  time: string;
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "stub-state-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function messages(base: string): Promise<HttpMessage[]> {
  const body = (await (await fetch(`${base}/messages`)).json()) as { messages: HttpMessage[] };
  return body.messages;
}

/** One user turn: the send is accepted, then the agent finishes its reply (stable). */
async function turn(base: string, content: string): Promise<void> {
  const response = await sendUser(base, content);
  expect(response.status).toBe(200);
  await waitForStatus(base, "stable", BOUND_MS);
}

/** What the file holds for one agent, as upstream writes it (the text is `message`, not `content`). */
function asFileMessages(list: HttpMessage[]): { id: number; message: string; role: string; time: string }[] {
  return list.map((m) => ({ id: m.id, message: m.content, role: m.role, time: m.time }));
}

// ---------------------------------------------------------------------------------------------------------------
// The CLI as a child process.

interface Cli {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<number | null>;
}

const running: Cli[] = [];
afterEach(() => {
  for (const cli of running.splice(0)) if (cli.child.exitCode === null) cli.child.kill("SIGKILL");
});

function startCli(env: Record<string, string>): Cli {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      AGENTAPI_PORT: "0",
      BROKER_PORT: "0",
      STUB_TIME_SCALE: "0.02", // the fast mode: upstream's waits at 2 %
      STUB_THINK_MS: "20-40",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    let newline: number;
    while ((newline = stdout.indexOf("\n")) >= 0) {
      lines.push(JSON.parse(stdout.slice(0, newline)) as Record<string, unknown>);
      stdout = stdout.slice(newline + 1);
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const cli = { child, lines, stderr: () => stderr, exited };
  running.push(cli);
  return cli;
}

async function ready(cli: Cli): Promise<string> {
  const line = await waitFor(
    () => (cli.child.exitCode !== null ? null : cli.lines.find((l) => l.msg === "agentapi-stub ready")),
    BOUND_MS,
    20,
    () => `the CLI's ready line (stderr: ${cli.stderr()})`,
  );
  if (line === null) throw new Error(`the CLI exited early: ${cli.stderr()}`);
  return (line as { agentApiUrl: string }).agentApiUrl;
}

function logged(cli: Cli, msg: string, fields: Record<string, unknown> = {}): number {
  return cli.lines.filter((l) => l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v)).length;
}

async function untilLogged(cli: Cli, msg: string, fields: Record<string, unknown> = {}, count = 1): Promise<void> {
  await until(() => logged(cli, msg, fields) >= count, `log line "${msg}" ×${count}`, BOUND_MS, 20);
}

describe("STUB_STATE_FILE through the CLI", () => {
  it("SIGTERM saves before the drain (0600, upstream's AgentState); a restart restores ids, times and contents; the next prompt gets the next id", async () => {
    const dir = tempDir();
    const file = join(dir, "nested", "deeper", "state.json");
    const first = startCli({ STUB_STATE_FILE: file });
    const base = await ready(first);
    await waitForStatus(base, "stable", BOUND_MS);
    await turn(base, "first task");
    await turn(base, "second task");
    const before = await messages(base);
    expect(before.map((m) => [m.id, m.role])).toEqual([
      [0, "agent"],
      [1, "user"],
      [2, "agent"],
      [3, "user"],
      [4, "agent"],
    ]);
    const stream = await openSse(`${base}/events`);
    await stream.until((events) => events.some((e) => e.event === "status_change"), BOUND_MS);

    first.child.kill("SIGTERM");
    await stream.ended; // the drain still ends event streams cleanly
    expect(await first.exited).toBe(0);
    expect(first.stderr()).toBe("");
    const order = first.lines.map((l) => l.msg);
    expect(order.indexOf("State saved successfully")).toBeGreaterThan(order.indexOf("Received shutdown signal"));
    expect(order.indexOf("draining")).toBeGreaterThan(order.indexOf("State saved successfully"));

    // The file: upstream's AgentState, compact, one trailing newline, 0600, parents created 0700, no temp file left.
    const text = readFileSync(file, "utf8");
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.split("\n")).toHaveLength(2);
    const state = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(state)).toEqual(["version", "messages", "initial_prompt", "initial_prompt_sent"]);
    expect(state).toEqual({
      version: 1,
      messages: asFileMessages(before),
      initial_prompt: "",
      initial_prompt_sent: false,
    });
    for (const message of state.messages as object[])
      expect(Object.keys(message)).toEqual(["id", "message", "role", "time"]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "nested")).mode & 0o777).toBe(0o700);
    expect(existsSync(`${file}.tmp`)).toBe(false);

    // The restart: fresh first, then (once the agent is ready) the stored history, exactly as it was.
    const second = startCli({ STUB_STATE_FILE: file });
    const again = await ready(second);
    const restored = await waitFor(
      async () => {
        const list = await messages(again);
        return list.length === before.length ? list : undefined;
      },
      BOUND_MS,
      20,
      "the restored history on /messages",
    );
    expect(restored).toEqual(before);
    await untilLogged(second, "Successfully loaded state", { messages: 5 });
    await waitForStatus(again, "stable", BOUND_MS);
    expect(await messages(again)).toEqual(before); // the restored last agent message is not the new screen's

    await turn(again, "third task");
    const after = await messages(again);
    expect(after.slice(0, 5)).toEqual(before);
    expect(after.slice(5).map((m) => [m.id, m.role, m.role === "user" ? m.content : ""])).toEqual([
      [5, "user", "third task"],
      [6, "agent", ""],
    ]);
    expect(after[6]?.content).toContain("third task");

    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    const saved = JSON.parse(readFileSync(file, "utf8")) as { messages: unknown[] };
    expect(saved.messages).toEqual(asFileMessages(after));
  });

  it("SIGUSR1 saves and keeps serving; a second one with no change in between skips the save", async () => {
    const file = join(tempDir(), "state.json");
    const cli = startCli({ STUB_STATE_FILE: file });
    const base = await ready(cli);
    await waitForStatus(base, "stable", BOUND_MS);
    await turn(base, "remember this");

    cli.child.kill("SIGUSR1");
    await untilLogged(cli, "State saved successfully", { source: "SIGUSR1", path: file });
    const firstSave = readFileSync(file, "utf8");
    expect(JSON.parse(firstSave)).toMatchObject({ version: 1, messages: asFileMessages(await messages(base)) });
    expect((await fetch(`${base}/status`)).status).toBe(200);

    cli.child.kill("SIGUSR1");
    await untilLogged(cli, "Skipping state save: no changes since last save", { source: "SIGUSR1" });
    expect(readFileSync(file, "utf8")).toBe(firstSave);
    expect(logged(cli, "State saved successfully")).toBe(1);

    // A change makes the next save write again; with nothing new since, the shutdown skips.
    await turn(base, "and this");
    cli.child.kill("SIGUSR1");
    await untilLogged(cli, "State saved successfully", { source: "SIGUSR1" }, 2);
    const list = await messages(base);
    expect(list).toHaveLength(5);
    expect((JSON.parse(readFileSync(file, "utf8")) as { messages: unknown[] }).messages).toEqual(asFileMessages(list));

    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
    expect(logged(cli, "Skipping state save: no changes since last save", { source: "shutdown" })).toBe(1);
    expect(cli.child.exitCode).toBe(0);
  });

  it.each([
    [
      "corrupt JSON",
      "{invalid",
      "failed to unmarshal state (corrupted or invalid JSON): invalid character 'i' looking for beginning of object key string",
    ],
    ["an empty file", "", "failed to unmarshal state (corrupted or invalid JSON): EOF"],
    ["another version", '{"version":2,"messages":[]}\n', "unsupported state file version 2 (expected 1)"],
  ])(
    "%s: a fresh start and upstream's agent_error on /events (replayed to later streams); the next save overwrites it",
    async (_what, content, error) => {
      const file = join(tempDir(), "state.json");
      writeFileSync(file, content);
      const cli = startCli({ STUB_STATE_FILE: file });
      const base = await ready(cli);
      await untilLogged(cli, "Failed to load state");

      // Two streams, the second opened after the first got the event: both get it (the second from the replay). The
      // drain ends them.
      const streams = [];
      for (let i = 0; i < 2; i++) {
        const stream = await openSse(`${base}/events`);
        streams.push(stream);
        const events = await stream.until((list) => list.some((e) => e.event === "agent_error"), BOUND_MS);
        const errors = events.filter((e) => e.event === "agent_error");
        expect(errors).toHaveLength(1);
        const data = JSON.parse(errors[0]!.data) as Record<string, unknown>;
        expect(Object.keys(data)).toEqual(["message", "level", "time"]);
        expect(data).toMatchObject({ message: `Failed to restore previous session: ${error}`, level: "warning" });
        expect(Number.isNaN(Date.parse(data.time as string))).toBe(false);
        // The replay: the state first (message updates, the status), then the stored errors.
        expect(events.map((e) => e.event).indexOf("status_change")).toBeLessThan(events.indexOf(errors[0]!));
      }
      const fresh = await messages(base);
      expect(fresh.map((m) => [m.id, m.role])).toEqual([[0, "agent"]]);

      cli.child.kill("SIGTERM");
      await Promise.all(streams.map((stream) => stream.ended));
      expect(await cli.exited).toBe(0);
      const state = JSON.parse(readFileSync(file, "utf8")) as { version: number; messages: unknown[] };
      expect(state).toEqual({
        version: 1,
        messages: asFileMessages(fresh),
        initial_prompt: "",
        initial_prompt_sent: false,
      });
    },
  );

  it("a missing file: a fresh start, logged only (no agent_error)", async () => {
    const file = join(tempDir(), "absent", "state.json");
    const cli = startCli({ STUB_STATE_FILE: file });
    const base = await ready(cli);
    await untilLogged(cli, "No previous state to load (file does not exist)", { agent: 1, path: file });
    const stream = await openSse(`${base}/events`);
    const events = await stream.until((list) => list.some((e) => e.event === "status_change"), BOUND_MS);
    expect(events.map((e) => e.event)).not.toContain("agent_error");
    expect((await messages(base)).map((m) => m.id)).toEqual([0]);
    expect(logged(cli, "Failed to load state")).toBe(0);
    cli.child.kill("SIGTERM");
    await stream.ended;
    expect(await cli.exited).toBe(0);
    expect(existsSync(file)).toBe(true); // the fresh conversation is saved, directories created
  });

  it.each([
    [{ STUB_LOAD_STATE: "true" }, "STUB_LOAD_STATE requires STUB_STATE_FILE to be set"],
    [{ STUB_SAVE_STATE: "1" }, "STUB_SAVE_STATE requires STUB_STATE_FILE to be set"],
    [
      { STUB_STATE_FILE: "/tmp/never-written.json", STUB_TRANSPORT: "acp" },
      "ACP mode doesn't support state persistence (STUB_TRANSPORT=acp with STUB_STATE_FILE set)",
    ],
    [
      { STUB_STATE_FILE: "/tmp/never-written.json", STUB_LOAD_STATE: "yes" },
      'STUB_LOAD_STATE must be true or false, got "yes"',
    ],
  ])("refuses %j with one line on stderr and exit 2", async (env, message) => {
    const cli = startCli(env);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toBe(`agentapi-stub: ${message}\n`);
  });
});

describe("the state settings (upstream's defaults and refusals)", () => {
  it("load and save default to true with a file; false is accepted with or without one, and with ACP", () => {
    expect(loadConfig({}).state).toBeUndefined();
    expect(loadConfig({ STUB_STATE_FILE: "s.json" }).state).toEqual({ file: "s.json", load: true, save: true });
    expect(loadConfig({ STUB_STATE_FILE: "s.json", STUB_LOAD_STATE: "false" }).state).toEqual({
      file: "s.json",
      load: false,
      save: true,
    });
    expect(loadConfig({ STUB_LOAD_STATE: "false", STUB_SAVE_STATE: "0" }).state).toBeUndefined();
    expect(
      loadConfig({ STUB_STATE_FILE: "s.json", STUB_TRANSPORT: "acp", STUB_LOAD_STATE: "F", STUB_SAVE_STATE: "False" })
        .state,
    ).toEqual({ file: "s.json", load: false, save: false });
    expect(() => loadConfig({ STUB_STATE_FILE: "s.json", STUB_TRANSPORT: "acp", STUB_SAVE_STATE: "false" })).toThrow(
      ConfigError,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// In-process: what the k6-side tests drive.

describe("in-process restarts (saveState, close, startStub with the same state file)", () => {
  let stub: RunningStub | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });

  it("a fleet keeps one file, keyed by agent number; each agent restores its own history", async () => {
    const file = join(tempDir(), "fleet.json");
    const state = { file, load: true, save: true };
    stub = await testStub({ agents: 3, state });
    const agent2 = `${stub.agentApiUrl}/agents/2`;
    await turn(agent2, "only agent two works");
    const histories = await Promise.all([1, 2, 3].map((n) => messages(`${stub!.agentApiUrl}/agents/${n}`)));
    expect(await stub.saveState()).toBe("saved");
    expect(await stub.saveState()).toBe("unchanged");
    await stub.close();

    const saved = JSON.parse(readFileSync(file, "utf8")) as Record<string, { messages: unknown[] }>;
    expect(Object.keys(saved)).toEqual(["1", "2", "3"]);
    for (const n of [1, 2, 3]) {
      expect(saved[String(n)]).toEqual({
        version: 1,
        messages: asFileMessages(histories[n - 1]!),
        initial_prompt: "",
        initial_prompt_sent: false,
      });
    }

    stub = await testStub({ agents: 3, state });
    for (const n of [1, 2, 3]) expect(await messages(`${stub.agentApiUrl}/agents/${n}`)).toEqual(histories[n - 1]);
    expect(await messages(stub.agentApiUrl)).toEqual(histories[0]); // agent 1 is also at /
    expect(await stub.saveState()).toBe("unchanged"); // a restore is not a change
  });

  it("an upstream-written file: times kept to the nanosecond, initial prompt kept; ending with the user's message, the screen becomes a new agent message", async () => {
    const file = join(tempDir(), "upstream.json");
    const upstream = {
      version: 1,
      messages: [
        { id: 0, message: "PyAgent v1", role: "agent", time: "2026-12-04T21:49:14.721334962Z" },
        { id: 1, message: "init task", role: "user", time: "2026-12-04T21:49:16.80001Z" },
        { id: 2, message: "reply 1", role: "agent", time: "2026-12-04T21:49:17.1Z" },
        { id: 3, message: "a question <&>", role: "user", time: "2026-12-04T21:49:19.123456789+02:00" },
      ],
      initial_prompt: "init task",
      initial_prompt_sent: true,
    };
    writeFileSync(file, `${JSON.stringify(upstream)}\n`);
    const startedAt = Date.now();
    stub = await testStub({ state: { file, load: true, save: true } });
    const list = await messages(stub.agentApiUrl);
    expect(list.slice(0, 4)).toEqual(
      upstream.messages.map((m) => ({ id: m.id, content: m.message, role: m.role, time: m.time })),
    );
    expect(list).toHaveLength(5);
    expect(list[4]).toMatchObject({ id: 4, role: "agent" });
    expect(list[4]?.content).toContain("Welcome");
    expect(Date.parse(list[4]!.time)).toBeGreaterThanOrEqual(startedAt - 1000);

    expect(await stub.saveState()).toBe("saved"); // the new agent message is a change
    const text = readFileSync(file, "utf8");
    expect(text).toContain('"message":"a question \\u003c\\u0026\\u003e"'); // json.Encoder's HTML escaping
    expect(JSON.parse(text)).toMatchObject({ initial_prompt: "init task", initial_prompt_sent: true });
  });

  it("a fleet reads a one-agent (upstream) file as agent 1's; one bad entry is an agent_error for that agent only", async () => {
    const dir = tempDir();
    const single = join(dir, "single.json");
    const entry = {
      version: 1,
      messages: [{ id: 0, message: "restored banner", role: "agent", time: "2026-01-02T03:04:05Z" }],
      initial_prompt: "",
      initial_prompt_sent: false,
    };
    writeFileSync(single, JSON.stringify(entry));
    stub = await testStub({ agents: 2, state: { file: single, load: true, save: true } });
    expect((await messages(stub.agentApiUrl))[0]?.content).toBe("restored banner");
    expect((await messages(`${stub.agentApiUrl}/agents/2`))[0]?.content).toContain("Welcome");
    await stub.close();

    const fleet = join(dir, "fleet.json");
    writeFileSync(fleet, JSON.stringify({ "1": entry, "2": { version: "1" } }));
    stub = await testStub({ agents: 2, state: { file: fleet, load: true, save: true } });
    const errorsOf = async (path: string): Promise<string[]> => {
      const stream = await openSse(`${stub!.agentApiUrl}${path}/events`);
      // Left open: the stub's close() ends it.
      const events = await stream.until((list) => list.some((e) => e.event === "status_change"), BOUND_MS);
      return events
        .filter((e) => e.event === "agent_error")
        .map((e) => (JSON.parse(e.data) as { message: string }).message);
    };
    expect(await errorsOf("/agents/1")).toEqual([]);
    expect(await errorsOf("/agents/2")).toEqual([
      "Failed to restore previous session: failed to unmarshal state (corrupted or invalid JSON): json: cannot unmarshal string into Go struct field AgentState.version of type int",
    ]);
    expect((await messages(stub.agentApiUrl))[0]?.content).toBe("restored banner");
  });

  it("STUB_LOAD_STATE=false starts fresh and the save overwrites; STUB_SAVE_STATE=false never writes", async () => {
    const file = join(tempDir(), "state.json");
    const old = { version: 1, messages: [{ id: 0, message: "old", role: "agent", time: "2026-01-02T03:04:05Z" }] };
    writeFileSync(file, JSON.stringify(old));
    stub = await testStub({ state: { file, load: false, save: true } });
    expect((await messages(stub.agentApiUrl))[0]?.content).toContain("Welcome");
    expect(await stub.saveState()).toBe("saved");
    expect(readFileSync(file, "utf8")).not.toContain('"old"');
    await stub.close();

    writeFileSync(file, JSON.stringify(old));
    stub = await testStub({ state: { file, load: true, save: false } });
    expect((await messages(stub.agentApiUrl))[0]?.content).toBe("old");
    await turn(stub.agentApiUrl, "not saved");
    expect(await stub.saveState()).toBe("disabled");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(old);
  });
});

describe("the restore inside the conversation (upstream's snapshot loop)", () => {
  it("happens on the first snapshot that shows the agent ready: fresh until then, then the stored messages as message updates", async () => {
    const state: AgentState = {
      messages: [
        { id: 0, content: "old banner", role: "agent", time: "2026-01-02T03:04:05.000000001Z" },
        { id: 1, content: "old question", role: "user", time: "2026-01-02T03:04:06Z" },
        { id: 2, content: "old answer", role: "agent", time: "2026-01-02T03:04:07Z" },
      ],
      initialPrompt: "",
      initialPromptSent: false,
    };
    const conversation = new Conversation({
      agentType: "claude",
      timing: FAST_TIMING,
      behaviour: { thinkMs: { min: 20, max: 40 }, echoDelayMs: 2, reactDelayMs: 2, redrawMs: FAST_REDRAW_MS },
      maxMessages: 1000,
      persistence: { load: () => state },
    });
    try {
      const events: AgentEvent[] = [];
      conversation.subscribe((event) => events.push(event));
      // Before the first snapshot: upstream's fresh conversation (message 0 holds the start-up screen).
      expect(conversation.messages().map((m) => m.id)).toEqual([0]);
      expect(conversation.messages()[0]?.content).toContain("Welcome");
      expect(conversation.stateSnapshot()).toBeUndefined(); // nothing to save before it
      await until(() => conversation.messages().length === 3, "the restore", BOUND_MS);
      expect(
        events.filter((e) => e.type === "message_update").map((e) => e.type === "message_update" && e.message),
      ).toEqual(state.messages);
      expect(conversation.messages()).toEqual(state.messages);
      expect(conversation.stateSnapshot()).toMatchObject({ dirty: false, messages: state.messages });
      await conversation.untilStable();
      expect(conversation.messages()[2]?.content).toBe("old answer"); // frozen until the user's next message
    } finally {
      conversation.close();
    }
  });
});

describe("reading the file by Go's rules (json.Decoder into AgentState, time.Time's parser)", () => {
  // Each expected message is what go1.26's encoding/json and time packages return for the same bytes.
  it.each([
    ["   \n", "failed to unmarshal state (corrupted or invalid JSON): EOF"],
    ['{"version":1', "failed to unmarshal state (corrupted or invalid JSON): unexpected EOF"],
    [
      "[]",
      "failed to unmarshal state (corrupted or invalid JSON): json: cannot unmarshal array into Go value of type screentracker.AgentState",
    ],
    ["null", "unsupported state file version 0 (expected 1)"],
    [
      '{"version":1.5}',
      "failed to unmarshal state (corrupted or invalid JSON): json: cannot unmarshal number 1.5 into Go struct field AgentState.version of type int",
    ],
    [
      '{"version":1,"messages":[{"id":"0"}]}',
      "failed to unmarshal state (corrupted or invalid JSON): json: cannot unmarshal string into Go struct field ConversationMessage.messages.id of type int",
    ],
    [
      '{"version":1,"messages":[{"id":0,"time":"2026-01-02t03:04:05Z"}]}',
      'failed to unmarshal state (corrupted or invalid JSON): parsing time "2026-01-02t03:04:05Z" as "2006-01-02T15:04:05Z07:00": cannot parse "t03:04:05Z" as "T"',
    ],
    [
      '{"version":1,"messages":[{"time":"2023-02-29T03:04:05Z"}]}',
      'failed to unmarshal state (corrupted or invalid JSON): parsing time "2023-02-29T03:04:05Z": day out of range',
    ],
    [
      '{"version":1,"messages":[{"time":5}]}',
      "failed to unmarshal state (corrupted or invalid JSON): Time.UnmarshalJSON: input is not a JSON string",
    ],
    [
      "\ufeff{}",
      "failed to unmarshal state (corrupted or invalid JSON): invalid character 'ï' looking for beginning of value",
    ],
  ])("%j → %s", (content, error) => {
    const file = join(tempDir(), "state.json");
    writeFileSync(file, content);
    expect(readStateFile(file, 1)(1)).toEqual({ kind: "failed", error });
  });

  it("takes the first value only, matches field names case-insensitively, ignores unknown fields, zero-fills null", () => {
    const file = join(tempDir(), "state.json");
    writeFileSync(
      file,
      '{"Version":1,"MESSAGES":[{"ID":3,"Message":"x","role":"agent","time":"2026-01-02T03:04:05Z"},null],"extra":1}\n{"version":2}',
    );
    expect(readStateFile(file, 1)(1)).toEqual({
      kind: "restored",
      state: {
        messages: [
          { id: 3, content: "x", role: "agent", time: "2026-01-02T03:04:05Z" },
          { id: 0, content: "", role: "", time: "0001-01-01T00:00:00Z" },
        ],
        initialPrompt: "",
        initialPromptSent: false,
      },
    });
  });
});
