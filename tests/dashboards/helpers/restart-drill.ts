// A restart drill of the agent servers as the dashboard's Outages row sees it, with numbers known in advance: every
// server of a fleet stops at DRILL_START and listens again DRILL.downMs later, and restores its state from upstream's
// --state-file. The samples are what the suite records for that (k6/README.md, "Outages and restarts";
// k6/src/agent-health.ts), in the schema the k6 harness records and xk6-output-influxdb writes, added to a real
// harness run so the run has everything else a run has (http_reqs, its testid and transport in the variables):
//  - the restart cuts two prompts in flight (connection_failures{cause:reset}), the watchers' streams end
//    (sse_streams_dropped{reason:server_closed}) and the turns in flight lose their stream
//    (agent_turn_failures{reason:stream_lost});
//  - while nothing listens, requests are refused (connection_failures{cause:refused});
//  - each conversation VU that failed records its recovery time at its first answered request
//    (agent_recovery_time), then compares the conversation it reads with what it had seen (agent_history_lost: 0,
//    the servers restored their state).
import { runWideTags } from "./agent-samples";
import type { MetricSample } from "./journey-samples";

/**
 * The servers stop on the first whole minute at least 5 s after the harness run's first sample: the drill's first
 * 10 s (the outage and every recovery) then fall in one interval of every Grafana interval from 10 s to 1 min.
 */
export function drillStart(base: readonly MetricSample[]): number {
  return Math.ceil((Math.min(...base.map((s) => s.time)) + 5_000) / 60_000) * 60_000;
}

export const DRILL = {
  downMs: 3_000,
  /** connection_failures by cause: POSTs the restart cut, then requests refused while nothing listened. */
  failures: { reset: 2, refused: 10 },
  /**
   * agent_recovery_time of each conversation VU that saw its agent fail (first failed → first answered request):
   * one VU that thought 9.8 s after its first failure, then the downtime and up to ~2 s until each VU's next request.
   */
  recoveryMs: [9_800, ...Array.from({ length: 19 }, (_, i) => 3_000 + 120 * i)],
  /** What the recovery panel shows for them in one interval: max, and InfluxDB's p95 (nearest rank: the 19th of 20). */
  recoveryMaxMs: 9_800,
  recoveryP95Ms: 5_160,
  /** agent_history_lost per VU after the outage: the servers restored their state (--state-file). */
  historyLost: 0,
  /** Watcher streams the servers closed as they stopped. */
  streamsClosed: 2,
  /** Turns in flight that lost their stream. */
  turnsLost: 3,
} as const;

const CONVERSATION = { scenario: "agent_conversation", group: "" };
const WATCHERS = { scenario: "event_watchers", group: "" };

/** The drill's samples, and when the servers stopped. */
export function restartDrillSamples(
  base: readonly MetricSample[],
  testid: string,
): { samples: MetricSample[]; startMs: number } {
  const runWide = runWideTags(base, testid);
  const start = drillStart(base);
  const samples: MetricSample[] = [];
  const add = (metric: string, type: MetricSample["type"], value: number, tags: Record<string, string>, at: number) =>
    samples.push({ metric, type, value, tags: { ...runWide, ...tags }, time: at });

  for (let i = 0; i < DRILL.failures.reset; i++)
    add("connection_failures", "counter", 1, { ...CONVERSATION, endpoint: "message", cause: "reset" }, start + 1 + i);
  for (let i = 0; i < DRILL.streamsClosed; i++)
    add("sse_streams_dropped", "counter", 1, { ...WATCHERS, reason: "server_closed" }, start + 5 + 10 * i);
  for (let i = 0; i < DRILL.turnsLost; i++)
    add("agent_turn_failures", "counter", 1, { ...CONVERSATION, reason: "stream_lost" }, start + 10 + 10 * i);
  // Refused while down: the conversation VUs' status and message reads, spread over the downtime.
  for (let i = 0; i < DRILL.failures.refused; i++) {
    const endpoint = i % 5 < 3 ? "status" : "messages";
    add("connection_failures", "counter", 1, { ...CONVERSATION, endpoint, cause: "refused" }, start + 100 + 280 * i);
  }
  // VU i failed first at start + 25 i ms and recovered recoveryMs[i] later (all within 10 s of the stop); it reads
  // /messages right after.
  DRILL.recoveryMs.forEach((recovery, i) => {
    const recovered = start + 25 * i + recovery;
    add("agent_recovery_time", "trend", recovery, CONVERSATION, recovered);
    add("agent_history_lost", "counter", DRILL.historyLost, CONVERSATION, recovered + 50);
  });
  return { samples: [...base, ...samples], startMs: start };
}
