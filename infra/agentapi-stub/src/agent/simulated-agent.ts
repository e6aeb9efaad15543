// The program upstream would run in its terminal, simulated: it boots to a banner and a prompt, echoes what is
// typed, and on Enter starts working at once, streams its reply line by line across the think time, and prints
// the prompt again. It only draws on the AgentTerminal and uses the agent's timers: an idle agent costs nothing.
import { composeReply, WELCOME_SCREEN } from "./reply";
import type { AgentTerminal } from "./terminal";
import type { AgentBehaviour } from "./timing";
import type { AgentTimers } from "./timers";

/** One more reply line per this many ms of think time (a terminal agent prints a line at a time). */
const MS_PER_LINE = 100;
const MAX_LINES = 24;

export class SimulatedAgent {
  private input = "";
  private readonly random: () => number;

  constructor(
    private readonly terminal: AgentTerminal,
    private readonly timers: AgentTimers,
    private readonly behaviour: AgentBehaviour,
    random?: () => number,
  ) {
    this.random = random ?? Math.random;
  }

  /** Start-up: the banner (upstream's message 0) and the prompt. */
  boot(): void {
    this.terminal.draw(WELCOME_SCREEN);
  }

  /** Text typed into the terminal (upstream pastes the message). */
  type(text: string): void {
    this.input += text;
    const delay = this.behaviour.echoDelayMs;
    if (delay !== undefined) this.timers.after(delay, () => this.terminal.draw());
  }

  /** Keystrokes of a `raw` message: the simulated prompt ignores them. */
  keys(_bytes: string): void {
    // A raw message reaches the terminal and changes nothing that upstream reads back.
  }

  /** Enter: with typed input the agent starts working; on an empty prompt nothing happens. */
  enter(): void {
    const prompt = this.input;
    this.input = "";
    if (prompt === "") return;
    this.timers.after(this.behaviour.reactDelayMs, () => this.work(prompt));
  }

  /** Work for the think time: redraw every `redrawMs` (a spinner frame, and each reply line when it is due). */
  private work(prompt: string): void {
    const { min, max } = this.behaviour.thinkMs;
    const totalMs = min + Math.floor(this.random() * (max - min + 1));
    const lines = composeReply(prompt, Math.min(MAX_LINES, Math.max(2, Math.ceil(totalMs / MS_PER_LINE))));
    const started = this.timers.now();
    let shown = 1;
    this.terminal.draw(lines[0]);
    const redraw = (): void => {
      const elapsed = this.timers.now() - started;
      const due = elapsed >= totalMs ? lines.length : 1 + Math.floor((elapsed / totalMs) * (lines.length - 1));
      if (due > shown) {
        shown = due;
        this.terminal.draw(lines.slice(0, shown).join("\n"));
      } else {
        this.terminal.draw(); // a spinner frame: the screen changes, the reply does not
      }
      // Scheduled against the start so timer drift does not stretch the think time; the last frame lands on it.
      if (shown < lines.length) {
        const next = Math.min(elapsed + this.behaviour.redrawMs, totalMs);
        this.timers.after(started + next - this.timers.now(), redraw);
      }
    };
    if (lines.length > 1) this.timers.after(Math.min(this.behaviour.redrawMs, totalMs), redraw);
  }
}
