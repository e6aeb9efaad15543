// The k6-operator manifests, without a cluster: the plain TestRun in deploy/k6-operator/ and the ones
// scripts/k8s-render.ts renders for 1, 4 and 16 runners validate against k6-operator v1.6.0's TestRun CRD
// (../shared/k6-operator/k6.io_testruns.yaml, read here, never copied), unknown fields are refused where Kubernetes
// refuses them, and the rendered objects fit together: every setting a runner reads is in the settings ConfigMap,
// the script ConfigMap holds k6/dist/main.js, every runner tags the run's one testid, each has its report folder.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../k6/src/config";
import { buildScenarios, peakVus, PROFILES } from "../../k6/src/profiles";
import { SCENARIO_NAMES } from "../../k6/src/names";
import {
  AGENTAPI_SECRET_KEYS,
  AGENTAPI_SECRET_NAME,
  BASE_SETTINGS,
  BASE_TESTRUN,
  BUNDLE,
  DEPLOY_DIR,
  inputFrom,
  REDACTED,
  render,
  runnerPlan,
  SECRET_KEY,
  SECRET_NAME,
  settingsKeys,
  testRunName,
  UsageError,
  type RenderInput,
} from "../../scripts/k8s-render";
import { executionTuple, operatorSegment, SegmentedIndex } from "../k6/harness/segments";
import { coreValidator, CRD_PATH, crdAvailable, testRunValidator } from "./crd";

// Manifests are walked as plain YAML data, field by field as the apiserver sees them; the CRD validator above types
// them, so the tests read them untyped.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment,
   @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const IMAGE = "registry.example.com/agentapi-load-k6:1.8.1";
// Credentials no ConfigMap, TestRun or printout may contain (distinctive, found by a plain substring search).
const TOKEN = "tok-9c41d2-only-in-the-secret";
const HEADER_VALUE = "hdr-5e08aa-only-in-the-secret";
const HEADERS = JSON.stringify({ "Coder-Session-Token": HEADER_VALUE });
const CREDENTIALS = { AGENTAPI_TOKEN: TOKEN, AGENTAPI_HEADERS: HEADERS };
const script = readFileSync(BUNDLE, "utf8");
const readYaml = (path: string): Json => parse(readFileSync(path, "utf8")) as Json;
const input = (over: Partial<RenderInput> = {}): RenderInput => ({
  parallelism: 4,
  image: IMAGE,
  testId: "20260927-140312-a3f9",
  settings: {},
  script,
  ...over,
});
const byKind = (docs: Json[], kind: string): Json[] => docs.filter((d) => d.kind === kind);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

if (!crdAvailable) console.warn(`k8s/manifests: ${CRD_PATH} not found, skipping the CRD validation`);

describe.runIf(crdAvailable)("TestRun manifests against k6-operator v1.6.0's CRD", () => {
  const crd = testRunValidator();
  const core = coreValidator();
  const plain = readYaml(BASE_TESTRUN);

  it("the plain TestRun is a k6.io/v1alpha1 TestRun the schema accepts", () => {
    expect(crd.apiVersion).toBe("k6.io/v1alpha1");
    expect(crd.kind).toBe("TestRun");
    expect(plain.apiVersion).toBe(crd.apiVersion);
    expect(plain.kind).toBe(crd.kind);
    expect(crd.validate(plain)).toEqual([]);
    expect(core(readYaml(BASE_SETTINGS))).toEqual([]);
  });

  it.each([1, 4, 16])("the rendered manifests for %i runner(s) validate", (n) => {
    const rendered = render(
      input({ parallelism: n, namespace: "load", influxdbToken: "not-a-real-token", agentApiSecrets: CREDENTIALS }),
    );
    // What is applied is the YAML text: parse it back.
    const docs = parseAllDocuments(rendered.yaml).map((d) => d.toJS() as Json);
    expect(docs.map((d) => d.kind)).toEqual(["Secret", "Secret", "ConfigMap", "ConfigMap", "TestRun"]);
    for (const doc of docs) {
      expect(doc.kind === "TestRun" ? crd.validate(doc) : core(doc), doc.kind).toEqual([]);
      expect(doc.metadata.namespace).toBe("load");
    }
    expect(byKind(docs, "TestRun")[0]!.spec.parallelism).toBe(n);
  });

  it("refuses unknown fields where the schema has no additionalProperties, and checks map values", () => {
    const cases: Array<[string, (d: Json) => void, RegExp]> = [
      ["unknown spec field", (d) => (d.spec.runners = 2), /\/spec must NOT have additional properties: runners/],
      ["unknown runner field", (d) => (d.spec.runner.cmd = ["k6"]), /\/spec\/runner .*additional properties: cmd/],
      ["typo in an env ref", (d) => (d.spec.runner.env[0].valueFrom.configMapKeyRef.nmae = "x"), /nmae/],
      ["unknown script source", (d) => (d.spec.script.gitRepo = { url: "x" }), /gitRepo/],
      ["unknown top-level field", (d) => (d.specs = {}), /additional properties: specs/],
      ["unknown metadata field", (d) => (d.metadata.label = {}), /\/metadata .*additional properties: label/],
      ["parallelism as a string", (d) => (d.spec.parallelism = "4"), /\/spec\/parallelism must be integer/],
      ["cleanup outside its enum", (d) => (d.spec.cleanup = "pre"), /\/spec\/cleanup must be equal to one of/],
      ["no script", (d) => delete d.spec.script, /must have required property 'script'/],
      [
        "a nodeSelector value that is no string",
        (d) => (d.spec.runner.nodeSelector = { zone: 1 }),
        /nodeSelector\/zone/,
      ],
      ["a resource quantity that is none", (d) => (d.spec.runner.resources.limits.memory = "lots"), /limits\/memory/],
      [
        "a port that is neither int nor string",
        (d) => (d.spec.runner.livenessProbe = { httpGet: { port: true } }),
        /port/,
      ],
      ["a volume mount without its volume's name", (d) => delete d.spec.runner.volumeMounts[0].name, /'name'/],
      [
        "a condition type listed twice (x-kubernetes-list-type: map)",
        (d) => {
          const c = {
            type: "TestRunRunning",
            status: "True",
            reason: "Running",
            message: "",
            lastTransitionTime: "2026-09-27T14:03:12Z",
          };
          d.status = { stage: "started", conditions: [c, c] };
        },
        /\/status\/conditions must pass "x-kubernetes-list-type"/,
      ],
      ["another kind", (d) => (d.kind = "K6"), /\/kind must be equal to constant/],
      ["another apiVersion", (d) => (d.apiVersion = "k6.io/v1"), /\/apiVersion must be equal to constant/],
      ["an invalid name", (d) => (d.metadata.name = "Agentapi_Load"), /\/metadata\/name must match/],
    ];
    for (const [label, mutate, expected] of cases) {
      const doc = clone(plain);
      mutate(doc);
      expect(crd.validate(doc).join("\n"), label).toMatch(expected);
    }
    // Maps take any key (additionalProperties): labels, nodeSelector, resources.
    const open = clone(plain);
    open.spec.runner.nodeSelector = { "kubernetes.io/arch": "amd64" };
    open.spec.runner.metadata.labels["team"] = "load";
    open.spec.runner.resources.requests["ephemeral-storage"] = "1Gi";
    expect(crd.validate(open)).toEqual([]);
  });
});

describe("the rendered run", () => {
  const rendered = (over: Partial<RenderInput> = {}) => render(input(over));
  const docsOf = (over: Partial<RenderInput> = {}) => rendered(over).documents as Json[];

  it("puts the script in a content-named, immutable ConfigMap holding exactly k6/dist/main.js", () => {
    const docs = docsOf();
    const [settings, scriptMap] = byKind(docs, "ConfigMap");
    const testRun = byKind(docs, "TestRun")[0]!;
    expect(scriptMap!.metadata.name).toMatch(/^agentapi-load-script-[0-9a-f]{10}$/);
    expect(scriptMap!.immutable).toBe(true);
    expect(scriptMap!.data["main.js"]).toBe(script);
    expect(testRun.spec.script.configMap).toEqual({ name: scriptMap!.metadata.name, file: "main.js" });
    expect(settings!.metadata.name).toBe(`${testRun.metadata.name}-settings`);
    // Round trip through the YAML text, byte for byte.
    const fromText = parseAllDocuments(rendered().yaml).map((d) => d.toJS() as Json);
    expect(byKind(fromText, "ConfigMap")[1]!.data["main.js"]).toBe(script);
    // Another bundle, another name: a TestRun never runs a script changed under it.
    expect(byKind(docsOf({ script: `${script}\n// changed` }), "ConfigMap")[1]!.metadata.name).not.toBe(
      scriptMap!.metadata.name,
    );
  });

  it("gives every runner every setting from the run's ConfigMap, and only those", () => {
    const docs = docsOf();
    const settings = byKind(docs, "ConfigMap")[0]!;
    const runner = byKind(docs, "TestRun")[0]!.spec.runner;
    const refs = (runner.env as Json[]).map((e) => [e.name, e.valueFrom?.configMapKeyRef] as const);
    for (const [name, ref] of refs) {
      expect(ref?.name, name).toBe(settings.metadata.name);
      expect(ref?.key, name).toBe(name);
      expect(Object.keys(settings.data), name).toContain(ref?.key);
    }
    expect(refs.map(([name]) => name).sort()).toEqual(Object.keys(settings.data).sort());
    expect(Object.keys(settings.data).sort()).toEqual(settingsKeys().sort());
    // What the runners need to stream to InfluxDB, and the token from the Secret.
    for (const key of ["K6_OUT", "K6_INFLUXDB_ORGANIZATION", "K6_INFLUXDB_BUCKET", "K6_INFLUXDB_ADDR"]) {
      expect(settings.data[key], key).toBeTruthy();
    }
    expect(settings.data.K6_OUT).toBe("xk6-influxdb");
    // Secrets through envFrom only; the AgentAPI credentials' Secret may be missing (a run without them).
    expect(runner.envFrom).toEqual([
      { secretRef: { name: SECRET_NAME } },
      { secretRef: { name: AGENTAPI_SECRET_NAME, optional: true } },
    ]);
    // The settings are what the suite accepts (the runners would stop at start otherwise).
    expect(() => loadConfig(settings.data)).not.toThrow();
  });

  it("tags every sample of every runner with the run's one testid", () => {
    const docs = docsOf({ testId: "one-run.id_1" });
    const testRun = byKind(docs, "TestRun")[0]!;
    const settings = byKind(docs, "ConfigMap")[0]!;
    expect(testRun.spec.args).toEqual(["--tag", "testid=$(TESTID)"]);
    // kubelet expands $(TESTID) from the container's env: it must be there, from the settings.
    expect((testRun.spec.runner.env as Json[]).map((e) => e.name)).toContain("TESTID");
    expect(settings.data.TESTID).toBe("one-run.id_1");
    expect(settings.data.REPORT_DIR).toBe("reports/one-run.id_1");
    expect(testRun.metadata.name).toBe("agentapi-load-one-run-id-1");
    expect(testRun.metadata.labels["agentapi-load/testid"]).toBe("one-run-id-1");
  });

  it.each([1, 4, 16])("with %i runner(s): one report folder per runner, the image everywhere, names that fit", (n) => {
    const docs = docsOf({ parallelism: n });
    const testRun = byKind(docs, "TestRun")[0]!;
    const runner = testRun.spec.runner;
    const init = (runner.initContainers as Json[]).find((c) => c.name === "report-folders")!;
    const folders = [...String(init.command[2]).matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    expect(folders).toEqual(
      n === 1
        ? ["/home/k6/reports/${TESTID}"]
        : Array.from({ length: n }, (_, i) => `/home/k6/reports/\${TESTID}/instance-${i + 1}`),
    );
    const mount = (runner.volumeMounts as Json[]).find((m) => m.name === "reports");
    expect(mount?.mountPath).toBe("/home/k6/reports");
    expect((init.volumeMounts as Json[])[0]?.mountPath).toBe("/home/k6/reports");
    expect(runner.image).toBe(IMAGE);
    expect(init.image).toBe(IMAGE);
    expect(`${testRun.metadata.name}-service-${n}`.length).toBeLessThanOrEqual(63);
    expect(testRun.spec.scuttle).toEqual({ enabled: "false" });
  });

  it("keeps report folders on a PersistentVolumeClaim when asked", () => {
    const runner = byKind(docsOf({ reportsPvc: "load-reports" }), "TestRun")[0]!.spec.runner;
    expect(runner.volumes).toEqual([{ name: "reports", persistentVolumeClaim: { claimName: "load-reports" } }]);
  });

  it("renders the Secret only from INFLUXDB_TOKEN, and git holds no secret", () => {
    expect(byKind(docsOf(), "Secret")).toEqual([]);
    const secret = byKind(docsOf({ influxdbToken: "t0ken" }), "Secret")[0]!;
    expect(secret.metadata.name).toBe(SECRET_NAME);
    expect(secret.stringData).toEqual({ [SECRET_KEY]: "t0ken" });
    for (const file of readdirSync(DEPLOY_DIR)) {
      const text = readFileSync(join(DEPLOY_DIR, file), "utf8");
      expect(text, file).not.toMatch(/^kind:\s*Secret/m);
      expect(text, file).not.toMatch(/(TOKEN|PASSWORD)\s*:\s*"?[A-Za-z0-9_-]{8,}/);
    }
    expect(settingsKeys().filter((k) => /TOKEN|PASSWORD|SECRET/.test(k))).toEqual([]);
  });

  it("renders the AgentAPI credentials into the run's own Secret only, which the runners get through envFrom", () => {
    const run = rendered({ agentApiSecrets: CREDENTIALS, namespace: "load" });
    const docs = run.documents as Json[];
    const secrets = byKind(docs, "Secret");
    expect(secrets).toHaveLength(1);
    const secret = secrets[0]!;
    expect(secret.metadata.name).toBe(`${run.name}-agentapi`);
    expect(secret.metadata.namespace).toBe("load");
    // Labelled with the testid: `kubectl delete … -l agentapi-load/testid=…` (and make k8s-load) removes it.
    expect(secret.metadata.labels["agentapi-load/testid"]).toBe("20260927-140312-a3f9");
    expect(secret.stringData).toEqual(CREDENTIALS);
    const runner = byKind(docs, "TestRun")[0]!.spec.runner;
    expect(runner.envFrom).toContainEqual({ secretRef: { name: secret.metadata.name, optional: true } });
    // Not through env: k6-operator v1.6.0 puts every env entry on the initializer's command line
    // (`k6 archive -e NAME=$(NAME)`, pkg/resources/jobs/initializer.go), where kubelet expands its value.
    const envNames = (runner.env as Json[]).map((e) => e.name as string);
    for (const key of AGENTAPI_SECRET_KEYS) expect(envNames).not.toContain(key);
    expect(JSON.stringify(runner.env)).not.toContain("secretKeyRef");
    // Each value appears once in the YAML text: in the Secret, nowhere else (no ConfigMap, no TestRun, no header).
    for (const leak of [TOKEN, HEADER_VALUE]) {
      expect(run.yaml.split(leak)).toHaveLength(2);
      for (const doc of docs.filter((d) => d.kind !== "Secret"))
        expect(JSON.stringify(doc), doc.kind).not.toContain(leak);
    }
    expect(run.yaml).toMatch(/^# AgentAPI credentials: Secret \S+-agentapi \(AGENTAPI_TOKEN, AGENTAPI_HEADERS\)\.$/m);
    // --redact (what k8s-load --dry-run prints): no value of any Secret.
    const redacted = rendered({
      agentApiSecrets: CREDENTIALS,
      influxdbToken: "influx-3b7f-secret",
      redactSecrets: true,
    });
    for (const leak of [TOKEN, HEADER_VALUE, "influx-3b7f-secret"]) expect(redacted.yaml).not.toContain(leak);
    for (const doc of byKind(redacted.documents, "Secret")) {
      for (const value of Object.values(doc.stringData as Json)) expect(value).toBe(REDACTED);
    }
  });

  it("without credentials: no Secret of the run; the runners keep the optional agentapi-load-agentapi reference", () => {
    for (const none of [{}, { AGENTAPI_TOKEN: "", AGENTAPI_HEADERS: "  " }]) {
      const docs = docsOf({ agentApiSecrets: none });
      expect(byKind(docs, "Secret")).toEqual([]);
      expect(byKind(docs, "TestRun")[0]!.spec.runner.envFrom).toContainEqual({
        secretRef: { name: AGENTAPI_SECRET_NAME, optional: true },
      });
    }
  });

  it("settings.yaml carries MAX_PROMPTS and CONFIRM_PROMPTS, never a credential; flags and environment fill them", () => {
    expect(settingsKeys()).toEqual(expect.arrayContaining(["MAX_PROMPTS", "CONFIRM_PROMPTS"]));
    expect(settingsKeys().filter((k) => /TOKEN|HEADERS|PASSWORD|SECRET/.test(k))).toEqual([]);
    const env = { IMAGE, TESTID: "budget-run", CONFIRM_PROMPTS: "yes", ...CREDENTIALS };
    const { input: fromEnv } = inputFrom(["--max-prompts", "30"], env);
    expect(fromEnv.settings).toMatchObject({ MAX_PROMPTS: "30", CONFIRM_PROMPTS: "yes" });
    for (const key of AGENTAPI_SECRET_KEYS) expect(fromEnv.settings).not.toHaveProperty(key);
    expect(fromEnv.agentApiSecrets).toEqual(CREDENTIALS);
    expect(inputFrom([], { ...env, MAX_PROMPTS: "5" }).input.settings.MAX_PROMPTS).toBe("5");
    // Secrets have no flag: a command line is visible to every process on the machine.
    expect(() => inputFrom(["--agentapi-token", TOKEN], env)).toThrow(/unknown option --agentapi-token/);
    expect(inputFrom(["--redact"], env).input.redactSecrets).toBe(true);
    const settings = byKind(docsOf(fromEnv), "ConfigMap")[0]!;
    expect(settings.data).toMatchObject({ MAX_PROMPTS: "30", CONFIRM_PROMPTS: "yes" });
    expect(loadConfig(settings.data)).toMatchObject({ maxPrompts: 30, confirmPrompts: true });
  });

  it("refuses a bad budget or malformed credentials with k6's line, which never shows a credential", () => {
    const fail = (over: Partial<RenderInput>): string => {
      try {
        render(input(over));
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      }
      return "rendered";
    };
    expect(fail({ settings: { MAX_PROMPTS: "-1" } })).toMatch(/MAX_PROMPTS must be a whole number/);
    const notJson = fail({ agentApiSecrets: { AGENTAPI_HEADERS: `Coder-Session-Token: ${HEADER_VALUE}` } });
    expect(notJson).toMatch(/AGENTAPI_HEADERS must be a JSON object/);
    const both = fail({
      agentApiSecrets: { AGENTAPI_TOKEN: TOKEN, AGENTAPI_HEADERS: JSON.stringify({ Authorization: HEADER_VALUE }) },
    });
    expect(both).toMatch(/not both/);
    for (const message of [notJson, both]) {
      expect(message).not.toContain(TOKEN);
      expect(message).not.toContain(HEADER_VALUE);
    }
  });

  it("takes its inputs from flags over the environment; BASE_URL alone means one server", () => {
    const env = { IMAGE, TESTID: "env-run", PARALLELISM: "2", PROFILE: "staging", BASE_URL: "http://one:3284" };
    const { input: fromEnv } = inputFrom(["--parallelism", "3", "--namespace=load"], env);
    expect(fromEnv).toMatchObject({ parallelism: 3, namespace: "load", image: IMAGE, testId: "env-run" });
    expect(fromEnv.settings).toMatchObject({
      PROFILE: "staging",
      BASE_URL: "http://one:3284",
      AGENTAPI_URL_TEMPLATE: "",
      AGENTS: "",
      AGENTAPI_URLS: "",
    });
    const fleet = inputFrom(["--agent-url-template", "http://ws-{agent}/agentapi", "--agents", "1100"], env).input;
    expect(fleet.settings).toMatchObject({ AGENTAPI_URL_TEMPLATE: "http://ws-{agent}/agentapi", AGENTS: "1100" });
    expect(inputFrom([], { ...env, INFLUXDB_ADDR: "http://influx:8086" }).input.settings.K6_INFLUXDB_ADDR).toBe(
      "http://influx:8086",
    );
    expect(testRunName("A".repeat(80))).toHaveLength(52);
  });

  it("refuses with one line what k6 or k6-operator would refuse", () => {
    const fail = (over: Partial<RenderInput>) => {
      try {
        render(input(over));
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      }
      return "rendered";
    };
    expect(fail({ settings: { PROFILE: "prod" } })).toMatch(/^invalid configuration: PROFILE must be one of/);
    expect(fail({ settings: { PROFILE: "production" } })).toMatch(/CONFIRM_PRODUCTION=yes/);
    expect(fail({ parallelism: 0 })).toMatch(/PARALLELISM/);
    expect(fail({ settings: { PROFILE: "smoke" }, parallelism: 9 })).toMatch(/exceeds the run's 8 VUs/);
    expect(fail({ settings: { NOPE: "1" } })).toMatch(/NOPE is not a setting/);
    expect(fail({ namespace: "Load_NS" })).toMatch(/NAMESPACE/);
    expect(() => inputFrom([], { TESTID: "x" })).toThrow(/IMAGE is not set/);
    expect(() => inputFrom(["--bogus", "1"], { IMAGE, TESTID: "x" })).toThrow(/unknown option --bogus/);
  });

  it("warns when the fleet is smaller than the largest VU id, or a runner gets no VU", () => {
    expect(rendered({ parallelism: 16 }).warnings).toEqual([]);
    const small = rendered({ parallelism: 16, settings: { AGENTS: "1000" } });
    expect(small.largestVuId).toBeGreaterThan(1000);
    expect(small.warnings.join("\n")).toMatch(/fleet has 1000 agents but VU ids reach \d+ with 16 runners/);
    expect(rendered({ parallelism: 4, settings: { PROFILE: "smoke" } }).warnings.join("\n")).toMatch(
      /runner\(s\) 2, 3, 4 of 4 get no VU/,
    );
  });

  it("sizes runners and VU ids as k6's striping does (the harness's port of it)", () => {
    const profile = PROFILES.local;
    const peaks = Object.values(buildScenarios(profile, SCENARIO_NAMES, 1)).map(peakVus);
    for (let n = 1; n <= 16; n++) {
      const plan = runnerPlan(peaks, n);
      let largest = 0;
      for (let k = 1; k <= n; k++) {
        const flags = operatorSegment(k, n);
        const tuple = executionTuple(flags?.executionSegment, flags?.executionSegmentSequence);
        const vus = peaks.reduce((sum, v) => sum + tuple.scale(v), 0);
        expect(plan.runnerVus[k - 1], `runner ${k}/${n}`).toBe(vus);
        const index = new SegmentedIndex(tuple.stripe);
        for (let i = 0; i < vus; i++) largest = Math.max(largest, index.next().unscaled);
      }
      expect(plan.largest, `${n} runners`).toBe(largest);
    }
  });
});
