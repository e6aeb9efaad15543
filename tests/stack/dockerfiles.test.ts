// The two images the stack builds: lint-clean with dockerfile-utils (every check raised to an error) plus this
// project's rules: pinned base images, a non-root stub with a /healthz HEALTHCHECK, and a k6 image built exactly as
// issue 4 says (esbuild bundles → k6 v1.8.1 via pinned xk6 with the two extensions → pinned grafana/k6 base).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { validate, ValidationSeverity, type ValidatorSettings } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import { parseDockerfile, type Stage } from "./dockerfile";
import { readText, repoPath } from "./repo";

const DOCKERFILES = [
  "infra/k6/Dockerfile",
  "infra/agentapi-stub/Dockerfile",
  "infra/agentapi-real/Dockerfile",
  "infra/rollup/Dockerfile",
] as const;

const STRICT: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

const all = (stage: Stage | undefined, keyword: string): string[] =>
  (stage?.instructions ?? []).filter((i) => i.keyword === keyword).map((i) => i.args);

describe.each(DOCKERFILES)("%s", (file) => {
  const present = existsSync(repoPath(file));

  it("exists", () => {
    expect(present, `${file} is missing`).toBe(true);
  });

  it.runIf(present)("is lint-clean with dockerfile-utils (every check as an error)", () => {
    const diagnostics = validate(readText(file), STRICT);
    const text = (message: string | { value: string }): string =>
      typeof message === "string" ? message : message.value;
    expect(diagnostics.map((d) => `${d.range.start.line + 1}: ${text(d.message)}`)).toEqual([]);
  });

  it.runIf(present)("pins every base image by version tag or digest (no latest)", () => {
    const stages = parseDockerfile(readText(file));
    const aliases = new Set<string>();
    expect(stages.length).toBeGreaterThan(0);
    for (const stage of stages) {
      if (!aliases.has(stage.from)) {
        expect(stage.from, `FROM ${stage.from}`).toMatch(/^[a-z0-9./_-]+(:[\w.-]*\d[\w.-]*|@sha256:[0-9a-f]{64})$/);
        expect(stage.from).not.toMatch(/:latest$/);
      }
      if (stage.alias) aliases.add(stage.alias);
    }
  });

  it.runIf(present)("runs as a non-root user and declares its HEALTHCHECK", () => {
    const final = parseDockerfile(readText(file)).at(-1);
    const users = all(final, "USER");
    expect(users.length, "final stage sets USER").toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:.*)?$/);
    expect(all(final, "HEALTHCHECK")).toHaveLength(1);
  });
});

describe("infra/agentapi-stub/Dockerfile specifics", () => {
  const file = "infra/agentapi-stub/Dockerfile";
  const present = existsSync(repoPath(file));

  it.runIf(present)("uses a pinned Node LTS base, exposes 3284 and 3000, and probes /healthz", () => {
    const stages = parseDockerfile(readText(file));
    for (const stage of stages.filter((s) => s.from.startsWith("node:"))) {
      const major = Number(/^node:(\d+)/.exec(stage.from)?.[1]);
      expect(major % 2, `${stage.from} is an LTS (even) major`).toBe(0);
    }
    const final = stages.at(-1);
    const exposed = all(final, "EXPOSE").join(" ");
    expect(exposed).toMatch(/\b3284\b/);
    expect(exposed).toMatch(/\b3000\b/);
    expect(all(final, "HEALTHCHECK")[0]).toMatch(/\/healthz/);
  });
});

describe("infra/rollup/Dockerfile: the esbuild bundle of tools/rollup on the stub's Node base, following", () => {
  const stages = parseDockerfile(readText("infra/rollup/Dockerfile"));
  const final = stages.at(-1);

  it("bundles with the repo's build script and runs the bundle with --follow", () => {
    expect(all(stages[0], "RUN")).toContain("node infra/rollup/build.mjs");
    expect(all(final, "CMD")[0]).toBe('["node", "--enable-source-maps", "infra/rollup/dist/rollup.js", "--follow"]');
    expect(final?.from).toBe(parseDockerfile(readText("infra/agentapi-stub/Dockerfile")).at(-1)?.from);
  });

  it("copies every source the bundle is built from (the real bundle's source map says which)", () => {
    const built = spawnSync(process.execPath, ["infra/rollup/build.mjs"], { cwd: repoPath("."), encoding: "utf8" });
    expect(built.status, built.stderr).toBe(0);
    const map = JSON.parse(readText("infra/rollup/dist/rollup.js.map")) as { sources: string[] };
    const copied = all(stages[0], "COPY").map((args) => args.split(/\s+/)[0] as string);
    const sources = map.sources.map((source) =>
      relative(repoPath("."), resolve(repoPath("infra/rollup/dist"), source)),
    );
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) {
      expect(
        copied.some((path) => source === path || source.startsWith(`${path}/`)),
        `${source} is not copied into the build stage`,
      ).toBe(true);
    }
  });
});

describe("infra/agentapi-real/Dockerfile: the pinned agentapi built from the module proxy + the fake agent", () => {
  const stages = parseDockerfile(readText("infra/agentapi-real/Dockerfile"));
  const builder = stages.find((s) => s.from.startsWith("golang:"));
  const bundler = stages.find((s) => s.alias !== undefined && s.from.startsWith("node:"));
  const final = stages.at(-1);

  it("builds agentapi with go mod download + go build at the pinned version (no go install)", () => {
    expect(builder?.from).toMatch(/^golang:1\.26\.\d+-alpine/);
    const pin = readText("infra/agentapi-real/agentapi.version").trim();
    expect(all(builder, "ARG")).toContain(`AGENTAPI_VERSION=${pin}`);
    const runs = all(builder, "RUN").join("\n");
    expect(runs).toMatch(/go mod download -json "github\.com\/coder\/agentapi@/);
    expect(runs).toMatch(/go build .*-o \/out\/agentapi \./);
    expect(runs).toContain("-X github.com/coder/agentapi/internal/version.Version=");
    expect(runs).not.toMatch(/go install/);
  });

  it("bundles the fake agent with esbuild, and runs both on the stub's Node base as a non-root user", () => {
    expect(all(bundler, "RUN").join("\n")).toMatch(/node infra\/agentapi-real\/build\.mjs/);
    expect(final?.from).toBe(parseDockerfile(readText("infra/agentapi-stub/Dockerfile")).at(-1)?.from);
    const copies = all(final, "COPY").join("\n");
    expect(copies).toContain(`--from=${builder?.alias}`);
    expect(copies).toContain(`--from=${bundler?.alias}`);
    expect(all(final, "USER").at(-1)).toBe("node");
    expect(all(final, "EXPOSE")).toEqual(["3284"]);
    expect(all(final, "ENV").join(" ")).toContain("AGENTAPI_ALLOWED_HOSTS=*");
    expect(all(final, "HEALTHCHECK")[0]).toContain("http://127.0.0.1:3284/status");
    expect(JSON.parse(all(final, "CMD")[0]!)).toEqual([
      "agentapi",
      "server",
      "--type",
      "custom",
      "--port",
      "3284",
      "--",
      "node",
      "/app/fake-agent.mjs",
    ]);
  });
});

describe("infra/k6/Dockerfile build stages", () => {
  const stages = parseDockerfile(readText("infra/k6/Dockerfile"));
  const bundles = stages.find((s) => s.from.startsWith("node:"));
  const builder = stages.find((s) => s.from.startsWith("golang:"));
  const final = stages.at(-1);

  it("(a) bundles the TypeScript with esbuild in a Node stage from the lockfile", () => {
    expect(bundles?.alias).toBeDefined();
    const runs = all(bundles, "RUN").join("\n");
    expect(runs).toMatch(/\bnpm ci\b/);
    expect(runs).toMatch(/\bnode k6\/build\.mjs\b/);
    expect(all(bundles, "COPY").join("\n")).toMatch(/package-lock\.json/);
  });

  it("(b) builds k6 v1.8.1 with a pinned xk6 and both extensions at their pinned versions", () => {
    expect(builder?.alias).toBeDefined();
    const runs = all(builder, "RUN").join("\n");
    expect(runs).toMatch(/go install "?go\.k6\.io\/xk6(\/cmd\/xk6)?@v\d+\.\d+\.\d+"?/);
    expect(runs).toMatch(/xk6 build "?v1\.8\.1"?/);
    expect(runs).toContain("github.com/grafana/xk6-output-influxdb@v0.7.0");
    expect(runs).toContain("github.com/phymbert/xk6-sse@v0.1.12");
  });

  it("(c) ships the binary and both bundles on the pinned grafana/k6:1.8.1 base", () => {
    expect(final?.from).toBe("grafana/k6:1.8.1");
    const copies = all(final, "COPY").join("\n");
    expect(copies).toContain(`--from=${builder?.alias}`);
    expect(copies).toContain(`--from=${bundles?.alias}`);
    expect(copies).toMatch(/k6\/dist\//);
    expect(all(final, "ENTRYPOINT").join(" ")).toMatch(/agentapi-load-k6/);
  });

  it("its entrypoint tags the run with the testid and creates the report folder", () => {
    const entrypoint = readText("infra/k6/entrypoint.sh");
    expect(entrypoint).toMatch(/--tag "testid=\$TESTID"/);
    expect(entrypoint).toMatch(/mkdir -p "\$REPORT_DIR"/);
  });
});

describe(".dockerignore (both images build from the repository root)", () => {
  it("keeps dependencies, git data, secrets and run output out of the build context", () => {
    expect(existsSync(repoPath(".dockerignore")), ".dockerignore is missing").toBe(true);
    const entries = readText(".dockerignore")
      .split("\n")
      .map((line) => line.trim().replace(/^\//, "").replace(/\/$/, ""));
    for (const required of ["node_modules", ".git", ".env", "reports"]) {
      expect(
        entries.some((entry) => entry === required || entry === `**/${required}`),
        required,
      ).toBe(true);
    }
    // The k6 image needs these from the context.
    for (const needed of ["k6", "package.json", "package-lock.json", "infra/k6/entrypoint.sh"]) {
      expect(entries, needed).not.toContain(needed);
    }
  });
});
