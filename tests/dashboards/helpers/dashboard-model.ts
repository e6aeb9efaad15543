// Reads a committed dashboard JSON as Grafana would see it: panels (including those inside collapsed rows),
// their targets and transformations, and the templating list. Only the fields the tests use are typed.
import { readFileSync } from "node:fs";
import { DASHBOARD_FILE } from "../../../infra/grafana/src/paths";

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface TargetJson {
  refId?: string;
  datasource?: { type?: string; uid?: string };
  query?: string;
  rawQuery?: boolean;
  resultFormat?: string;
  alias?: string;
}

export interface TransformationJson {
  id: string;
  options: Record<string, unknown>;
}

export interface PanelJson {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  transformations?: TransformationJson[];
  gridPos?: GridPos;
  datasource?: { type?: string; uid?: string };
  targets?: TargetJson[];
  panels?: PanelJson[];
  collapsed?: boolean;
  maxDataPoints?: number;
  /** Panel options (legend, tooltip, …). */
  options?: Record<string, unknown>;
  fieldConfig?: {
    defaults?: {
      unit?: string;
      noValue?: string;
      thresholds?: { mode: string; steps: { value: number | null; color: string }[] };
      custom?: { thresholdsStyle?: { mode: string } };
    };
  };
}

export interface VariableJson {
  name: string;
  type: string;
  query?: string;
  datasource?: { type?: string; uid?: string };
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
  sort?: number;
  refresh?: number;
  current?: { text?: string | string[]; value?: string | string[] };
}

export interface DashboardJson {
  uid: string;
  title: string;
  panels: PanelJson[];
  templating: { list: VariableJson[] };
  time?: { from: string; to: string };
}

/** The load dashboard, or another committed dashboard file (e.g. COMPARE_DASHBOARD_FILE). */
export function loadCommittedDashboard(file: string = DASHBOARD_FILE): DashboardJson {
  return JSON.parse(readFileSync(file, "utf8")) as DashboardJson;
}

/** Every panel, rows included, with collapsed rows' nested panels after their row. */
export function allPanels(dashboard: DashboardJson): PanelJson[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/** Panels that query data (everything but rows). */
export function dataPanels(dashboard: DashboardJson): PanelJson[] {
  return allPanels(dashboard).filter((panel) => panel.type !== "row");
}

export interface PanelTarget {
  panel: PanelJson;
  target: TargetJson;
  /** "panel title [refId]" for messages. */
  label: string;
}

/**
 * The row a capacity search fills (`make capacity`: its samples carry a `step` tag); empty in any other run, so the
 * tests that expect every panel to show a journey run's data leave it out, and tests/capacity/knee.test.ts runs its
 * queries on a capacity run in a real InfluxDB.
 */
export const CAPACITY_ROW = "Capacity search";

/** The panels of a collapsed row (nested in it). */
export function collapsedRowPanels(dashboard: DashboardJson, title: string): PanelJson[] {
  return dashboard.panels.find((p) => p.type === "row" && p.title === title)?.panels ?? [];
}

/** Every target of every data panel, optionally without the panels of some collapsed rows. */
export function panelTargets(dashboard: DashboardJson, options: { exceptRows?: string[] } = {}): PanelTarget[] {
  const excluded = new Set((options.exceptRows ?? []).flatMap((title) => collapsedRowPanels(dashboard, title)));
  return dataPanels(dashboard)
    .filter((panel) => !excluded.has(panel))
    .flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({
        panel,
        target,
        label: `${panel.title ?? "?"} [${target.refId ?? "?"}]`,
      })),
    );
}
