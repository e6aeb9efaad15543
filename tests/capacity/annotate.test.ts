// `npm run capacity -- --annotate` (make capacity): the judged steps become Grafana region annotations, which the
// load dashboards' "Capacity steps" annotation shows for the selected run. Checked against a loopback server that
// answers as Grafana's HTTP API does (POST /api/annotations → 200 {"message":"Annotation added","id":n}).
import { createServer, type IncomingMessage, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { capacitySettings } from "../../tools/capacity/settings";
import {
  ANNOTATION_TAG,
  grafanaTarget,
  postAnnotations,
  stepAnnotations,
  type StepAnnotation,
} from "../../tools/capacity/annotate";
import type { CapacityResult, StepResult } from "../../tools/capacity/verdict";
import { buildDashboard, CAPACITY_ANNOTATION_TAG } from "../../infra/grafana/src/dashboard";
import { PROMQL } from "../../infra/grafana/src/backend";
import { closedPortUrl } from "../k6/helpers";

const { plan } = capacitySettings({ AGENT_ONLY: "true", SCENARIOS: "list_tools", CAPACITY_RATES: "2,4,8" });

function step(index: number, verdict: StepResult["verdict"], broke: string[] = []): StepResult {
  const rate = plan.steps[index - 1]?.rate ?? 0;
  return {
    step: index,
    rate,
    startedRate: rate * 0.99,
    delivered: 0.99,
    iterationMs: 200,
    p95Ms: 10,
    p99Ms: 20,
    errorRate: 0,
    requestRate: rate * 2,
    verdict,
    broke,
    outcomes: [],
  };
}

const RESULT: CapacityResult = {
  testid: "capacity-annotate-test",
  runStart: 0,
  generator: { droppedIterations: 0, vusMax: 10, poolSize: 30 },
  outcome: "knee",
  exitCode: 0,
  highestHeld: step(2, "held"),
  firstNotHeld: step(3, "target-limited", ["http_req_duration{endpoint:status} p(95)<300 observed 345"]),
  steps: [
    step(1, "held"),
    step(2, "held"),
    step(3, "target-limited", ["http_req_duration{endpoint:status} p(95)<300 observed 345"]),
  ],
  summary: "knee",
};

interface Received {
  method: string;
  url: string;
  authorization: string | undefined;
  body: StepAnnotation;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A loopback Grafana: records each request and answers with `status` (200: Grafana's "Annotation added"). */
async function fakeGrafana(status = 200): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  let id = 0;
  server = createServer((req: IncomingMessage, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => {
      received.push({
        method: req.method ?? "",
        url: req.url ?? "",
        authorization: req.headers.authorization,
        body: JSON.parse(text) as StepAnnotation,
      });
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(
        status === 200 ? JSON.stringify({ message: "Annotation added", id: ++id }) : '{"message":"Unauthorized"}',
      );
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { url: `http://127.0.0.1:${address.port}`, received };
}

describe("capacity steps as Grafana annotations", () => {
  it("one region per step, from its start to its end, its text the load and the verdict (and what broke it)", () => {
    const runStart = Date.UTC(2026, 11, 5, 6, 0, 0);
    const annotations = stepAnnotations({ ...RESULT, runStart }, plan);
    expect(annotations).toHaveLength(3);
    annotations.forEach((a, i) => {
      const s = plan.steps[i];
      expect(a.time).toBe(runStart + (s?.startS ?? NaN) * 1000);
      expect(a.timeEnd).toBe(runStart + (s?.endS ?? NaN) * 1000);
      expect(a.tags.slice(0, 2)).toEqual([ANNOTATION_TAG, RESULT.testid]);
    });
    // The regions tile the run: each ends where the next begins.
    for (let i = 1; i < annotations.length; i++) expect(annotations[i]?.time).toBe(annotations[i - 1]?.timeEnd);
    expect(annotations[0]?.text).toBe("capacity step 1 · 2 it/s planned, 1.98 started · held");
    expect(annotations[2]?.text).toMatch(
      /^capacity step 3 · 8 it\/s planned.* · target-limited: http_req_duration\{endpoint:status\}/,
    );
    expect(annotations[2]?.tags).toContain("verdict:target-limited");
  });

  it("the load dashboards show exactly those: Grafana annotations tagged agentapi-capacity and the run's testid", () => {
    expect(CAPACITY_ANNOTATION_TAG).toBe(ANNOTATION_TAG);
    for (const dashboard of [buildDashboard(), buildDashboard(PROMQL)]) {
      const list = dashboard.annotations?.list ?? [];
      const capacity = list.find((a) => a.name === "Capacity steps");
      expect(capacity?.datasource).toEqual({ type: "grafana", uid: "-- Grafana --" });
      expect(capacity?.target).toMatchObject({ type: "tags", tags: [ANNOTATION_TAG, "$testid"], matchAny: false });
      // …and a row of panels by step beside them.
      const row = dashboard.panels?.find((p) => "title" in p && p.title === "Capacity search");
      expect(row).toBeDefined();
    }
  });

  it("posts them to Grafana's HTTP API with the .env admin credentials (or GRAFANA_TOKEN as a bearer)", async () => {
    const grafana = await fakeGrafana();
    const dir = mkdtempSync(join(tmpdir(), "annotate-env-"));
    try {
      writeFileSync(join(dir, ".env"), "GRAFANA_ADMIN_USER=admin\nGRAFANA_ADMIN_PASSWORD=s3cret-pw\n");
      const target = grafanaTarget({ env: { GRAFANA_URL: `${grafana.url}/` }, envFile: join(dir, ".env") });
      const annotations = stepAnnotations({ ...RESULT, runStart: 1_000_000 }, plan);
      const outcome = await postAnnotations(target, annotations);
      expect(outcome.posted).toBe(3);
      expect(outcome.message).toBe(
        `3 step annotations on the load dashboards ("Capacity steps"), Grafana at ${grafana.url}`,
      );
      expect(grafana.received.map((r) => [r.method, r.url])).toEqual(Array(3).fill(["POST", "/api/annotations"]));
      expect(grafana.received.map((r) => r.body)).toEqual(annotations);
      expect(grafana.received[0]?.authorization).toBe(`Basic ${Buffer.from("admin:s3cret-pw").toString("base64")}`);

      const withToken = grafanaTarget({
        env: { GRAFANA_URL: grafana.url, GRAFANA_TOKEN: "glsa_token" },
        envFile: join(dir, ".env"),
      });
      await postAnnotations(withToken, annotations.slice(0, 1));
      expect(grafana.received[3]?.authorization).toBe("Bearer glsa_token");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a Grafana that refuses or is not there: one line saying what to set, no credential in it; nothing else lost", async () => {
    const refusing = await fakeGrafana(401);
    const target = grafanaTarget({
      env: { GRAFANA_URL: refusing.url, GRAFANA_ADMIN_USER: "admin", GRAFANA_ADMIN_PASSWORD: "pw-xyz" },
      envFile: null,
    });
    const refused = await postAnnotations(target, stepAnnotations({ ...RESULT, runStart: 0 }, plan));
    expect(refused.posted).toBe(0);
    expect(refused.message).toMatch(/refused the annotations \(401\): set GRAFANA_TOKEN, or GRAFANA_ADMIN_USER/);
    expect(refused.message).not.toMatch(/pw-xyz|YWRtaW46cHcteHl6/);
    expect(refusing.received).toHaveLength(1); // stops at the first refusal

    const nowhere = await closedPortUrl();
    const missing = await postAnnotations(
      grafanaTarget({ env: { GRAFANA_URL: nowhere }, envFile: null }),
      stepAnnotations({ ...RESULT, runStart: 0 }, plan),
    );
    expect(missing).toMatchObject({ posted: 0 });
    expect(missing.message).toMatch(new RegExp(`^Grafana at ${nowhere} unreachable \\(.+\\): no step annotations$`));
  });

  it("defaults to the stack's Grafana (GRAFANA_PORT from .env) and sends no credentials it was not given", () => {
    const dir = mkdtempSync(join(tmpdir(), "annotate-env-"));
    try {
      writeFileSync(join(dir, ".env"), "GRAFANA_PORT=3333\n");
      expect(grafanaTarget({ env: {}, envFile: join(dir, ".env") })).toEqual({
        url: "http://localhost:3333",
        authorization: null,
      });
      expect(grafanaTarget({ env: { GRAFANA_PORT: "3001" }, envFile: join(dir, ".env") }).url).toBe(
        "http://localhost:3001",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
