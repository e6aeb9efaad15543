// The simulated agent's reply: terminal-formatted lines (≤ 80 columns, like upstream's 80-column PTY), derived
// from the prompt so different prompts give different, reproducible replies.
export const TERMINAL_WIDTH = 80;

/** Hard-wrap one paragraph to `width` columns (words longer than a line are split). */
export function wrap(text: string, width: number, indent = ""): string[] {
  const lines: string[] = [];
  let line = "";
  const room = width - indent.length;
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    let rest = word;
    while (rest.length > room) {
      if (line !== "") {
        lines.push(indent + line);
        line = "";
      }
      lines.push(indent + rest.slice(0, room));
      rest = rest.slice(room);
    }
    if (line === "") line = rest;
    else if (line.length + 1 + rest.length <= room) line += ` ${rest}`;
    else {
      lines.push(indent + line);
      line = rest;
    }
  }
  if (line !== "") lines.push(indent + line);
  return lines;
}

const STEPS = [
  "Read(src/index.ts)",
  'Search(pattern: "TODO", path: "src")',
  "Bash(npm test)",
  "Update(src/handlers.ts)",
  "Read(package.json)",
  "Bash(git status --short)",
  "Write(tests/handlers.test.ts)",
  "Bash(npm run lint)",
];
const RESULTS = [
  "⎿  Read 42 lines (ctrl+r to expand)",
  "⎿  Found 3 files",
  "⎿  Tests: 12 passed, 12 total",
  "⎿  Updated src/handlers.ts with 6 additions and 2 removals",
  "⎿  Read 31 lines (ctrl+r to expand)",
  "⎿  M src/handlers.ts",
  "⎿  Wrote 24 lines to tests/handlers.test.ts",
  "⎿  No problems found",
];

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/**
 * The full reply as `count` lines (count ≥ 2). The agent reveals them one by one while it is running, so the
 * message grows the way a terminal screen does.
 */
export function composeReply(prompt: string, count: number): string[] {
  const firstLine = prompt.split("\n", 1)[0] ?? "";
  const subject = firstLine.length > 60 ? `${firstLine.slice(0, 57)}...` : firstLine;
  const lines = wrap(`● I'll take care of this: ${subject}`, TERMINAL_WIDTH);
  const start = hash(prompt) % STEPS.length;
  for (let i = 0; lines.length < count - 1; i++) {
    const k = (start + i) % STEPS.length;
    lines.push(`● ${STEPS[k]}`);
    if (lines.length < count - 1) lines.push(`  ${RESULTS[k]}`);
  }
  lines.push("● Done. The change is in place and the tests pass.");
  return lines.slice(0, Math.max(count, 2));
}

export const WELCOME_SCREEN = [
  "╭───────────────────────────────────────────────────╮",
  "│ ✻ Welcome to the AgentAPI reference target!       │",
  "│                                                   │",
  "│   A simulated agent: replies are generated.       │",
  "╰───────────────────────────────────────────────────╯",
].join("\n");
