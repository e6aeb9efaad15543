// One pin for the real agentapi (infra/agentapi-real/agentapi.version): everything that names a version agrees
// with it, and scripts/install-agentapi.sh behaves as documented without building anything.
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseDockerfile } from "../stack/dockerfile";
import { hasCommand, readText, run } from "../stack/repo";

const pin = readText("infra/agentapi-real/agentapi.version");
const version = pin.trim();

describe("the agentapi version pin", () => {
  it("is one line holding one version", () => {
    expect(pin).toMatch(/^v\d+\.\d+\.\d+\n$/);
    expect(version).toBe("v0.12.2"); // the proxy does not serve v0.12.1; v0.12.2 includes upstream 00ff7ff
  });

  it("is the Dockerfile's ARG default, and the image builds with go mod download + go build", () => {
    const stages = parseDockerfile(readText("infra/agentapi-real/Dockerfile"));
    const args = stages.flatMap((s) => s.instructions).filter((i) => i.keyword === "ARG");
    expect(args.map((i) => i.args)).toContain(`AGENTAPI_VERSION=${version}`);
  });

  it("is read, not repeated, by the installer and the launcher", () => {
    for (const file of ["scripts/install-agentapi.sh", "scripts/agentapi-real.ts", "infra/agentapi-real/launch.ts"]) {
      expect(readText(file), file).not.toContain(version.slice(1));
    }
    expect(readText("scripts/install-agentapi.sh")).toContain("infra/agentapi-real/agentapi.version");
  });

  it(".ci/run installs coder/agentapi with the script and exports it for the tests", () => {
    const ci = readText(".ci/run");
    expect(ci).toContain("coder/agentapi");
    expect(ci).toMatch(/^scripts\/install-agentapi\.sh$/m);
    expect(ci).toMatch(/export AGENTAPI_BIN=/);
    expect(ci).toMatch(/^agentapi --version$/m);
    expect(ci.indexOf("install-agentapi.sh")).toBeLessThan(ci.indexOf('step "test"'));
  });

  it("is the version both READMEs name, with the make targets and the compose profile", () => {
    for (const file of ["README.md", "infra/agentapi-real/README.md"]) {
      const text = readText(file);
      expect(text, file).toContain(version);
      expect(text, file).toContain("make agentapi-install");
      expect(text, file).toContain("make agentapi-real");
      expect(text, file).toContain("--profile real");
      expect(text, file).toContain("00ff7ff");
    }
    expect(readText("README.md")).not.toMatch(/go install github\.com\/coder\/agentapi@/);
  });
});

describe("scripts/install-agentapi.sh (no download, no build)", () => {
  const scratch = mkdtempSync(join(tmpdir(), "agentapi-install-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** A PATH with only what the script needs besides go (so "go is missing" is real, wherever go lives). */
  const noGoPath = (() => {
    const bin = join(scratch, "bin");
    run("mkdir", ["-p", bin]);
    for (const tool of ["bash", "env", "dirname", "tr", "sed", "cat", "mktemp", "rm", "mkdir", "mv", "tail"]) {
      const found = run("sh", ["-c", `command -v ${tool}`]).stdout.trim();
      if (found) symlinkSync(found, join(bin, tool));
    }
    return bin;
  })();

  it("exits 2 with one line on a bad argument", () => {
    const result = run("scripts/install-agentapi.sh", ["--bogus"]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^install-agentapi: unknown argument/)]);
  });

  it("exits 1 with one line when go is missing", () => {
    const result = run("scripts/install-agentapi.sh", [], {
      env: { PATH: noGoPath, HOME: scratch, AGENTAPI_INSTALL_DIR: join(scratch, "empty") },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^install-agentapi: go is not installed: building github\.com\/coder\/agentapi v0\.12\.2/),
    ]);
  });

  it("keeps a binary that already reports the pinned version (and needs no go for that)", () => {
    const dir = join(scratch, "installed");
    run("mkdir", ["-p", dir]);
    writeFileSync(join(dir, "agentapi"), `#!/bin/sh\necho "agentapi version ${version.slice(1)}"\n`);
    chmodSync(join(dir, "agentapi"), 0o755);
    const result = run("scripts/install-agentapi.sh", [], {
      env: { PATH: noGoPath, HOME: scratch, AGENTAPI_INSTALL_DIR: dir },
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`agentapi ${version} already installed: ${dir}/agentapi\n`);
  });

  it.runIf(hasCommand("shellcheck"))("is shellcheck-clean", () => {
    const result = run("shellcheck", ["--severity=style", "scripts/install-agentapi.sh", ".ci/run"]);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});
