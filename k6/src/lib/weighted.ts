// A deterministic weighted schedule (smooth weighted round-robin): over each cycle every action appears exactly
// its weight's share of times, spread out rather than bunched. Deterministic so even short runs exercise every
// action in proportion; each VU starts at its own offset so VUs do not move in lockstep.

export interface Weighted<T extends string> {
  action: T;
  weight: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export function weightedCycle<T extends string>(entries: ReadonlyArray<Weighted<T>>): T[] {
  const active = entries.filter((e) => e.weight > 0);
  if (active.length === 0) throw new Error("weightedCycle needs at least one positive weight");
  const divisor = active.reduce((g, e) => gcd(g, e.weight), 0);
  const weights = active.map((e) => e.weight / divisor);
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  const cycle: T[] = [];
  for (let n = 0; n < total; n++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i] = (current[i] ?? 0) + (weights[i] ?? 0);
      if ((current[i] ?? 0) > (current[best] ?? 0)) best = i;
    }
    current[best] = (current[best] ?? 0) - total;
    const chosen = active[best];
    if (chosen) cycle.push(chosen.action);
  }
  return cycle;
}
