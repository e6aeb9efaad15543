// The steps of a judged capacity search as Grafana annotations: one region per step, from its start to its end,
// its text the step's load and verdict (and what broke it), tagged `agentapi-capacity` and the testid. The load
// dashboards' "Capacity steps" annotation shows the ones whose tags include the selected run's testid
// (infra/grafana/src/dashboard.ts). Grafana's HTTP API (POST /api/annotations, an organisation annotation: it is on
// every dashboard that asks for its tags). Credentials from the environment or the ignored .env: GRAFANA_TOKEN (a
// service account token, sent as a bearer) or GRAFANA_ADMIN_USER / GRAFANA_ADMIN_PASSWORD (the stack's admin).
import type { CapacityPlan } from "../../k6/src/capacity/plan";
import { settingsReader, type LoadConfigOptions } from "../influx/config";
import type { CapacityResult } from "./verdict";

export const ANNOTATION_TAG = "agentapi-capacity";

export interface GrafanaTarget {
  url: string;
  /** The Authorization header's value (never printed). */
  authorization: string | null;
}

/** Where to post: GRAFANA_URL (default the stack's http://localhost:GRAFANA_PORT) and its credentials. */
export function grafanaTarget(options: LoadConfigOptions = {}): GrafanaTarget {
  const read = settingsReader(options);
  const url = (read("GRAFANA_URL") ?? `http://localhost:${read("GRAFANA_PORT") ?? "3001"}`).replace(/\/+$/, "");
  const token = read("GRAFANA_TOKEN");
  const user = read("GRAFANA_ADMIN_USER");
  const password = read("GRAFANA_ADMIN_PASSWORD");
  let authorization: string | null = null;
  if (token !== undefined) authorization = `Bearer ${token}`;
  else if (user !== undefined && password !== undefined) {
    authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  }
  return { url, authorization };
}

export interface StepAnnotation {
  time: number;
  timeEnd: number;
  tags: string[];
  text: string;
}

/**
 * One region per step, placed from the run's first sample (setup's probe, a moment before the scenarios start, so a
 * region may sit that much early).
 */
export function stepAnnotations(result: CapacityResult, plan: CapacityPlan): StepAnnotation[] {
  const runStart = result.runStart;
  return plan.steps.map((step) => {
    const judged = result.steps.find((s) => s.step === step.index);
    const verdict = judged?.verdict ?? "no samples";
    const load = `${step.rate} it/s planned` + (judged ? `, ${judged.startedRate.toFixed(2)} started` : "");
    const broke = judged !== undefined && judged.broke.length > 0 ? `: ${judged.broke.join("; ")}` : "";
    return {
      time: Math.round(runStart + step.startS * 1000),
      timeEnd: Math.round(runStart + step.endS * 1000),
      tags: [ANNOTATION_TAG, result.testid, `verdict:${verdict}`],
      text: `capacity step ${step.index} · ${load} · ${verdict}${broke}`,
    };
  });
}

/** What happened, in one line for the terminal (no credential in it). */
export interface AnnotateOutcome {
  posted: number;
  message: string;
}

/** Post every step; stops at the first failure and says why (the report files hold the same facts). */
export async function postAnnotations(
  target: GrafanaTarget,
  annotations: readonly StepAnnotation[],
  timeoutMs = 5000,
): Promise<AnnotateOutcome> {
  let posted = 0;
  for (const annotation of annotations) {
    let status: number;
    let body = "";
    try {
      const response = await fetch(`${target.url}/api/annotations`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          ...(target.authorization === null ? {} : { Authorization: target.authorization }),
        },
        body: JSON.stringify(annotation),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      body = await response.text();
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      return { posted, message: `Grafana at ${target.url} unreachable (${cause}): no step annotations` };
    }
    if (status === 401 || status === 403) {
      return {
        posted,
        message:
          `Grafana at ${target.url} refused the annotations (${status}): set GRAFANA_TOKEN, or ` +
          "GRAFANA_ADMIN_USER and GRAFANA_ADMIN_PASSWORD (.env)",
      };
    }
    if (status !== 200) {
      const detail = body.replace(/\s+/g, " ").slice(0, 200);
      return { posted, message: `Grafana at ${target.url} answered ${status} to an annotation: ${detail}` };
    }
    posted++;
  }
  return {
    posted,
    message: `${posted} step annotations on the load dashboards ("Capacity steps"), Grafana at ${target.url}`,
  };
}
