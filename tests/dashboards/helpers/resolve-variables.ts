// A dashboard's variables as Grafana resolves them on load: each query variable once the variables its query names
// are resolved (its options = the query's values, in Grafana's sort), each custom variable from its list; the
// selection is the override if given, else the saved value, else the first option.
import type { DashboardJson } from "./dashboard-model";
import { customVariableOptions, interpolateVariables, type TemplateVariable } from "./grafana-macros";
import type { InfluxSeries } from "./influxd";

export type Selections = Record<string, string | string[]>;

export async function resolveVariables(
  runQuery: (influxql: string) => Promise<InfluxSeries[]>,
  dashboard: DashboardJson,
  overrides: Selections = {},
): Promise<TemplateVariable[]> {
  const list = dashboard.templating.list;
  const resolved = new Map<string, TemplateVariable>();
  const names = new Set(list.map((v) => v.name));
  const dependsOn = (query: string): string[] =>
    [...query.matchAll(/\$(\w+)/g)].map((m) => m[1] as string).filter((n) => names.has(n));
  while (resolved.size < list.length) {
    const next = list.find((v) => !resolved.has(v.name) && dependsOn(v.query ?? "").every((n) => resolved.has(n)));
    if (next === undefined) throw new Error("circular variable dependencies");
    let options: string[];
    if (next.type === "custom") options = customVariableOptions(next.query ?? "");
    else {
      const series = await runQuery(interpolateVariables(next.query ?? "", [...resolved.values()]));
      options = series.flatMap((s) => s.values.map((row) => String(row[1])));
      if (next.sort === 1) options.sort();
      if (next.sort === 2) options.sort().reverse();
    }
    const saved = next.current?.value;
    resolved.set(next.name, {
      name: next.name,
      multi: next.multi === true,
      includeAll: next.includeAll === true,
      allValue: next.allValue ?? null,
      options,
      current: overrides[next.name] ?? (saved === undefined || saved === "" ? (options[0] ?? "") : saved),
    });
  }
  return list.map((v) => resolved.get(v.name) as TemplateVariable);
}
