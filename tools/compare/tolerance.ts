// How big a change must be before it can count: a relative part AND an absolute part, both exceeded. Defaults per
// kind of value; overridden per metric name or per exact metric key with `--tolerance sel=spec` or a JSON config.
//
//   spec     := part ("," part)?     part := N "%" | N "ms" | N "s" | N "pp" | N
//   selector := default | <metric> | <metric{tag:value,…}>   (the most specific one wins)
//
// `10%,5ms`: 10 % of the baseline and 5 ms. `pp` is percentage points (for rates); a bare number is in the row's
// own unit (ms for latencies, a fraction for rates). A part left out keeps the default's.

export type ValueKind = "time" | "proportion" | "value";

export interface Tolerance {
  /** Fraction of the baseline, e.g. 0.1. */
  relative: number;
  /** In the row's unit: ms (time), fraction (proportion), the value's own unit (value). */
  absolute: number;
}

export const DEFAULT_TOLERANCES: Readonly<Record<ValueKind, Tolerance>> = {
  time: { relative: 0.1, absolute: 5 },
  // Rates (checks, success rates, http_req_failed) and the failure counters per request: half a percentage point.
  proportion: { relative: 0.1, absolute: 0.005 },
  value: { relative: 0.1, absolute: 0 },
};

export interface ToleranceSpec {
  relative?: number;
  absolute?: number;
  /** The unit `absolute` was written in, to refuse `5ms` on a rate. */
  unit?: "time" | "proportion" | "raw";
  text: string;
}

export class ToleranceError extends Error {}

export function parseToleranceSpec(text: string): ToleranceSpec {
  const spec: ToleranceSpec = { text };
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length === 0 || parts.length > 2 || parts.some((p) => p === "")) {
    throw new ToleranceError(`tolerance "${text}" must be like 10%,5ms (a relative and/or an absolute part)`);
  }
  for (const part of parts) {
    const m = /^(\d+(?:\.\d+)?)(%|ms|s|pp)?$/.exec(part);
    if (!m) throw new ToleranceError(`tolerance part "${part}" must be N%, Nms, Ns, Npp or a plain number`);
    const n = Number(m[1]);
    const unit = m[2];
    if (unit === "%") {
      if (spec.relative !== undefined) throw new ToleranceError(`tolerance "${text}" has two relative parts`);
      spec.relative = n / 100;
      continue;
    }
    if (spec.absolute !== undefined) throw new ToleranceError(`tolerance "${text}" has two absolute parts`);
    if (unit === "ms" || unit === "s") {
      spec.absolute = unit === "s" ? n * 1000 : n;
      spec.unit = "time";
    } else if (unit === "pp") {
      spec.absolute = n / 100;
      spec.unit = "proportion";
    } else {
      spec.absolute = n;
      spec.unit = "raw";
    }
  }
  return spec;
}

/** `http_req_duration=15%,10ms` → ["http_req_duration", spec]. */
export function parseToleranceOption(option: string): [string, ToleranceSpec] {
  const eq = option.indexOf("=");
  if (eq <= 0)
    throw new ToleranceError(`--tolerance "${option}" must be <metric>=<spec>, e.g. http_req_duration=10%,5ms`);
  return [option.slice(0, eq).trim(), parseToleranceSpec(option.slice(eq + 1))];
}

export type ToleranceTable = ReadonlyMap<string, ToleranceSpec>;

/** The tolerance for a row: exact key, else its metric name, else `default`, over the kind's default. */
export function toleranceFor(table: ToleranceTable, key: string, kind: ValueKind): Tolerance {
  const metric = key.includes("{") ? key.slice(0, key.indexOf("{")) : key;
  const own = table.get(key) ?? table.get(metric);
  const spec = own ?? table.get("default");
  const base = DEFAULT_TOLERANCES[kind];
  if (!spec) return base;
  const mismatch = spec.unit !== undefined && spec.unit !== "raw" && spec.unit !== kind && kind !== "value";
  // `default=…,5ms` sets the absolute part of latencies only; rates keep theirs.
  if (mismatch && own === undefined) return { relative: spec.relative ?? base.relative, absolute: base.absolute };
  if (mismatch) {
    const unitName = spec.unit === "time" ? "a time (ms/s)" : "percentage points (pp)";
    throw new ToleranceError(`tolerance "${spec.text}" for ${key} is in ${unitName}, but ${key} is a ${kind}`);
  }
  return { relative: spec.relative ?? base.relative, absolute: spec.absolute ?? base.absolute };
}

/** Both parts exceeded: |delta| > absolute and |delta| > relative × |baseline|. */
export function beyondTolerance(baseline: number, delta: number, tolerance: Tolerance): boolean {
  const size = Math.abs(delta);
  return size > tolerance.absolute && size > tolerance.relative * Math.abs(baseline);
}
