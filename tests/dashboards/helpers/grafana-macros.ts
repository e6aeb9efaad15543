// Expands a panel's raw InfluxQL the way Grafana (10–12, InfluxQL over the backend) does before it reaches InfluxDB:
//  1. the frontend's template service replaces dashboard variables ($name, ${name}, [[name]]) using the InfluxDB
//     datasource's interpolateQueryExpr: a single-value variable (no multi, no All) is regex-escaped unless it
//     parses as a number; multi/All variables get each value special-regex-escaped and several joined with `|`;
//     "All" becomes the variable's custom allValue verbatim, or every option when it has none. `$__interval` is
//     held back for the backend; unknown names ($timeFilter) are left alone.
//  2. the backend replaces `$timeFilter` with `time >= <from>ms and time <= <to>ms`, then `$interval`,
//     `$__interval_ms` and `$__interval` with the interval computed from range / maxDataPoints, floored by the
//     min interval (panel or datasource timeInterval) and rounded to Grafana's table of round intervals.

export interface TemplateVariable {
  name: string;
  multi: boolean;
  includeAll: boolean;
  /** Custom value substituted for "All" (unformatted), if set. */
  allValue?: string | null;
  /** The variable's options (what its query returned), used for "All" without a custom allValue. */
  options: string[];
  /** The selection: a value, several values, or "$__all". */
  current: string | string[];
}

export interface QueryContext {
  fromMs: number;
  toMs: number;
  maxDataPoints: number;
  /** e.g. the datasource's jsonData.timeInterval ("1s"). */
  minInterval: string;
  variables: TemplateVariable[];
}

const ALL = "$__all";

/** @grafana/data escapeRegex: backslash before / . * + ? | ( ) [ ] { } \ ^ $ */
export function escapeRegex(value: string): string {
  return value.replace(/[/.*+?|()[\]{}\\^$]/g, "\\$&");
}

/** InfluxDB datasource: influxRegularEscape (single-value variables). */
export function influxRegularEscape(value: string): string {
  return Number.isNaN(Number.parseFloat(value)) ? escapeRegex(value) : value;
}

/** InfluxDB datasource: influxSpecialRegexEscape (multi/All variables). */
export function influxSpecialRegexEscape(value: string): string {
  return value.replace(/\\/g, "\\\\\\\\").replace(/[$^*{}[\]'+?.()|]/g, "\\\\$&");
}

/**
 * The options of a custom variable, as Grafana reads its query: values separated by commas (`\\,` keeps a comma),
 * each either `value` or `text : value`.
 */
export function customVariableOptions(query: string): string[] {
  return (query.match(/(?:\\,|[^,])+/g) ?? [])
    .map((part) => part.replace(/\\,/g, ",").trim())
    .filter((part) => part !== "")
    .map((part) => {
      const pair = /^(.+?)\s+:\s+(.+)$/.exec(part);
      return pair ? (pair[2] as string) : part;
    });
}

function formatValue(variable: TemplateVariable, value: string | string[]): string {
  if (!variable.multi && !variable.includeAll) {
    return influxRegularEscape(Array.isArray(value) ? value.join(",") : value);
  }
  if (typeof value === "string") return influxSpecialRegexEscape(value);
  const escaped = value.map(influxSpecialRegexEscape);
  return escaped.length === 1 ? (escaped[0] as string) : escaped.join("|");
}

function isAll(current: string | string[]): boolean {
  return current === ALL || (Array.isArray(current) && current.includes(ALL));
}

// Grafana's variable syntax: $name, [[name]] / [[name:fmt]], ${name} / ${name:fmt}.
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g;

/** Step 1: the frontend template service. */
export function interpolateVariables(query: string, variables: readonly TemplateVariable[]): string {
  const byName = new Map(variables.map((v) => [v.name, v]));
  return query.replace(
    VARIABLE,
    (match, plain?: string, bracket?: string, _f1?: string, braced?: string, format?: string) => {
      const name = plain ?? bracket ?? braced ?? "";
      const variable = byName.get(name);
      if (variable === undefined) return match; // $timeFilter, $__interval…: not template variables
      if (format === "text") {
        // Grafana's text format: the selection's display text — "All" for All, values joined with " + ", unescaped.
        if (isAll(variable.current)) return "All";
        return Array.isArray(variable.current) ? variable.current.join(" + ") : variable.current;
      }
      if (format !== undefined || _f1 !== undefined)
        throw new Error(`explicit variable formats other than :text are not modelled: ${match}`);
      if (isAll(variable.current)) {
        if (variable.allValue !== undefined && variable.allValue !== null && variable.allValue !== "") {
          return variable.allValue;
        }
        return formatValue(variable, variable.options);
      }
      return formatValue(variable, variable.current);
    },
  );
}

const ROUND_STEPS_MS: ReadonlyArray<[upTo: number, step: number]> = [
  [10, 1],
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1_500, 1_000],
  [3_500, 2_000],
  [7_500, 5_000],
  [12_500, 10_000],
  [17_500, 15_000],
  [25_000, 20_000],
  [45_000, 30_000],
  [90_000, 60_000],
  [210_000, 120_000],
  [450_000, 300_000],
  [750_000, 600_000],
  [1_050_000, 900_000],
  [1_500_000, 1_200_000],
  [2_700_000, 1_800_000],
  [5_400_000, 3_600_000],
  [9_000_000, 7_200_000],
  [16_200_000, 10_800_000],
  [32_400_000, 21_600_000],
  [86_400_000, 43_200_000],
  [604_800_000, 86_400_000],
  [1_814_400_000, 604_800_000],
];

/** grafana-plugin-sdk-go gtime.RoundInterval. */
export function roundInterval(ms: number): number {
  for (const [upTo, step] of ROUND_STEPS_MS) if (ms <= upTo) return step;
  return ms < 3_628_800_000 ? 2_592_000_000 : 31_536_000_000;
}

/** gtime.FormatInterval. */
export function formatInterval(ms: number): string {
  const units: ReadonlyArray<[suffix: string, size: number]> = [
    ["y", 31_536_000_000],
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
    ["ms", 1],
  ];
  for (const [suffix, size] of units) if (ms >= size) return `${Math.floor(ms / size)}${suffix}`;
  return "1ms";
}

export function parseDurationMs(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new Error(`unsupported interval "${text}"`);
  const factor = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? "s"] ?? 1_000;
  return Number(match[1]) * factor;
}

/** The interval calculator: range / maxDataPoints, at least the min interval, then rounded. */
export function intervalMs(ctx: Pick<QueryContext, "fromMs" | "toMs" | "maxDataPoints" | "minInterval">): number {
  const calculated = (ctx.toMs - ctx.fromMs) / ctx.maxDataPoints;
  const min = parseDurationMs(ctx.minInterval);
  return roundInterval(calculated < min ? min : calculated);
}

/** Step 2: the backend's macro replacement (pkg/tsdb/influxdb/influxql models.Query.Build for raw queries). */
export function expandBackendMacros(query: string, ctx: QueryContext): string {
  const interval = intervalMs(ctx);
  const text = formatInterval(interval);
  return query
    .replaceAll("$timeFilter", `time >= ${Math.trunc(ctx.fromMs)}ms and time <= ${Math.trunc(ctx.toMs)}ms`)
    .replaceAll("$interval", text)
    .replaceAll("$__interval_ms", String(interval))
    .replaceAll("$__interval", text);
}

export function expandQuery(query: string, ctx: QueryContext): string {
  return expandBackendMacros(interpolateVariables(query, ctx.variables), ctx);
}
