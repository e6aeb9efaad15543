// A model of what Grafana (12) does with a panel's InfluxQL results before a table shows them, for the transformations
// the compare dashboard uses — so the tests can check the A/B/Δ tables end to end against a real InfluxDB:
//  - the backend's table format (pkg/tsdb/influxdb/influxql, transformRowsForTable): one frame per query, named after
//    the first series' measurement, fields Time, the GROUP BY tags, then the columns, every row of every series
//    appended; each field's display name is its column/tag name (displayNameFromDS). No series: no frame.
//  - filterFieldsByName (exclude/include by display name), joinByField (mode outerTabular: every row of every frame,
//    matched on the join field's value, unmatched cells undefined, identical rows once), calculateField (mode
//    binary, fields by display name, `timeSeries: false`: `left op right` in plain JavaScript arithmetic, so a
//    missing operand gives NaN), organize (excludeByName, renameByName).
// Any other transformation id throws: the test must not pass over something it does not model.
import type { InfluxSeries } from "./influxd";
import type { TransformationJson } from "./dashboard-model";

export type Cell = number | string | null | undefined;

export interface FrameField {
  name: string;
  type: "time" | "string" | "number";
  values: Cell[];
}

export interface Frame {
  name?: string;
  refId: string;
  fields: FrameField[];
}

function typeOf(values: readonly Cell[]): "string" | "number" {
  return values.some((v) => typeof v === "string") ? "string" : "number";
}

/** The frame Grafana's InfluxQL backend builds from one table-format query's series (none → no frame). */
export function tableFrames(refId: string, series: readonly InfluxSeries[]): Frame[] {
  const first = series[0];
  if (first === undefined) return [];
  const fields: FrameField[] = [];
  const rows = series.flatMap((s) => s.values.map((row) => ({ tags: s.tags ?? {}, row })));
  if (first.columns[0] === "time") fields.push({ name: "Time", type: "time", values: rows.map((r) => r.row[0]) });
  for (const key of Object.keys(first.tags ?? {})) {
    fields.push({ name: key, type: "string", values: rows.map((r) => r.tags[key] ?? "") });
  }
  first.columns.forEach((column, index) => {
    if (index === 0) return;
    const values = rows.map((r) => r.row[index] ?? null);
    fields.push({ name: column, type: typeOf(values), values });
  });
  return [{ name: first.name, refId, fields }];
}

function names(option: unknown): string[] {
  const value = (option as { names?: unknown } | undefined)?.names;
  return Array.isArray(value) ? value.map(String) : [];
}

function filterFieldsByName(frames: Frame[], options: Record<string, unknown>): Frame[] {
  const include = names(options.include);
  const exclude = names(options.exclude);
  return frames.map((frame) => ({
    ...frame,
    fields: frame.fields.filter((f) => (include.length === 0 || include.includes(f.name)) && !exclude.includes(f.name)),
  }));
}

function joinOuterTabular(frames: Frame[], byField: string): Frame[] {
  const joinable = frames.filter((f) => f.fields.some((field) => field.name === byField));
  if (joinable.length < 2) return joinable.length === 1 ? joinable : frames;
  const others = joinable.map((f) => f.fields.filter((field) => field.name !== byField));
  const keyOf = (frame: Frame): Cell[] => frame.fields.find((field) => field.name === byField)?.values ?? [];
  const width = others.reduce((n, fields) => n + fields.length, 0);
  const offsets = others.map((_, i) => others.slice(0, i).reduce((n, fields) => n + fields.length, 0));
  const rows = new Map<string, Cell[]>();
  joinable.forEach((frame, t) => {
    keyOf(frame).forEach((key, r) => {
      const row: Cell[] = [key, ...new Array<Cell>(width).fill(undefined)];
      others[t]?.forEach((field, j) => (row[1 + (offsets[t] ?? 0) + j] = field.values[r]));
      joinable.forEach((other, o) => {
        if (o === t) return;
        const match = keyOf(other).indexOf(key);
        if (match >= 0) others[o]?.forEach((field, j) => (row[1 + (offsets[o] ?? 0) + j] = field.values[match]));
      });
      rows.set(JSON.stringify(row), row);
    });
  });
  const table = [...rows.values()];
  const joinField = joinable[0]?.fields.find((f) => f.name === byField) as FrameField;
  const fields: FrameField[] = [
    { ...joinField, values: table.map((row) => row[0]) },
    ...others.flat().map((field, i) => ({ ...field, values: table.map((row) => row[1 + i]) })),
  ];
  return [{ refId: "joined", fields }];
}

type Operand = { matcher?: { id?: string; options?: string }; fixed?: string };

function operandValues(frame: Frame, operand: Operand): Cell[] | undefined {
  if (operand.matcher?.id === "byName") return frame.fields.find((f) => f.name === operand.matcher?.options)?.values;
  const fixed = Number.parseFloat(operand.fixed ?? "");
  return Number.isNaN(fixed) ? undefined : frame.fields[0]?.values.map(() => fixed);
}

const OPERATORS: Record<string, (a: number, b: number) => number> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
};

function calculateField(frames: Frame[], options: Record<string, unknown>): Frame[] {
  if (options.mode !== "binary") throw new Error(`calculateField mode ${String(options.mode)} is not modelled`);
  if (options.timeSeries !== false) throw new Error("calculateField without timeSeries: false is not modelled");
  const binary = options.binary as { left: Operand; operator: string; right: Operand };
  const operation = OPERATORS[binary.operator];
  if (operation === undefined) throw new Error(`unknown operator ${binary.operator}`);
  return frames.map((frame) => {
    const left = operandValues(frame, binary.left);
    const right = operandValues(frame, binary.right);
    if (left === undefined || right === undefined) return frame;
    const values = left.map((l, i) => operation(l as number, right[i] as number));
    return { ...frame, fields: [...frame.fields, { name: String(options.alias), type: "number" as const, values }] };
  });
}

function organize(frames: Frame[], options: Record<string, unknown>): Frame[] {
  const exclude = (options.excludeByName ?? {}) as Record<string, boolean>;
  const rename = (options.renameByName ?? {}) as Record<string, string>;
  return frames.map((frame) => ({
    ...frame,
    fields: frame.fields
      .filter((f) => exclude[f.name] !== true)
      .map((f) => (rename[f.name] ? { ...f, name: rename[f.name] as string } : f)),
  }));
}

export function applyTransformations(frames: Frame[], transformations: readonly TransformationJson[]): Frame[] {
  let data = frames;
  for (const { id, options } of transformations) {
    if (id === "filterFieldsByName") data = filterFieldsByName(data, options);
    else if (id === "joinByField") {
      if (options.mode !== "outerTabular") throw new Error(`joinByField mode ${String(options.mode)} is not modelled`);
      data = joinOuterTabular(data, String(options.byField));
    } else if (id === "calculateField") data = calculateField(data, options);
    else if (id === "organize") data = organize(data, options);
    else throw new Error(`transformation ${id} is not modelled`);
  }
  return data;
}

/** A frame as rows keyed by field name. */
export function rowsOf(frame: Frame): Record<string, Cell>[] {
  const length = frame.fields[0]?.values.length ?? 0;
  return Array.from({ length }, (_, i) => Object.fromEntries(frame.fields.map((f) => [f.name, f.values[i]])));
}
