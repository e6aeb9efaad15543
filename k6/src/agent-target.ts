// The AgentAPI server this VU talks to: its own agent of the fleet (config.agents), chosen from the run-wide VU id
// so the mapping is stable across iterations and unique across the k6 instances of a distributed run. Outside a VU
// (setup, teardown: idInTest 0) it is the fleet's first agent.

import exec from "k6/execution";
import { agentNumberForVu, agentUrlOf } from "./agent-urls";
import { config } from "./run-config";

let cached: { vu: number; url: string } | undefined;

/** This VU's agent number (1-based). */
export function agentNumber(): number {
  return agentNumberForVu(config.agents, exec.vu.idInTest);
}

/** This VU's AgentAPI base URL. */
export function agentUrl(): string {
  const vu = exec.vu.idInTest;
  if (cached?.vu !== vu) cached = { vu, url: agentUrlOf(config.agents, agentNumberForVu(config.agents, vu)) };
  return cached.url;
}
