// `make k8s-load` (scripts/k8s-load.sh) without a cluster: a fake `kubectl` on PATH plays the cluster (CRD there or
// not, the TestRun's stages, the runners' exit codes and logs) and a fake `npm` the global verdict, so every exit
// path of the script runs here (the fakes: tests/k8s/fakes/). The real renderer (node + tsx) renders the manifests it applies.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { hasCommand, repoPath, run } from "../stack/repo";

const FAKES = repoPath("tests", "k8s", "fakes");
const scratch = mkdtempSync(join(tmpdir(), "agentapi-load-k8s-"));
const testIds: string[] = [];
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  for (const id of testIds) rmSync(repoPath("reports", id), { recursive: true, force: true });
});

/** A PATH of basic tools, node, and (unless left out) the fake kubectl and npm. */
function fakeBin(name: string, withKubectl = true): string {
  const bin = join(scratch, name, "bin");
  mkdirSync(bin, { recursive: true });
  const tools = ["bash", "env", "sh", "sed", "grep", "tail", "head", "cut", "cat", "date", "od", "tr", "mktemp", "rm"];
  for (const tool of [...tools, "dirname", "seq", "mkdir", "cp", "sleep", "node"]) {
    const path = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    if (path !== "") symlinkSync(path, join(bin, tool));
  }
  const fake = (file: string) => symlinkSync(join(FAKES, file), join(bin, file));
  if (withKubectl) fake("kubectl");
  fake("npm");
  return bin;
}

let counter = 0;
interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
  calls: string[];
  dir: string;
  testId: string;
}

function k8sLoad(env: Record<string, string>, options: { withKubectl?: boolean; args?: string[] } = {}): Outcome {
  const name = `case-${++counter}`;
  const bin = fakeBin(name, options.withKubectl ?? true);
  const dir = join(scratch, name);
  const testId = `k8s-load-test-${process.pid}-${counter}`;
  testIds.push(testId);
  const result = spawnSync("./scripts/k8s-load.sh", options.args ?? [], {
    cwd: repoPath(),
    encoding: "utf8",
    timeout: 60_000,
    env: {
      PATH: bin,
      HOME: dir,
      TMPDIR: dir,
      FAKE_DIR: dir,
      TESTID: testId,
      IMAGE: "registry.example.com/agentapi-load-k6:1.8.1",
      PARALLELISM: "2",
      K8S_POLL_SECONDS: "0",
      FAKE_STAGES: "initialization,initialized,created,started,finished",
      ...env,
    },
  });
  const callsFile = join(dir, "calls");
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    calls: existsSync(callsFile) ? readFileSync(callsFile, "utf8").trim().split("\n") : [],
    dir,
    testId,
  };
}

const oneLine = (o: Outcome) => {
  const lines = o.stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("k8s-render: "));
  expect(lines, o.stderr).toHaveLength(1);
  return lines[0]!;
};

describe("scripts/k8s-load.sh (make k8s-load)", () => {
  it("exits 3 with one line when kubectl is not installed", () => {
    const o = k8sLoad({}, { withKubectl: false });
    expect(o.status).toBe(3);
    expect(oneLine(o)).toMatch(/^k8s-load: kubectl is not installed/);
  });

  it("exits 4 with one line when k6-operator's CRD is missing or the cluster is unreachable", () => {
    const missing = k8sLoad({ FAKE_CRD: "missing" });
    expect(missing.status).toBe(4);
    expect(oneLine(missing)).toMatch(/k6-operator is not installed \(no TestRun CRD testruns\.k6\.io\).*v1\.6\.0/);
    const down = k8sLoad({ FAKE_CRD: "unreachable" });
    expect(down.status).toBe(4);
    expect(oneLine(down)).toMatch(/the cluster is unreachable \(The connection to the server 10\.0\.0\.1:6443/);
  });

  it("exits 2 on bad usage, a missing Secret and a reused testid, before applying anything", () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ PARALLELISM: "0" }, /PARALLELISM must be a whole number/],
      [{ IMAGE: "" }, /IMAGE is not set/],
      [
        { FAKE_SECRET: "absent" },
        /Secret agentapi-load-influxdb is missing: set INFLUXDB_TOKEN, or kubectl create secret/,
      ],
      [{ FAKE_TESTRUN_EXISTS: "1" }, /TestRun agentapi-load-k8s-load-test-\S+ exists already/],
      [{ PROFILE: "prod" }, /^k8s-render: invalid configuration: PROFILE must be one of/],
    ];
    for (const [env, message] of cases) {
      const o = k8sLoad(env);
      expect(o.status, JSON.stringify(env)).toBe(2);
      expect(o.stderr, JSON.stringify(env)).toMatch(new RegExp(message.source, "m"));
      expect(o.calls.filter((c) => c.includes(" apply "))).toEqual([]);
    }
  });

  it("renders, applies server-side, waits for `finished`, saves each runner's log and runs the global verdict", () => {
    const o = k8sLoad({ NAMESPACE: "load", GRAFANA_URL: "https://grafana.example.com/", FAKE_EXIT_CODES: "0,99" });
    expect(o.stderr.split("\n").filter((l) => l.startsWith("k8s-load:"))).toEqual([]);
    expect(o.status).toBe(0);
    const apply = o.calls.find((c) => c.includes(" apply "));
    expect(apply).toMatch(/--namespace load apply --server-side --field-manager=agentapi-load -f /);
    const applied = parseAllDocuments(readFileSync(join(o.dir, "applied.yaml"), "utf8")).map(
      (d) => d.toJS() as { kind: string; metadata: { namespace?: string }; spec?: { parallelism: number } },
    );
    expect(applied.map((d) => d.kind)).toEqual(["ConfigMap", "ConfigMap", "TestRun"]);
    expect(applied.every((d) => d.metadata.namespace === "load")).toBe(true);
    expect(applied[2]!.spec!.parallelism).toBe(2);
    expect(o.stdout).toContain(`stage:     finished`);
    expect(o.stdout).toContain(`dashboard: https://grafana.example.com/d/agentapi-load?var-testid=${o.testId}`);
    expect(o.stdout).toMatch(/runner 1: {2}passed its own thresholds/);
    expect(o.stdout).toMatch(/runner 2: {2}breached its own thresholds .*global verdict decides/);
    for (const k of [1, 2]) {
      const log = readFileSync(repoPath("reports", o.testId, `instance-${k}`, "k6.log"), "utf8");
      expect(log.trim()).toBe(`k6 log of job/agentapi-load-${o.testId}-${k}`);
    }
    expect(o.calls).toContain(`npm run --silent thresholds -- --testid ${o.testId}`);
    expect(o.stdout).toContain(`verdict for ${o.testId}`);
    expect(o.stdout).toContain("result:    passed");
  });

  it("renders the Secret from INFLUXDB_TOKEN instead of requiring it", () => {
    const o = k8sLoad({ FAKE_SECRET: "absent", INFLUXDB_TOKEN: "fake-token" });
    expect(o.status).toBe(0);
    expect(o.calls.some((c) => c.includes("get secret"))).toBe(false);
    const kinds = parseAllDocuments(readFileSync(join(o.dir, "applied.yaml"), "utf8")).map(
      (d) => (d.toJS() as { kind: string }).kind,
    );
    expect(kinds[0]).toBe("Secret");
    // The rendered file (with the token) does not outlive the run.
    expect(spawnSync("sh", ["-c", `ls ${o.dir}/agentapi-load-k8s.* 2>/dev/null`]).stdout.toString()).toBe("");
  });

  it("applies the run's AgentAPI credentials Secret, deletes it once the run is over, and prints no credential", () => {
    const token = "tok-k8s-load-4d1e-never-printed";
    const header = "hdr-k8s-load-a90c-never-printed";
    const o = k8sLoad({
      NAMESPACE: "load",
      AGENTAPI_TOKEN: token,
      AGENTAPI_HEADERS: JSON.stringify({ "Coder-Session-Token": header }),
      MAX_PROMPTS: "40",
    });
    expect(o.status).toBe(0);
    const applied = parseAllDocuments(readFileSync(join(o.dir, "applied.yaml"), "utf8")).map(
      (d) =>
        d.toJS() as {
          kind: string;
          metadata: { name: string };
          stringData?: Record<string, string>;
          data?: Record<string, string>;
        },
    );
    expect(applied.map((d) => d.kind)).toEqual(["Secret", "ConfigMap", "ConfigMap", "TestRun"]);
    const secretName = `agentapi-load-${o.testId}-agentapi`;
    expect(applied[0]!.metadata.name).toBe(secretName);
    expect(applied[0]!.stringData?.AGENTAPI_TOKEN).toBe(token);
    expect(applied[1]!.data?.MAX_PROMPTS).toBe("40");
    // Deleted after the run (the runners read it when they started), after the TestRun finished.
    const deleted = o.calls.findIndex((c) => c.endsWith(`delete secret ${secretName} --ignore-not-found`));
    const lastPoll = o.calls.map((c) => c.includes("jsonpath={.status.stage}")).lastIndexOf(true);
    expect(lastPoll).toBeGreaterThan(0);
    expect(deleted).toBeGreaterThan(lastPoll);
    expect(o.stdout).toContain("clean up:  kubectl delete testrun,configmap,secret -l agentapi-load/testid=");
    // Nothing printed, and no kubectl or npm command line, holds a credential.
    for (const leak of [token, header]) {
      expect(o.stdout + o.stderr).not.toContain(leak);
      expect(o.calls.join("\n")).not.toContain(leak);
    }
    expect(o.stderr).toContain(`AgentAPI credentials (AGENTAPI_TOKEN, AGENTAPI_HEADERS) in Secret ${secretName}`);
  });

  it("deletes no Secret when the run has no AgentAPI credentials", () => {
    const o = k8sLoad({});
    expect(o.status).toBe(0);
    expect(o.calls.filter((c) => c.includes("delete"))).toEqual([]);
  });

  it("exits with the global verdict's status, 7 when there is none, 5 on a broken run, 6 on a timeout", () => {
    const breached = k8sLoad({ FAKE_VERDICT: "99" });
    expect(breached.status).toBe(99);
    expect(breached.stdout).toContain("result:    global verdict failed (exit 99)");

    const none = k8sLoad({ FAKE_THRESHOLDS: "absent" });
    expect(none.status).toBe(7);
    expect(oneLine(none)).toMatch(/global verdict unavailable: package.json has no 'thresholds' script/);
    expect(none.stdout).toContain(`dashboard: http://localhost:3001/d/agentapi-load?var-testid=${none.testId}`);

    const error = k8sLoad({ FAKE_STAGES: "initialization,error" });
    expect(error.status).toBe(5);
    expect(oneLine(error)).toMatch(/ended in stage 'error'/);

    const crashed = k8sLoad({ FAKE_EXIT_CODES: "0,108" });
    expect(crashed.status).toBe(5);
    expect(crashed.stdout).toMatch(/runner 2: {2}did not run to the end \(exit 108\)/);
    expect(crashed.calls.filter((c) => c.startsWith("npm run"))).toEqual([]);

    const slow = k8sLoad({ FAKE_STAGES: "started", K8S_TIMEOUT: "0" });
    expect(slow.status).toBe(6);
    expect(oneLine(slow)).toMatch(/is still 'started' after 0 s; it goes on/);
  });

  it("--dry-run prints the manifests without a cluster or kubectl", () => {
    const o = k8sLoad({ PARALLELISM: "4" }, { withKubectl: false, args: ["--dry-run"] });
    expect(o.status).toBe(0);
    const docs = parseAllDocuments(o.stdout).map((d) => d.toJS() as { kind: string; spec?: { parallelism: number } });
    expect(docs.map((d) => d.kind)).toEqual(["ConfigMap", "ConfigMap", "TestRun"]);
    expect(docs[2]!.spec!.parallelism).toBe(4);
  });

  it("--dry-run prints every Secret with its values redacted", () => {
    const secrets = {
      INFLUXDB_TOKEN: "influx-dry-run-61f0-secret",
      AGENTAPI_TOKEN: "tok-dry-run-0b3c-secret",
      AGENTAPI_HEADERS: '{"Coder-Session-Token":"hdr-dry-run-e7d2-secret"}',
    };
    const o = k8sLoad(secrets, { withKubectl: false, args: ["--dry-run"] });
    expect(o.status).toBe(0);
    for (const leak of ["influx-dry-run-61f0-secret", "tok-dry-run-0b3c-secret", "hdr-dry-run-e7d2-secret"]) {
      expect(o.stdout + o.stderr).not.toContain(leak);
    }
    const docs = parseAllDocuments(o.stdout).map(
      (d) => d.toJS() as { kind: string; stringData?: Record<string, string> },
    );
    expect(docs.map((d) => d.kind)).toEqual(["Secret", "Secret", "ConfigMap", "ConfigMap", "TestRun"]);
    for (const doc of docs.filter((d) => d.kind === "Secret")) {
      expect(Object.values(doc.stringData ?? {}).every((v) => v === "<redacted>")).toBe(true);
    }
    expect(o.stdout).toMatch(/^# Secret values are <redacted> \(--redact\): for reading, not for kubectl apply\.$/m);
  });

  it("is a make target listed by `make help`, and shellcheck-clean", () => {
    const help = run("make", []);
    expect(help.stdout).toMatch(/^ {2}k8s-load +run the suite on Kubernetes with k6-operator/m);
    const dry = run("make", ["-n", "k8s-load", "PARALLELISM=4", "IMAGE=registry.example.com/k6:1"]);
    expect(dry.stderr).toBe("");
    expect(dry.stdout).toContain("./scripts/k8s-load.sh");
    if (!hasCommand("shellcheck")) {
      console.warn("k8s/k8s-load: shellcheck not installed, skipping shellcheck");
      return;
    }
    const check = run("shellcheck", ["--severity=style", "scripts/k8s-load.sh"]);
    expect(check.stdout + check.stderr).toBe("");
  });
});
