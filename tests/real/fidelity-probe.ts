// What the fidelity suites (fidelity.test.ts for PTY, fidelity-acp.test.ts for ACP) share: reading a server's
// /events as kinds, waiting for the stream itself to deliver an event (a bound, and a failure that names it), the
// small HTTP calls both probes make, and the side-by-side table's rows.
import type { SseStream } from "../stub/helpers/stub";

/** How long a probe waits for an event it expects on /events before it fails saying which (a bound, not a pace). */
export const EVENT_WAIT_MS = 15_000;

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
  /** When the probe received it (wall clock, as the servers stamp message times). */
  receivedAt: number;
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, Math.max(0, ms)));

/** POST /message type user. */
export function send(base: string, content: string): Promise<Response> {
  return fetch(`${base}/message`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content, type: "user" }),
  });
}

export async function statusOf(base: string): Promise<string> {
  return ((await (await fetch(`${base}/status`)).json()) as { status: string }).status;
}

/** An event as its kind: `status_change:running`, `message_update:user`. */
export function kindOf(event: SseEvent): string {
  return event.event === "status_change"
    ? `status_change:${String(event.data.status)}`
    : `${event.event}:${String(event.data.role)}`;
}

/** The stream's events from position `from` on, parsed, with their arrival times. */
export function parsed(stream: SseStream, from = 0): SseEvent[] {
  return stream.events.slice(from).map((e, i) => ({
    event: e.event ?? "message",
    data: JSON.parse(e.data) as Record<string, unknown>,
    receivedAt: stream.receivedAt[from + i] ?? NaN,
  }));
}

/**
 * Waits for the stream itself to deliver an event of `kind` (or a kind it begins: `status_change:`) at or after
 * position `from`, and returns the events from `from` up to and including it. The server emits events on its own
 * schedule (upstream's PTY snapshot tick), so a `/status` read is no proxy for them: upstream's `/status` can say
 * `stable` a tick before the `status_change` goes out.
 */
export async function eventsThrough(base: string, stream: SseStream, kind: string, from: number): Promise<SseEvent[]> {
  const end = (): number => parsed(stream, from).findIndex((e) => kindOf(e).startsWith(kind));
  try {
    await stream.until(() => end() >= 0, EVENT_WAIT_MS);
  } catch {
    const got = parsed(stream, from).map(kindOf);
    throw new Error(
      `${base}/events: no ${kind} within ${EVENT_WAIT_MS} ms (after event ${from}: ${got.join(" → ") || "nothing"})`,
    );
  }
  return parsed(stream, from).slice(0, end() + 1);
}

/** The events as kinds, consecutive repeats folded into one. */
export function shape(events: SseEvent[]): string[] {
  const kinds = events.map(kindOf);
  return kinds.filter((kind, i) => kind !== kinds[i - 1]);
}

/** One row of the side-by-side table: real, ours and their ratio. */
export function row(name: string, real: number, ours: number): string {
  const ratio = ours / real;
  return `| ${name.padEnd(40)} | ${real.toFixed(0).padStart(8)} ms | ${ours.toFixed(0).padStart(8)} ms | ${ratio.toFixed(2).padStart(5)} |`;
}
