// The fake agent on its own, with piped stdin (no agentapi, no TTY): what it prints, how it reads input, its knobs.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { FAKE_AGENT, REPO_ROOT } from "../../infra/agentapi-real/launch";

/** Runs the fake agent with `input` on stdin; returns its output with the spinner redraws resolved as a terminal would. */
function runAgent(
  input: string,
  env: Record<string, string> = {},
): { status: number | null; screen: string[]; stderr: string } {
  const result = spawnSync(process.execPath, ["--import", "tsx", FAKE_AGENT], {
    cwd: REPO_ROOT,
    input,
    encoding: "utf8",
    timeout: 20_000,
    env: { ...process.env, FAKE_AGENT_THINK_MS: "120", ...env },
  });
  // As a terminal shows it: "\r\x1b[2K" redraws the current line, "\b \b" erases a character; the last "\n" is
  // the one the agent prints when it quits.
  let text = result.stdout.replace(/\n$/, "");
  for (let at = text.indexOf("\b \b"); at > 0 && text[at - 1] !== "\n"; at = text.indexOf("\b \b")) {
    text = text.slice(0, at - 1) + text.slice(at + 3);
  }
  const screen = text.split("\n").map((line) => line.split("\r\x1b[2K").at(-1)!);
  return { status: result.status, screen, stderr: result.stderr };
}

describe("fake agent (piped stdin)", () => {
  it("prints the banner and a `>` prompt, answers each prompt in order, exits 0 at end of input", () => {
    const { status, screen, stderr } = runAgent("hello fake agent\nsecond prompt\n");
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(screen).toEqual([
      "fake-agent: a stand-in coding agent for load tests of coder/agentapi",
      "think time 120 ms, replies of 4 lines; type a prompt and press Enter",
      "",
      "> hello fake agent",
      "fake-agent reply 1: hello fake agent",
      "  - your prompt had 16 characters and 3 words",
      "  - I thought about it for 120 ms (FAKE_AGENT_THINK_MS)",
      "  - line 4 of 4: nothing was run, this agent only answers",
      "",
      "> second prompt",
      "fake-agent reply 2: second prompt",
      "  - your prompt had 13 characters and 2 words",
      "  - I thought about it for 120 ms (FAKE_AGENT_THINK_MS)",
      "  - line 4 of 4: nothing was run, this agent only answers",
      "",
      "> ",
    ]);
  });

  it("shows a spinner while it thinks (the screen keeps changing, so agentapi reports running)", () => {
    const raw = spawnSync(process.execPath, ["--import", "tsx", FAKE_AGENT], {
      cwd: REPO_ROOT,
      input: "spin\n",
      encoding: "utf8",
      env: { ...process.env, FAKE_AGENT_THINK_MS: "450" },
    }).stdout;
    const frames = raw.split("\r\x1b[2K").filter((part) => part.includes("thinking about prompt 1"));
    expect(frames.length).toBeGreaterThanOrEqual(4); // every 100 ms for 450 ms
    expect(new Set(frames).size).toBe(frames.length); // each redraw differs
  });

  it("strips bracketed-paste markers and escape sequences; a newline inside a paste is text, Enter submits", () => {
    const { screen } = runAgent("\x1b[200~two\nlines\x1b[201~\x1b[A\x1b[D\r\x1bOPnext\x7f\x7fw\r\n");
    expect(screen.slice(3, 6)).toEqual(["> two", "lines", "fake-agent reply 1: two lines"]);
    expect(screen).toContain("> new"); // "next", two backspaces, "w"
    expect(screen).toContain("fake-agent reply 2: new");
    expect(screen.join("\n")).not.toContain("\x1b");
    expect(screen.filter((line) => line.startsWith("fake-agent reply"))).toHaveLength(2); // "\r\n" is one Enter
  });

  it("keeps every line within 80 columns, quoting only the start of a long prompt", () => {
    const long = "word ".repeat(40).trim();
    const { screen } = runAgent(`${long}\n`, { FAKE_AGENT_REPLY_LINES: "6" });
    const reply = screen.slice(screen.indexOf(`> ${long}`) + 1);
    expect(reply[0]).toBe(`fake-agent reply 1: ${long.slice(0, 47)}...`);
    expect(reply.slice(0, 6).every((line) => line.startsWith("fake-agent") || line.startsWith("  - "))).toBe(true);
    expect(reply[5]).toBe("  - line 6 of 6: nothing was run, this agent only answers");
    for (const line of screen.filter((l) => !l.startsWith("> "))) expect(line.length).toBeLessThanOrEqual(80);
  });

  it("an empty Enter just shows the prompt again", () => {
    const { screen } = runAgent("\n   \n");
    expect(screen.slice(3)).toEqual(["> ", ">    ", "> "]);
  });

  it.each([
    ["FAKE_AGENT_THINK_MS", "soon"],
    ["FAKE_AGENT_THINK_MS", "-5"],
    ["FAKE_AGENT_REPLY_LINES", "0"],
  ])("refuses %s=%s with one line and status 2", (name, value) => {
    const { status, stderr } = runAgent("", { [name]: value });
    expect(status).toBe(2);
    expect(stderr.trim().split("\n")).toEqual([expect.stringContaining(`fake-agent: ${name} must be an integer`)]);
  });
});
