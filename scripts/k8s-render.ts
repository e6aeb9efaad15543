// `npm run k8s:render`: the Kubernetes manifests of one distributed run with k6-operator v1.6.0, on stdout (or
// --out FILE), ready for `kubectl apply --server-side -f -`. No kubectl needed to render.
//
// Base: deploy/k6-operator/testrun.yaml (the TestRun) and deploy/k6-operator/settings.yaml (the run's settings).
// Rendered, in order:
//   Secret    agentapi-load-influxdb          only when INFLUXDB_TOKEN is set (else create it: README.md)
//   Secret    agentapi-load-prometheus        only with METRICS=prometheus|both and K6_PROMETHEUS_RW_USERNAME or
//                                             K6_PROMETHEUS_RW_PASSWORD set: remote-write credentials (optional)
//   Secret    <testrun>-agentapi              only when AGENTAPI_TOKEN or AGENTAPI_HEADERS is set: the AgentAPI
//                                             credentials of this run (else agentapi-load-agentapi, optional)
//   ConfigMap <testrun>-settings              the base settings + this run's values (TESTID, PROFILE, targets, …)
//   ConfigMap agentapi-load-script-<sha256>   k6/dist/main.js, named by its content like kustomize's
//                                             configMapGenerator (immutable; a new bundle gets a new name)
//   TestRun   agentapi-load-<testid>          parallelism N, the image, both ConfigMaps, report folders for N
//
//   npm run k8s:render -- --parallelism 4 --image registry.example.com/agentapi-load-k6:1.8.1 --namespace load
//   PARALLELISM=16 IMAGE=… TESTID=… PROFILE=staging AGENTAPI_URL_TEMPLATE='http://ws-{agent}/agentapi' AGENTS=1100 \
//     npm run --silent k8s:render > run.yaml
//
// Settings come from the environment (the names of k6/README.md and settings.yaml; INFLUXDB_ADDR, INFLUXDB_ORG and
// INFLUXDB_BUCKET stand for the K6_INFLUXDB_* keys), flags win. They are validated with the suite's own rules
// (k6/src/config.ts): a bad value stops here with the line k6 would print. METRICS (--metrics) influxdb (default) |
// prometheus | both picks the runners' outputs (K6_OUT): prometheus is k6's built-in experimental-prometheus-rw,
// writing to K6_PROMETHEUS_RW_SERVER_URL (a setting) with trends as native histograms; both streams to the two.
// Secrets come from the environment only (no flags): INFLUXDB_TOKEN, AGENTAPI_TOKEN, AGENTAPI_HEADERS,
// K6_PROMETHEUS_RW_USERNAME and K6_PROMETHEUS_RW_PASSWORD go into Secrets, never a ConfigMap, and the runners get
// them through envFrom (k6-operator puts every `env` entry on the initializer's command line); only their names
// are printed. --redact writes "<redacted>" for every Secret value: output to read, not to apply.
// Exit status: 0 rendered, 2 bad usage or configuration, 1 anything else (e.g. no bundle: run `npm run build`).
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { agentCount, ConfigError, loadConfig } from "../k6/src/config";
import { buildScenarios, peakVus } from "../k6/src/profiles";

export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
export const DEPLOY_DIR = join(REPO_ROOT, "deploy", "k6-operator");
export const BASE_TESTRUN = join(DEPLOY_DIR, "testrun.yaml");
export const BASE_SETTINGS = join(DEPLOY_DIR, "settings.yaml");
export const BUNDLE = join(REPO_ROOT, "k6", "dist", "main.js");

/** The names the base manifests use; rendered ones are per run. */
const BASE_SETTINGS_NAME = "agentapi-load-settings";
const BASE_SCRIPT_NAME = "agentapi-load-script";
export const SECRET_NAME = "agentapi-load-influxdb";
export const SECRET_KEY = "K6_INFLUXDB_TOKEN";
/** The AgentAPI credentials' Secret as testrun.yaml names it; a rendered run gets its own, <testrun>-agentapi. */
export const AGENTAPI_SECRET_NAME = "agentapi-load-agentapi";
/** The secret settings the k6 suite reads (k6/src/config.ts), each a key of that Secret. */
export const AGENTAPI_SECRET_KEYS = ["AGENTAPI_TOKEN", "AGENTAPI_HEADERS"] as const;
export type AgentApiSecretKey = (typeof AGENTAPI_SECRET_KEYS)[number];
/** The Prometheus remote-write credentials' Secret (optional: most receivers inside a cluster want none). */
export const PROMETHEUS_SECRET_NAME = "agentapi-load-prometheus";
/** The k6 experimental-prometheus-rw options that are credentials, each a key of that Secret. */
export const PROMETHEUS_SECRET_KEYS = ["K6_PROMETHEUS_RW_USERNAME", "K6_PROMETHEUS_RW_PASSWORD"] as const;
export type PrometheusSecretKey = (typeof PROMETHEUS_SECRET_KEYS)[number];
/** METRICS: where the runners stream, and the K6_OUT that says it (k6 reads K6_OUT as a comma-separated list). */
export const METRICS_OUTPUTS = {
  influxdb: "xk6-influxdb",
  prometheus: "experimental-prometheus-rw",
  both: "xk6-influxdb,experimental-prometheus-rw",
} as const;
export type Metrics = keyof typeof METRICS_OUTPUTS;
/** What --redact writes instead of a Secret's value. */
export const REDACTED = "<redacted>";
/** Where the runner image's k6 (user k6, WORKDIR /home/k6) writes REPORT_DIR=reports/<testid>. */
const REPORTS_MOUNT = "/home/k6/reports";
const TESTID_LABEL = "agentapi-load/testid";

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;
type Json = Record<string, unknown>;

export interface RenderInput {
  parallelism: number;
  image: string;
  namespace?: string;
  testId: string;
  /** The TestRun's name (default agentapi-load-<testid>). */
  name?: string;
  /** Values for settings.yaml's keys (the rest keep the base's values). */
  settings: Record<string, string>;
  /** The InfluxDB token: rendered into the Secret when given. */
  influxdbToken?: string;
  /** Where the runners stream (default: settings.yaml's K6_OUT as it is, i.e. influxdb). */
  metrics?: string;
  /** Prometheus remote-write credentials: rendered into agentapi-load-prometheus when any is given. */
  prometheusSecrets?: Partial<Record<PrometheusSecretKey, string>>;
  /** The AgentAPI credentials: rendered into the run's own Secret when any is given (never into a ConfigMap). */
  agentApiSecrets?: Partial<Record<AgentApiSecretKey, string>>;
  /** Write REDACTED for every Secret value (for printing, e.g. k8s-load --dry-run; not for applying). */
  redactSecrets?: boolean;
  /** A PersistentVolumeClaim for the report folders instead of an emptyDir. */
  reportsPvc?: string;
  /** The bundle's text (k6/dist/main.js). */
  script: string;
}

export interface Rendered {
  name: string;
  documents: Json[];
  yaml: string;
  /** The largest exec.vu.idInTest the run can give (the fleet must have that many agents). */
  largestVuId: number;
  /** VUs each runner plans at most (sum of its share of every scenario's peak). */
  runnerVus: number[];
  /** Where the runners stream (K6_OUT). */
  outputs: { influxdb: boolean; prometheus: boolean };
  warnings: string[];
}

const readYaml = (path: string): Json => parse(readFileSync(path, "utf8")) as Json;

/** The keys of the base settings ConfigMap: the environment every runner gets. */
export function settingsKeys(): string[] {
  const data = (readYaml(BASE_SETTINGS).data ?? {}) as Record<string, string>;
  return Object.keys(data);
}

/** A DNS-1123 label from a testid: lower case, [a-z0-9-], at most `max` characters, alphanumeric at both ends. */
export function labelSafe(text: string, max = 63): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .slice(0, max)
    .replace(/^-+|-+$/g, "");
  return cleaned === "" ? "run" : cleaned;
}

/**
 * agentapi-load-<testid>: k6-operator names runner k's Job `<name>-<k>` and its Service `<name>-service-<k>`, both
 * DNS labels of at most 63 characters, so the name keeps 52 (room for "-service-" and a two-digit k).
 */
export function testRunName(testId: string): string {
  return labelSafe(`agentapi-load-${labelSafe(testId)}`, 52);
}

/**
 * The VUs each of N equal runners plans, and the largest run-wide VU id: k6 scales every scenario's VUs to the
 * runner's segment (runner i of N gets ⌊v/N⌋, one more when i < v mod N) and numbers the runner's VUs from its
 * stripe of the run (i+1, i+1+N, i+1+2N, …). Per-scenario rounding favours the first runners, so the largest id can
 * exceed the run's VU total: agents ((id − 1) mod AGENTS) + 1 stay distinct only with AGENTS ≥ that id. An upper
 * bound: k6 may plan fewer VUs when scenarios never overlap.
 */
export function runnerPlan(
  peaks: ReadonlyArray<number>,
  parallelism: number,
): { runnerVus: number[]; largest: number } {
  const runnerVus = Array.from({ length: parallelism }, (_, i) =>
    peaks.reduce((n, v) => n + Math.floor(v / parallelism) + (i < v % parallelism ? 1 : 0), 0),
  );
  const largest = Math.max(0, ...runnerVus.map((n, i) => (n === 0 ? 0 : i + 1 + (n - 1) * parallelism)));
  return { runnerVus, largest };
}

/** Every envFrom secretRef named `from` → `to`. */
function renameSecretRefs(envFrom: unknown, from: string, to: string): void {
  for (const source of (Array.isArray(envFrom) ? envFrom : []) as Json[]) {
    const ref = source.secretRef as Json | undefined;
    if (ref?.name === from) ref.name = to;
  }
}

/** Every configMapKeyRef / configMapRef named `from` → `to`, anywhere in the object. */
function renameConfigMapRefs(node: unknown, from: string, to: string): void {
  if (Array.isArray(node)) {
    for (const item of node) renameConfigMapRefs(item, from, to);
  } else if (typeof node === "object" && node !== null) {
    const record = node as Json;
    for (const [key, value] of Object.entries(record)) {
      if ((key === "configMapKeyRef" || key === "configMapRef") && typeof value === "object" && value !== null) {
        const ref = value as Json;
        if (ref.name === from) ref.name = to;
      }
      renameConfigMapRefs(value, from, to);
    }
  }
}

const shellQuoteDir = (dir: string) => `"${REPORTS_MOUNT}/\${TESTID}${dir}"`;

export function render(input: RenderInput): Rendered {
  if (!Number.isInteger(input.parallelism) || input.parallelism < 1) {
    throw new UsageError(`PARALLELISM must be a whole number ≥ 1 (got "${input.parallelism}")`);
  }
  if (!/^[^\s]+$/.test(input.image)) throw new UsageError(`IMAGE must be an image reference (got "${input.image}")`);
  if (input.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(input.namespace)) {
    throw new UsageError(`NAMESPACE must be a DNS label (got "${input.namespace}")`);
  }
  if (input.reportsPvc !== undefined && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(input.reportsPvc)) {
    throw new UsageError(`REPORTS_PVC must be a PersistentVolumeClaim name (got "${input.reportsPvc}")`);
  }
  const name = input.name ?? testRunName(input.testId);
  if (!/^[a-z]([-a-z0-9]{0,50}[a-z0-9])?$/.test(name)) {
    throw new UsageError(`the TestRun name must be a DNS label of at most 52 characters (got "${name}")`);
  }
  const n = input.parallelism;
  const warnings: string[] = [];

  // --- settings: the base's keys, this run's values, the testid's report folder ---
  const settingsDoc = readYaml(BASE_SETTINGS);
  const keys = Object.keys(settingsDoc.data ?? {});
  for (const key of Object.keys(input.settings)) {
    if (!keys.includes(key)) throw new UsageError(`${key} is not a setting of ${BASE_SETTINGS} (${keys.join(", ")})`);
  }
  const data: Record<string, string> = { ...(settingsDoc.data as Record<string, string>), ...input.settings };
  data.TESTID = input.testId;
  data.REPORT_DIR = `reports/${input.testId}`;

  // --- outputs: METRICS → K6_OUT; Prometheus needs a remote-write URL ---
  let metrics: Metrics | undefined;
  if (input.metrics !== undefined && input.metrics.trim() !== "") {
    const name = input.metrics.trim();
    if (!Object.hasOwn(METRICS_OUTPUTS, name)) {
      throw new UsageError(`METRICS must be one of: ${Object.keys(METRICS_OUTPUTS).join(", ")} (got "${name}")`);
    }
    metrics = name as Metrics;
    data.K6_OUT = METRICS_OUTPUTS[metrics];
  }
  const toPrometheus = data.K6_OUT?.split(",").includes(METRICS_OUTPUTS.prometheus) ?? false;
  const toInfluxdb = data.K6_OUT?.split(",").some((out) => out.startsWith("xk6-influxdb")) ?? false;
  // A URL with user:password@ would put a credential in the ConfigMap (and this message): refuse it, unechoed.
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]*@/i.test(data.K6_PROMETHEUS_RW_SERVER_URL ?? "")) {
    throw new UsageError(
      "K6_PROMETHEUS_RW_SERVER_URL must not carry credentials (user:password@): set K6_PROMETHEUS_RW_USERNAME and K6_PROMETHEUS_RW_PASSWORD in the environment, which go into a Secret",
    );
  }
  if (toPrometheus && !/^https?:\/\/[^/\s]+\S*$/.test(data.K6_PROMETHEUS_RW_SERVER_URL ?? "")) {
    throw new UsageError(
      `K6_PROMETHEUS_RW_SERVER_URL must be an http(s) URL, the receiver's /api/v1/write (got "${data.K6_PROMETHEUS_RW_SERVER_URL ?? ""}")`,
    );
  }
  const prometheusSecrets: Record<string, string> = {};
  for (const key of PROMETHEUS_SECRET_KEYS) {
    const value = input.prometheusSecrets?.[key];
    if (value !== undefined && value !== "") prometheusSecrets[key] = value;
  }

  // The AgentAPI credentials that are set (empty means none); validated with the settings, kept out of them.
  const agentApiSecrets: Record<string, string> = {};
  for (const key of AGENTAPI_SECRET_KEYS) {
    const value = input.agentApiSecrets?.[key];
    if (value !== undefined && value.trim() !== "") agentApiSecrets[key] = value;
  }

  // The suite's own validation: what would stop k6 at start stops the rendering (its messages never show a secret).
  let config;
  try {
    config = loadConfig({ ...data, ...agentApiSecrets });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  if (!/^[A-Za-z0-9._-]+$/.test(input.testId)) {
    throw new UsageError(`TESTID may only hold letters, digits, '.', '_' and '-' (got "${input.testId}")`);
  }
  const scenarios = buildScenarios(config.profile, config.scenarios, config.vusFactor, config.timeScale);
  const peaks = Object.values(scenarios).map(peakVus);
  const totalVus = peaks.reduce((a, b) => a + b, 0);
  if (n > totalVus) {
    throw new UsageError(
      `PARALLELISM=${n} exceeds the run's ${totalVus} VUs: k6-operator refuses more runners than VUs (lower PARALLELISM or raise VUS_FACTOR)`,
    );
  }
  const plan = runnerPlan(peaks, n);
  const idle = plan.runnerVus.flatMap((v, i) => (v === 0 ? [i + 1] : []));
  if (idle.length > 0) {
    warnings.push(`runner(s) ${idle.join(", ")} of ${n} get no VU of any scenario (each scenario has < ${n} VUs)`);
  }
  const agents = agentCount(config.agents);
  if (config.agents.kind !== "single" && agents < plan.largest) {
    warnings.push(
      `the fleet has ${agents} agents but VU ids reach ${plan.largest} with ${n} runners: ids above ${agents} wrap onto agents other VUs use (set AGENTS ≥ ${plan.largest})`,
    );
  }

  const labels = { "app.kubernetes.io/name": "agentapi-load", [TESTID_LABEL]: labelSafe(input.testId) };
  const meta = (docName: string, extra: Record<string, string> = {}): Json => ({
    name: docName,
    ...(input.namespace ? { namespace: input.namespace } : {}),
    labels: { ...labels, ...extra },
  });

  const settingsName = `${name}-settings`;
  const settings: Json = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta(settingsName, { "app.kubernetes.io/component": "settings" }),
    data,
  };

  const hash = createHash("sha256").update(input.script).digest("hex").slice(0, 10);
  const scriptName = `${BASE_SCRIPT_NAME}-${hash}`;
  const script: Json = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: scriptName,
      ...(input.namespace ? { namespace: input.namespace } : {}),
      labels: { "app.kubernetes.io/name": "agentapi-load", "app.kubernetes.io/component": "script" },
    },
    immutable: true,
    data: { "main.js": input.script },
  };

  // --- the TestRun ---
  const testRun = readYaml(BASE_TESTRUN);
  const spec = testRun.spec as Json;
  testRun.metadata = meta(name, { "app.kubernetes.io/component": "load-test" });
  spec.parallelism = n;
  (spec.script as { configMap: Json }).configMap.name = scriptName;
  const runner = spec.runner as Json;
  runner.image = input.image;
  const runnerMeta = (runner.metadata ?? {}) as Json;
  runner.metadata = { ...runnerMeta, labels: { ...(runnerMeta.labels as Json), ...labels } };
  renameConfigMapRefs(runner, BASE_SETTINGS_NAME, settingsName);
  const agentApiSecretName = `${name}-agentapi`;
  const hasAgentApiSecret = Object.keys(agentApiSecrets).length > 0;
  if (hasAgentApiSecret) renameSecretRefs(runner.envFrom, AGENTAPI_SECRET_NAME, agentApiSecretName);
  const envFrom = (runner.envFrom ?? []) as Json[];
  // Prometheus alone: the InfluxDB token is not needed, so its Secret may be missing.
  if (!toInfluxdb) {
    for (const source of envFrom) {
      const ref = source.secretRef as Json | undefined;
      if (ref?.name === SECRET_NAME) ref.optional = true;
    }
  }
  // Remote-write credentials through envFrom (never `env`: k6-operator copies those onto the initializer's argv).
  if (toPrometheus) envFrom.push({ secretRef: { name: PROMETHEUS_SECRET_NAME, optional: true } });
  runner.envFrom = envFrom;
  const folders = n === 1 ? [""] : Array.from({ length: n }, (_, i) => `/instance-${i + 1}`);
  for (const init of (runner.initContainers ?? []) as Json[]) {
    init.image = input.image;
    if (init.name === "report-folders") init.command = ["sh", "-c", `mkdir -p ${folders.map(shellQuoteDir).join(" ")}`];
  }
  if (input.reportsPvc !== undefined) {
    runner.volumes = ((runner.volumes ?? []) as Json[]).map((v) =>
      v.name === "reports" ? { name: "reports", persistentVolumeClaim: { claimName: input.reportsPvc } } : v,
    );
  }

  const secretValue = (value: string) => (input.redactSecrets === true ? REDACTED : value);
  const documents: Json[] = [];
  if (input.influxdbToken !== undefined && input.influxdbToken !== "") {
    documents.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: SECRET_NAME,
        ...(input.namespace ? { namespace: input.namespace } : {}),
        labels: { "app.kubernetes.io/name": "agentapi-load" },
      },
      type: "Opaque",
      stringData: { [SECRET_KEY]: secretValue(input.influxdbToken) },
    });
  }
  if (toPrometheus && Object.keys(prometheusSecrets).length > 0) {
    documents.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: PROMETHEUS_SECRET_NAME,
        ...(input.namespace ? { namespace: input.namespace } : {}),
        labels: { "app.kubernetes.io/name": "agentapi-load" },
      },
      type: "Opaque",
      stringData: Object.fromEntries(Object.entries(prometheusSecrets).map(([k, v]) => [k, secretValue(v)])),
    });
  }
  if (hasAgentApiSecret) {
    // This run's own, labelled with its testid: deleted with the run's other objects, never reused by another run.
    documents.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: meta(agentApiSecretName, { "app.kubernetes.io/component": "agentapi-credentials" }),
      type: "Opaque",
      stringData: Object.fromEntries(Object.entries(agentApiSecrets).map(([k, v]) => [k, secretValue(v)])),
    });
  }
  documents.push(settings, script, testRun);

  const header =
    `# Rendered by scripts/k8s-render.ts: TestRun ${name}, ${n} runner(s), testid ${input.testId}, image ${input.image}.\n` +
    `# The largest VU id is ${plan.largest} (runners plan ${plan.runnerVus.join(", ")} VUs).\n` +
    `# Outputs (K6_OUT): ${data.K6_OUT ?? ""}${metrics ? ` (METRICS=${metrics})` : ""}${toPrometheus ? `, remote write to ${data.K6_PROMETHEUS_RW_SERVER_URL ?? ""}` : ""}.\n` +
    (hasAgentApiSecret
      ? `# AgentAPI credentials: Secret ${agentApiSecretName} (${Object.keys(agentApiSecrets).join(", ")}).\n`
      : "") +
    (input.redactSecrets === true
      ? `# Secret values are ${REDACTED} (--redact): for reading, not for kubectl apply.\n`
      : "");
  const yaml = header + documents.map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
  return {
    name,
    documents,
    yaml,
    largestVuId: plan.largest,
    runnerVus: plan.runnerVus,
    outputs: { influxdb: toInfluxdb, prometheus: toPrometheus },
    warnings,
  };
}

const FLAGS: Readonly<Record<string, string>> = {
  "--parallelism": "PARALLELISM",
  "--image": "IMAGE",
  "--namespace": "NAMESPACE",
  "--testid": "TESTID",
  "--name": "TESTRUN_NAME",
  "--reports-pvc": "REPORTS_PVC",
  "--profile": "PROFILE",
  "--scenarios": "SCENARIOS",
  "--vus-factor": "VUS_FACTOR",
  "--time-scale": "TIME_SCALE",
  "--base-url": "BASE_URL",
  "--agent-url-template": "AGENTAPI_URL_TEMPLATE",
  "--agents": "AGENTS",
  "--agent-urls": "AGENTAPI_URLS",
  "--max-prompts": "MAX_PROMPTS",
  "--transport": "AGENTAPI_TRANSPORT",
  "--metrics": "METRICS",
  "--out": "OUT",
};

/** Environment names that stand for a settings key. */
const ALIASES: Readonly<Record<string, string>> = {
  INFLUXDB_ADDR: "K6_INFLUXDB_ADDR",
  INFLUXDB_ORG: "K6_INFLUXDB_ORGANIZATION",
  INFLUXDB_BUCKET: "K6_INFLUXDB_BUCKET",
};

const FLEET_KEYS = ["AGENTAPI_URL_TEMPLATE", "AGENTS", "AGENTAPI_URLS"] as const;

/** Flags over the environment → the render input (the bundle read from `scriptPath`) and where to write. */
export function inputFrom(
  argv: ReadonlyArray<string>,
  env: Env,
  scriptPath = BUNDLE,
): { input: RenderInput; out: string | undefined } {
  const values: Record<string, string | undefined> = { ...env };
  let redact = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--redact") {
      redact = true;
      continue;
    }
    const [flag, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg];
    const key = FLAGS[flag ?? ""];
    if (key === undefined) throw new UsageError(`unknown option ${arg} (see the header of scripts/k8s-render.ts)`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    values[key] = value;
  }
  const blank = (v: string | undefined) => v === undefined || v.trim() === "";
  const parallelismText = blank(values.PARALLELISM) ? "1" : values.PARALLELISM!.trim();
  if (!/^\d+$/.test(parallelismText))
    throw new UsageError(`PARALLELISM must be a whole number ≥ 1 (got "${parallelismText}")`);
  if (blank(values.IMAGE)) {
    throw new UsageError("IMAGE is not set: the project's k6 image in a registry the cluster pulls from (README.md)");
  }
  if (blank(values.TESTID)) throw new UsageError("TESTID is not set (make k8s-load makes a fresh one)");

  const keys = settingsKeys();
  const settings: Record<string, string> = {};
  for (const key of keys) {
    const value = values[key];
    if (value !== undefined && key !== "TESTID" && key !== "REPORT_DIR") settings[key] = value;
  }
  for (const [alias, key] of Object.entries(ALIASES)) {
    const value = values[alias];
    if (value !== undefined && values[key] === undefined) settings[key] = value;
  }
  // One way to name the servers: a given BASE_URL alone means that one server; a list replaces the template.
  const given = (key: string) => !blank(values[key]);
  if (given("BASE_URL") && !FLEET_KEYS.some(given)) for (const key of FLEET_KEYS) settings[key] = "";
  if (given("AGENTAPI_URLS")) settings.AGENTAPI_URL_TEMPLATE = settings.AGENTS = "";
  if (given("AGENTAPI_URL_TEMPLATE")) settings.AGENTAPI_URLS = "";

  if (!existsSync(scriptPath)) throw new Error(`${scriptPath} is missing: run npm run build first`);
  const input: RenderInput = {
    parallelism: Number(parallelismText),
    image: values.IMAGE!.trim(),
    testId: values.TESTID!.trim(),
    settings,
    script: readFileSync(scriptPath, "utf8"),
    ...(blank(values.NAMESPACE) ? {} : { namespace: values.NAMESPACE!.trim() }),
    ...(blank(values.TESTRUN_NAME) ? {} : { name: values.TESTRUN_NAME!.trim() }),
    ...(blank(values.REPORTS_PVC) ? {} : { reportsPvc: values.REPORTS_PVC!.trim() }),
    ...(blank(values.INFLUXDB_TOKEN) ? {} : { influxdbToken: values.INFLUXDB_TOKEN! }),
    ...(blank(values.METRICS) ? {} : { metrics: values.METRICS!.trim() }),
    // From the environment only: a flag would put a secret on the command line.
    agentApiSecrets: Object.fromEntries(
      AGENTAPI_SECRET_KEYS.flatMap((key) => (blank(env[key]) ? [] : [[key, env[key]!]])),
    ),
    prometheusSecrets: Object.fromEntries(
      PROMETHEUS_SECRET_KEYS.flatMap((key) => (blank(env[key]) ? [] : [[key, env[key]!]])),
    ),
    ...(redact ? { redactSecrets: true } : {}),
  };
  return { input, out: blank(values.OUT) ? undefined : values.OUT };
}

function main(): void {
  try {
    const { input, out } = inputFrom(process.argv.slice(2), process.env);
    const rendered = render(input);
    if (out === undefined) process.stdout.write(rendered.yaml);
    else writeFileSync(out, rendered.yaml, { mode: 0o600 });
    for (const warning of rendered.warnings) console.error(`k8s-render: warning: ${warning}`);
    // Secrets by name only, never their values.
    const credentials = Object.keys(input.agentApiSecrets ?? {});
    const rwCredentials = rendered.documents.some(
      (d) => (d.metadata as Json | undefined)?.name === PROMETHEUS_SECRET_NAME,
    )
      ? Object.keys(input.prometheusSecrets ?? {})
      : [];
    console.error(
      `k8s-render: TestRun ${rendered.name}${input.namespace ? ` (namespace ${input.namespace})` : ""}: ` +
        `${input.parallelism} runner(s), testid ${input.testId}, largest VU id ${rendered.largestVuId}` +
        `${input.influxdbToken || !rendered.outputs.influxdb ? "" : `; Secret ${SECRET_NAME} not rendered (INFLUXDB_TOKEN unset): it must exist`}` +
        `${credentials.length > 0 ? `; AgentAPI credentials (${credentials.join(", ")}) in Secret ${rendered.name}-agentapi` : ""}` +
        `${rwCredentials.length > 0 ? `; remote-write credentials (${rwCredentials.join(", ")}) in Secret ${PROMETHEUS_SECRET_NAME}` : ""}`,
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`k8s-render: ${message}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
