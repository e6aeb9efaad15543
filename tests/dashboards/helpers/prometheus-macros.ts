// The PromQL dashboards' targets and how Grafana (10–12) expands one before it reaches Prometheus — the PromQL
// counterpart of dashboard-model.ts's panelTargets and grafana-macros.ts's expandQuery, for tests that run the
// panels against a real Prometheus:
//  1. the frontend's template service replaces dashboard variables with the Prometheus datasource's
//     interpolateQueryExpr: a single-value variable (no multi, no All) is only escaped for a PromQL string
//     (prometheusRegularEscape); multi/All variables get each value regex-escaped for a PromQL string
//     (prometheusSpecialRegexEscape) and several joined as `(a|b)`; "All" becomes the custom allValue verbatim, or
//     every option when there is none;
//  2. the interval macros: `$__interval` / `$__interval_ms` (range / maxDataPoints, floored by the panel's min
//     interval, rounded), `$__rate_interval` = max($__interval + scrape interval, 4 × scrape interval) with the
//     datasource's `timeInterval` as the scrape interval, `$__range` / `$__range_s` / `$__range_ms` (the range,
//     in whole seconds);
//  3. a range query's step is the interval, with start and end aligned down/up to a multiple of it; an instant
//     query (the compare tables) is evaluated at the range's end.
import { PROMETHEUS_DATASOURCE } from "../../../infra/grafana/src/datasource";
import { MIN_INTERVAL } from "../../../infra/grafana/src/panels";
import { PROM_COMPARE_DASHBOARD_FILE, PROM_DASHBOARD_FILE } from "../../../infra/grafana/src/paths";
import { dataPanels, loadCommittedDashboard, type DashboardJson, type PanelJson } from "./dashboard-model";
import {
  customVariableOptions,
  formatInterval,
  intervalMs,
  parseDurationMs,
  type TemplateVariable,
} from "./grafana-macros";

export { PROM_COMPARE_DASHBOARD_FILE, PROM_DASHBOARD_FILE };

/** A Prometheus target as the generated JSON has it. */
export interface PromTargetJson {
  refId: string;
  datasource?: { type?: string; uid?: string };
  expr: string;
  legendFormat?: string;
  range?: boolean;
  instant?: boolean;
  format?: string;
  editorMode?: string;
}

export interface PromPanelTarget {
  panel: PanelJson & { interval?: string };
  target: PromTargetJson;
  /** "panel title [refId]" for messages. */
  label: string;
}

/** Every PromQL target of a generated dashboard (default: the PromQL load dashboard). */
export function promPanelTargets(
  dashboard: DashboardJson = loadCommittedDashboard(PROM_DASHBOARD_FILE),
): PromPanelTarget[] {
  return dataPanels(dashboard).flatMap((panel) =>
    ((panel.targets ?? []) as unknown as PromTargetJson[]).map((target) => ({
      panel,
      target,
      label: `${panel.title ?? "?"} [${target.refId}]`,
    })),
  );
}

/** @grafana/prometheus prometheusRegularEscape. */
export function prometheusRegularEscape(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/'/g, "\\\\'");
}

/** @grafana/prometheus prometheusSpecialRegexEscape. */
export function prometheusSpecialRegexEscape(value: string): string {
  return value.replace(/\\/g, "\\\\\\\\").replace(/[$^*{}[\]'+?.()|]/g, "\\\\$&");
}

const ALL = "$__all";
const isAll = (current: string | string[]): boolean =>
  current === ALL || (Array.isArray(current) && current.includes(ALL));

function formatValue(variable: TemplateVariable, value: string | string[]): string {
  if (!variable.multi && !variable.includeAll) {
    return prometheusRegularEscape(Array.isArray(value) ? value.join(",") : value);
  }
  if (typeof value === "string") return prometheusSpecialRegexEscape(value);
  const escaped = value.map(prometheusSpecialRegexEscape);
  return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join("|")})`;
}

const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g;

/** Step 1: the frontend template service with the Prometheus datasource's formatting. */
export function interpolatePromVariables(expr: string, variables: readonly TemplateVariable[]): string {
  const byName = new Map(variables.map((v) => [v.name, v]));
  return expr.replace(
    VARIABLE,
    (match, plain?: string, bracket?: string, f1?: string, braced?: string, f2?: string) => {
      const variable = byName.get(plain ?? bracket ?? braced ?? "");
      if (variable === undefined) return match; // $__interval, $__rate_interval, $__range…
      if (f1 !== undefined || f2 !== undefined) throw new Error(`explicit variable formats are not modelled: ${match}`);
      if (isAll(variable.current)) {
        if (variable.allValue !== undefined && variable.allValue !== null && variable.allValue !== "")
          return variable.allValue;
        return formatValue(variable, variable.options);
      }
      return formatValue(variable, variable.current);
    },
  );
}

export interface PromQueryContext {
  fromMs: number;
  toMs: number;
  /** The panel's width in px, roughly: Grafana's maxDataPoints. */
  maxDataPoints: number;
  /** The panel's min interval ("10s"). */
  minInterval?: string;
  /** The datasource's jsonData.timeInterval: k6's push interval, 5 s. */
  scrapeInterval?: string;
  variables: TemplateVariable[];
}

/** What Grafana sends Prometheus for one target: /api/v1/query_range (step) or /api/v1/query (time = end). */
export interface PromRequest {
  expr: string;
  instant: boolean;
  /** Seconds since the epoch. */
  start: number;
  end: number;
  /** Seconds. */
  step: number;
}

/** Step 2: the interval and range macros. */
export function expandPromMacros(expr: string, ctx: PromQueryContext): string {
  const interval = intervalMs({
    fromMs: ctx.fromMs,
    toMs: ctx.toMs,
    maxDataPoints: ctx.maxDataPoints,
    minInterval: ctx.minInterval ?? MIN_INTERVAL,
  });
  const scrape = parseDurationMs(ctx.scrapeInterval ?? "5s");
  const rateInterval = Math.max(interval + scrape, 4 * scrape);
  const rangeS = Math.round((ctx.toMs - ctx.fromMs) / 1000);
  return expr
    .replaceAll("$__rate_interval_ms", String(rateInterval))
    .replaceAll("$__rate_interval", formatInterval(rateInterval))
    .replaceAll("$__interval_ms", String(interval))
    .replaceAll("$__interval", formatInterval(interval))
    .replaceAll("$__range_ms", String(rangeS * 1000))
    .replaceAll("$__range_s", String(rangeS))
    .replaceAll("$__range", `${rangeS}s`);
}

export function expandPromQL(expr: string, ctx: PromQueryContext): string {
  return expandPromMacros(interpolatePromVariables(expr, ctx.variables), ctx);
}

/** The request Grafana makes for one target of a panel (its min interval from the panel, else 10 s). */
export function promRequest(target: PromPanelTarget, ctx: PromQueryContext): PromRequest {
  const minInterval = ctx.minInterval ?? target.panel.interval ?? MIN_INTERVAL;
  const full = { ...ctx, minInterval };
  const expr = expandPromQL(target.target.expr, full);
  const stepS = intervalMs({ ...full, minInterval }) / 1000;
  const instant = target.target.instant === true;
  const startS = ctx.fromMs / 1000;
  const endS = ctx.toMs / 1000;
  return instant
    ? { expr, instant, start: endS, end: endS, step: stepS }
    : { expr, instant, start: Math.floor(startS / stepS) * stepS, end: Math.ceil(endS / stepS) * stepS, step: stepS };
}

/**
 * The dashboard's variables as TemplateVariables with the given selections (a variable without one: its saved
 * value, else the first of its `options` given here, else ""). Query variables' options are what Prometheus
 * answers; pass them in `options` (e.g. from /api/v1/label/<key>/values).
 */
export function promTemplateVariables(
  dashboard: DashboardJson,
  selections: Record<string, string | string[]>,
  options: Record<string, string[]> = {},
): TemplateVariable[] {
  return dashboard.templating.list.map((v) => {
    const opts = v.type === "custom" ? customVariableOptions(v.query ?? "") : (options[v.name] ?? []);
    const current = selections[v.name] ?? v.current?.value ?? opts[0] ?? "";
    return {
      name: v.name,
      multi: v.multi === true,
      includeAll: v.includeAll === true,
      allValue: v.allValue,
      options: opts,
      current,
    };
  });
}

/** Every datasource reference of a PromQL dashboard is the Prometheus one. */
export const PROMETHEUS_UID = PROMETHEUS_DATASOURCE.uid;
