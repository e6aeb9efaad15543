// The target's agents (STUB_AGENTS): agent n is served at /agents/{n}/… and agent 1 also at /, each exactly one
// upstream server. Agents are created up front; an idle one holds no timer, so a large fleet costs only memory.
import type { SaveResult, StateFile } from "../agent/state";
import { AgentServer, type AgentServerOptions } from "./agent-server";

export class AgentFleet {
  private readonly agents: AgentServer[] = [];
  private readonly state: StateFile | undefined;

  constructor(size: number, options: AgentServerOptions) {
    for (let n = 1; n <= size; n++) this.agents.push(new AgentServer(n, options));
    this.state = options.state;
  }

  get size(): number {
    return this.agents.length;
  }

  /** Agent 1, the one a plain upstream URL (`/status`) reaches. */
  get first(): AgentServer {
    const first = this.agents[0];
    if (first === undefined) throw new Error("the fleet has no agents");
    return first;
  }

  /** The agent for a `/agents/{n}` path segment, or undefined when there is none (a decimal 1..size, no padding). */
  byPathSegment(segment: string): AgentServer | undefined {
    if (!/^[1-9]\d{0,6}$/.test(segment)) return undefined;
    return this.agents[Number(segment) - 1];
  }

  all(): readonly AgentServer[] {
    return this.agents;
  }

  /** Resolves once every agent has booted (PTY: its start-up screen still for the stability length; ACP: at once). */
  async stable(): Promise<void> {
    await Promise.all(this.agents.map((agent) => agent.conversation.untilStable()));
  }

  /** Upstream's SaveState for every agent into the one state file; `disabled` without one (agent/state.ts). */
  saveState(): Promise<SaveResult> {
    return this.state?.save(this.agents) ?? Promise.resolve("disabled");
  }

  close(): void {
    for (const agent of this.agents) agent.close();
  }
}
