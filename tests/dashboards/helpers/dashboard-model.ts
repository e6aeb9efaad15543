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

export function panelTargets(dashboard: DashboardJson): PanelTarget[] {
  return dataPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel, target, label: `${panel.title ?? "?"} [${target.refId ?? "?"}]` })),
  );
}
