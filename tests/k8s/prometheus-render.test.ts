// METRICS for k6-operator runs (issue 17): scripts/k8s-render.ts turns influxdb | prometheus | both into the runners'
// K6_OUT (k6's built-in experimental-prometheus-rw output for Prometheus), the remote-write settings reach every runner
// from the settings ConfigMap, credentials only through a Secret, and the manifests stay valid for k6-operator v1.6.0.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import {
  BASE_SETTINGS,
  BASE_TESTRUN,
  inputFrom,
  METRICS_OUTPUTS,
  PROMETHEUS_SECRET_KEYS,
  PROMETHEUS_SECRET_NAME,
  REDACTED,
  render,
  SECRET_NAME,
  settingsKeys,
  UsageError,
  type RenderInput,
} from "../../scripts/k8s-render";
import { coreValidator, crdAvailable, testRunValidator } from "./crd";

/* eslint-disable @typescript-eslint/no-unsafe-member-access,
   @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const IMAGE = "registry.example.com/agentapi-load-k6:1.8.1";
// Credentials no ConfigMap, TestRun or message may contain (distinctive, found by a plain substring search).
const USER = "rw-user-4b1d";
const PASSWORD = "rw-pass-77c3e9-only-in-the-secret";
const RW_URL = "http://prometheus.monitoring.svc:9090/api/v1/write";

const scratch = mkdtempSync(join(tmpdir(), "agentapi-load-k8s-prometheus-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
// A bundle stand-in: the render only hashes it into the script ConfigMap.
const bundle = join(scratch, "main.js");
writeFileSync(bundle, "export default function () {}\n");

const input = (over: Partial<RenderInput> = {}): RenderInput => ({
  parallelism: 4,
  image: IMAGE,
  testId: "20261205-010000-beef",
  settings: {},
  script: readFileSync(bundle, "utf8"),
  ...over,
});
const docsOf = (over: Partial<RenderInput> = {}): Json[] =>
  parseAllDocuments(render(input(over)).yaml).map((d) => d.toJS() as Json);
const byKind = (docs: Json[], kind: string): Json[] => docs.filter((d) => d.kind === kind);
const settingsOf = (docs: Json[]): Record<string, string> => byKind(docs, "ConfigMap")[0]!.data;
const runnerOf = (docs: Json[]): Json => byKind(docs, "TestRun")[0]!.spec.runner;
const failure = (over: Partial<RenderInput>): string => {
  try {
    render(input(over));
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  return "rendered";
};

describe("k8s-render METRICS", () => {
  it("the base settings carry the remote-write output's settings, and every runner reads them from the ConfigMap", () => {
    const base = parse(readFileSync(BASE_SETTINGS, "utf8")) as Json;
    expect(base.data).toMatchObject({
      K6_OUT: "xk6-influxdb",
      K6_PROMETHEUS_RW_SERVER_URL: "http://prometheus.agentapi-load.svc:9090/api/v1/write",
      K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM: "true",
      K6_PROMETHEUS_RW_PUSH_INTERVAL: "5s",
      K6_PROMETHEUS_RW_STALE_MARKERS: "true",
    });
    const testRun = parse(readFileSync(BASE_TESTRUN, "utf8")) as Json;
    const names = (testRun.spec.runner.env as Json[]).map((e) => e.name);
    for (const key of settingsKeys().filter((k) => k.startsWith("K6_PROMETHEUS_RW_"))) expect(names).toContain(key);
    // Credentials are never settings (settings are a ConfigMap, and env entries reach k6-operator's argv).
    for (const key of PROMETHEUS_SECRET_KEYS) expect(settingsKeys()).not.toContain(key);
  });

  it.each([
    [undefined, "xk6-influxdb"],
    ["influxdb", "xk6-influxdb"],
    ["prometheus", "experimental-prometheus-rw"],
    ["both", "xk6-influxdb,experimental-prometheus-rw"],
  ] as const)("METRICS=%s gives the runners K6_OUT=%s (k6 reads it as a comma list)", (metrics, out) => {
    const docs = docsOf(metrics === undefined ? {} : { metrics });
    expect(settingsOf(docs).K6_OUT).toBe(out);
    if (metrics !== undefined) expect(METRICS_OUTPUTS[metrics]).toBe(out);
    // Every runner tags the run's testid, which the remote-write output turns into a label.
    expect(byKind(docs, "TestRun")[0]!.spec.args).toEqual(["--tag", "testid=$(TESTID)"]);
  });

  it("influxdb (or unset) leaves the runners' secrets as they were: no Prometheus Secret reference", () => {
    for (const over of [{}, { metrics: "influxdb" }]) {
      expect(runnerOf(docsOf(over)).envFrom).toEqual([
        { secretRef: { name: SECRET_NAME } },
        { secretRef: { name: "agentapi-load-agentapi", optional: true } },
      ]);
    }
  });

  it("prometheus: the InfluxDB Secret becomes optional, the remote-write credentials' Secret is read (optional)", () => {
    expect(runnerOf(docsOf({ metrics: "prometheus" })).envFrom).toEqual([
      { secretRef: { name: SECRET_NAME, optional: true } },
      { secretRef: { name: "agentapi-load-agentapi", optional: true } },
      { secretRef: { name: PROMETHEUS_SECRET_NAME, optional: true } },
    ]);
    expect(runnerOf(docsOf({ metrics: "both" })).envFrom).toEqual([
      { secretRef: { name: SECRET_NAME } },
      { secretRef: { name: "agentapi-load-agentapi", optional: true } },
      { secretRef: { name: PROMETHEUS_SECRET_NAME, optional: true } },
    ]);
  });

  it("the remote-write URL is a setting, stated in the rendered header", () => {
    const rendered = render(input({ metrics: "both", settings: { K6_PROMETHEUS_RW_SERVER_URL: RW_URL } }));
    expect(rendered.outputs).toEqual({ influxdb: true, prometheus: true });
    expect(rendered.yaml).toContain(`# Outputs (K6_OUT): xk6-influxdb,experimental-prometheus-rw (METRICS=both)`);
    expect(rendered.yaml).toContain(`remote write to ${RW_URL}`);
    expect(settingsOf(parseAllDocuments(rendered.yaml).map((d) => d.toJS() as Json)).K6_PROMETHEUS_RW_SERVER_URL).toBe(
      RW_URL,
    );
  });

  it.runIf(crdAvailable)("the rendered manifests validate against k6-operator v1.6.0's CRD and core schemas", () => {
    const crd = testRunValidator();
    const core = coreValidator();
    const docs = docsOf({
      metrics: "prometheus",
      namespace: "load",
      prometheusSecrets: { K6_PROMETHEUS_RW_USERNAME: USER, K6_PROMETHEUS_RW_PASSWORD: PASSWORD },
    });
    expect(docs.map((d) => d.kind)).toEqual(["Secret", "ConfigMap", "ConfigMap", "TestRun"]);
    for (const doc of docs) expect(doc.kind === "TestRun" ? crd.validate(doc) : core(doc), doc.kind).toEqual([]);
  });

  it("credentials come from the environment only, into the Secret agentapi-load-prometheus, nowhere else", () => {
    const env = {
      IMAGE,
      TESTID: "rw-run",
      METRICS: "prometheus",
      K6_PROMETHEUS_RW_SERVER_URL: RW_URL,
      K6_PROMETHEUS_RW_USERNAME: USER,
      K6_PROMETHEUS_RW_PASSWORD: PASSWORD,
    };
    const { input: fromEnv } = inputFrom([], env, bundle);
    expect(fromEnv.metrics).toBe("prometheus");
    expect(fromEnv.settings.K6_PROMETHEUS_RW_SERVER_URL).toBe(RW_URL);
    expect(fromEnv.settings).not.toHaveProperty("K6_PROMETHEUS_RW_PASSWORD");
    const rendered = render(fromEnv);
    const docs = rendered.documents as Json[];
    const secret = byKind(docs, "Secret").find((d) => d.metadata.name === PROMETHEUS_SECRET_NAME)!;
    expect(secret.stringData).toEqual({ K6_PROMETHEUS_RW_USERNAME: USER, K6_PROMETHEUS_RW_PASSWORD: PASSWORD });
    for (const doc of docs.filter((d) => d.kind !== "Secret")) expect(JSON.stringify(doc)).not.toContain(PASSWORD);
    // --redact: for reading, the value never printed.
    const redacted = render({ ...fromEnv, redactSecrets: true }).yaml;
    expect(redacted).not.toContain(PASSWORD);
    expect(redacted).toContain(`K6_PROMETHEUS_RW_PASSWORD: ${REDACTED}`);
    // No flag takes a credential; --metrics picks the backend.
    expect(() => inputFrom(["--prometheus-password", PASSWORD], env, bundle)).toThrow(/unknown option/);
    expect(inputFrom(["--metrics", "both"], env, bundle).input.metrics).toBe("both");
    // With InfluxDB only the credentials are not rendered (no runner would read them).
    expect(byKind(render({ ...fromEnv, metrics: "influxdb" }).documents as Json[], "Secret")).toEqual([]);
  });

  it.each([
    [{ metrics: "graphite" }, /^METRICS must be one of: influxdb, prometheus, both \(got "graphite"\)$/],
    [{ metrics: "Prometheus" }, /METRICS must be one of/],
    [{ metrics: "prometheus", settings: { K6_PROMETHEUS_RW_SERVER_URL: "" } }, /must be an http\(s\) URL/],
    [{ metrics: "both", settings: { K6_PROMETHEUS_RW_SERVER_URL: "prometheus:9090" } }, /must be an http\(s\) URL/],
  ] as const)("refuses %j with one line", (over, message) => {
    expect(failure(over)).toMatch(message);
  });

  it("refuses a remote-write URL with user:password@ without repeating it", () => {
    const message = failure({
      metrics: "prometheus",
      settings: { K6_PROMETHEUS_RW_SERVER_URL: `https://${USER}:${PASSWORD}@prom.corp.test/api/v1/write` },
    });
    expect(message).toMatch(/must not carry credentials/);
    expect(message).not.toContain(PASSWORD);
  });
});
