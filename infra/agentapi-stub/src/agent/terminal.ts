// The agent's terminal as upstream's screen tracker sees it. Upstream never parses what an agent does; it reads
// the screen every 25 ms and reasons only about whether it changed (echo detection, "agent started", stability)
// and about the text that appeared since the user's last message (the agent's reply). This class is exactly that
// much of a screen: a change counter, the time of the last change, and the reply on it. The simulated program
// (simulated-agent.ts) draws on it; the conversation (conversation.ts) watches it.
import { TERMINAL_WIDTH } from "./reply";

export class AgentTerminal {
  /** Increases with every change of the screen (upstream compares screen strings; a counter says the same). */
  version = 0;
  /** When the screen last changed (AgentTimers clock). */
  changedAt = 0;
  /** The agent's current message as upstream would cut it from the screen: lines padded to the terminal width. */
  reply = "";
  private listener: (() => void) | undefined;

  constructor(private readonly now: () => number) {}

  /** The program redraws: something on the screen changed, optionally the reply text. */
  draw(reply?: string): void {
    this.version++;
    this.changedAt = this.now();
    if (reply !== undefined) this.reply = padToWidth(reply);
    this.listener?.();
  }

  onChange(listener: () => void): void {
    this.listener = listener;
  }
}

/** Upstream reads whole terminal rows, so every line of a message comes back padded with spaces to the width. */
export function padToWidth(text: string, width = TERMINAL_WIDTH): string {
  return text
    .split("\n")
    .map((line) => (line.length >= width ? line : line + " ".repeat(width - line.length)))
    .join("\n");
}
