// Where the AgentAPI servers of a run are, and which one each VU drives. Apart from config.ts (which parses the
// environment into AgentTargets) because every VU's journeys need these and no VU needs the parser (lib/lazy.ts).

/**
 * Where the AgentAPI servers are. A real AgentAPI server drives one agent, so a fleet is many servers: a URL
 * template with `{agent}` and a count, or an explicit list. BASE_URL alone is the one-server case.
 */
export type AgentTargets =
  | { readonly kind: "single"; readonly url: string }
  | { readonly kind: "template"; readonly template: string; readonly agents: number }
  | { readonly kind: "list"; readonly urls: ReadonlyArray<string> };

/** How many agents the targets name. */
export function agentCount(targets: AgentTargets): number {
  if (targets.kind === "single") return 1;
  return targets.kind === "template" ? targets.agents : targets.urls.length;
}

/** The URL of agent n (1-based) of the targets. */
export function agentUrlOf(targets: AgentTargets, n: number): string {
  if (targets.kind === "single") return targets.url;
  if (targets.kind === "template") return targets.template.split("{agent}").join(String(n));
  return targets.urls[(n - 1) % targets.urls.length] ?? targets.urls[0] ?? "";
}

/**
 * The `name` tag of AgentAPI requests, before the path: the server's URL, or for a fleet its template (`{agent}` left
 * in) or `{agent}` for a list. k6 names a request by its URL by default, and a fleet's URLs name the agent — a series
 * per agent per endpoint in InfluxDB.
 */
export function agentUrlName(targets: AgentTargets): string {
  if (targets.kind === "single") return targets.url;
  return targets.kind === "template" ? targets.template : "{agent}";
}

/**
 * The agent of a VU: its run-wide id (`exec.vu.idInTest`, unique across the k6 instances of a distributed run)
 * modulo the fleet, so with at least as many agents as the largest VU id no two VUs share an agent. On one instance
 * that is the VU count; across k6-operator's N runners per-scenario rounding can number VUs past it
 * (scripts/k8s-render.ts prints the bound).
 */
export function agentNumberForVu(targets: AgentTargets, vuIdInTest: number): number {
  return ((Math.max(1, vuIdInTest) - 1) % agentCount(targets)) + 1;
}
