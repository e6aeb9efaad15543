/**
 * fake-agent: a stand-in coding agent for the real coder/agentapi server (`agentapi server --type custom -- …`).
 * It behaves like a terminal agent as far as agentapi can see: a banner, a `>` prompt line (what `--type custom`
 * waits for before it reports the agent ready), typed input echoed on the prompt line, a screen that keeps changing
 * while it "thinks" (so agentapi reports `running`), then a multi-line reply and the prompt again.
 *
 * Environment:
 *   FAKE_AGENT_THINK_MS     how long it thinks per prompt, in ms (integer 0..600000, default 1000); a spinner line is
 *                           redrawn every 100 ms meanwhile
 *   FAKE_AGENT_REPLY_LINES  how many lines each reply has (integer 1..40, default 4); the first line quotes the
 *                           prompt: `fake-agent reply 1: <first 50 characters of the prompt>`
 *   FAKE_AGENT_REACT_MS     how long it takes to react to Enter, in ms (integer 0..10000, default 0): the screen stays
 *                           as it is meanwhile, so agentapi's send (which waits for the screen to change after Enter,
 *                           holding its lock) takes that much longer — a slow agent, or a slow machine under it
 *
 * Input: raw mode when stdin is a TTY (agentapi's PTY), else lines from a pipe (for tests). Escape sequences are
 * dropped; inside bracketed paste (ESC[200~ … ESC[201~, how agentapi types a message) a newline is text, outside it
 * Enter (`\r` or `\n`) submits. Input that arrives while it thinks is handled after the reply. Ctrl-C, Ctrl-D on an
 * empty prompt, the end of a piped stdin, SIGINT, SIGTERM and SIGHUP end it with status 0 (2 for a bad setting).
 * Every line it prints fits in 80 columns. Node built-ins only; runs under `node --import tsx` or bundled.
 */

const SPINNER_MS = 100;
const SPINNER = ["|", "/", "-", "\\"];
const PROMPT = "> ";
const QUOTE_CHARS = 50;

function intSetting(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    process.stderr.write(`fake-agent: ${name} must be an integer from ${min} to ${max}, not "${raw}"\n`);
    process.exit(2);
  }
  return value;
}

const thinkMs = intSetting("FAKE_AGENT_THINK_MS", 1000, 0, 600_000);
const replyLines = intSetting("FAKE_AGENT_REPLY_LINES", 4, 1, 40);
const reactMs = intSetting("FAKE_AGENT_REACT_MS", 0, 0, 10_000);

const write = (text: string): void => {
  process.stdout.write(text);
};

/** The reply to the `turn`-th prompt: `replyLines` lines of at most 80 columns, the first quoting the prompt. */
function reply(prompt: string, turn: number): string[] {
  const oneLine = prompt.replace(/\s+/g, " ");
  const quoted = oneLine.length > QUOTE_CHARS ? `${oneLine.slice(0, QUOTE_CHARS - 3)}...` : oneLine;
  const words = oneLine.split(" ").length;
  const lines = [
    `fake-agent reply ${turn}: ${quoted}`,
    `  - your prompt had ${prompt.length} characters and ${words} words`,
    `  - I thought about it for ${thinkMs} ms (FAKE_AGENT_THINK_MS)`,
  ];
  for (let n = lines.length + 1; n <= replyLines; n += 1) {
    lines.push(`  - line ${n} of ${replyLines}: nothing was run, this agent only answers`);
  }
  return lines.slice(0, replyLines);
}

let typed = ""; // the prompt being typed
let unread = ""; // input received but not handled yet (it waits while the agent thinks)
let pasting = false;
let thinking = false;
let lastWasCr = false; // a "\n" right after a submitting "\r" is the same Enter
let inputEnded = false;
let turns = 0;

function quit(status: number): never {
  if (process.stdin.isTTY) process.stdin.setRawMode(false);
  write("\n");
  process.exit(status);
}

function think(prompt: string): void {
  thinking = true;
  turns += 1;
  const turn = turns;
  let frame = 0;
  const draw = (): void => {
    const seconds = ((frame * SPINNER_MS) / 1000).toFixed(1);
    write(`\r\x1b[2K${SPINNER[frame % SPINNER.length]} thinking about prompt ${turn}... ${seconds} s`);
  };
  draw();
  const spinner = setInterval(() => {
    frame += 1;
    draw();
  }, SPINNER_MS);
  setTimeout(() => {
    clearInterval(spinner);
    write(`\r\x1b[2K${reply(prompt, turn).join("\n")}\n\n${PROMPT}`);
    thinking = false;
    handleInput();
  }, thinkMs);
}

function submit(): void {
  const prompt = typed.trim();
  typed = "";
  if (reactMs === 0) {
    react(prompt);
    return;
  }
  thinking = true; // input that arrives before it reacts waits, as it does while it thinks
  setTimeout(() => {
    thinking = false;
    react(prompt);
    if (!thinking) handleInput();
  }, reactMs);
}

/** The agent takes the prompt: the cursor moves on, then it thinks (or shows the prompt again for an empty one). */
function react(prompt: string): void {
  write("\n");
  if (prompt === "") write(PROMPT);
  else think(prompt);
}

/** Escape sequences: CSI (ESC [ … final byte), SS3 (ESC O x), or a two-byte ESC x. */
/* eslint-disable no-control-regex -- matching ESC is the point */
const ESCAPE = /^\x1b(?:\[[0-?]*[ -/]*[@-~]|O[\s\S]|[@-Z\\-_])/;
const PARTIAL_ESCAPE = /^\x1b(?:\[[0-?]*[ -/]*|O)?$/;
/* eslint-enable no-control-regex */

/** Handles `unread` until it is empty or the agent starts thinking; echoes what was typed. */
function handleInput(): void {
  let echo = "";
  while (!thinking && unread !== "") {
    if (unread.startsWith("\x1b")) {
      const sequence = ESCAPE.exec(unread)?.[0];
      if (sequence === undefined && PARTIAL_ESCAPE.test(unread) && !inputEnded) break; // the rest is on its way
      const length = sequence?.length ?? 1; // a lone ESC is dropped
      if (sequence === "\x1b[200~") pasting = true;
      if (sequence === "\x1b[201~") pasting = false;
      unread = unread.slice(length);
      lastWasCr = false;
      continue;
    }
    const char = String.fromCodePoint(unread.codePointAt(0)!);
    unread = unread.slice(char.length);
    const afterCr = lastWasCr;
    lastWasCr = false;
    if ((char === "\r" || char === "\n") && !pasting) {
      if (char === "\n" && afterCr) continue;
      lastWasCr = char === "\r";
      write(echo);
      echo = "";
      submit();
    } else if (char === "\r" || char === "\n") {
      typed += "\n";
      echo += "\n";
    } else if (char === "\x7f" || char === "\b") {
      if (typed !== "" && !typed.endsWith("\n")) {
        typed = typed.slice(0, -1);
        echo += "\b \b";
      }
    } else if (char === "\x03" || (char === "\x04" && typed === "")) {
      write(echo);
      quit(0);
    } else if (char >= " ") {
      typed += char;
      echo += char;
    }
  }
  write(echo);
  if (inputEnded && !thinking) quit(0);
}

process.stdout.on("error", () => process.exit(0)); // the terminal went away
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => quit(0));

if (process.stdin.isTTY) process.stdin.setRawMode(true);
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => {
  unread += chunk;
  handleInput();
});
process.stdin.on("end", () => {
  inputEnded = true;
  handleInput();
});

write(
  [
    "fake-agent: a stand-in coding agent for load tests of coder/agentapi",
    `think time ${thinkMs} ms, replies of ${replyLines} lines; type a prompt and press Enter`,
    "",
    PROMPT,
  ].join("\n"),
);
