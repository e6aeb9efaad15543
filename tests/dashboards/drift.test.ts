// The committed dashboard JSON is exactly what the TypeScript generates, and `npm run dashboards -- --check` says so
// (exit 0), or names the drift in one line (exit 1).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderDashboard } from "../../infra/grafana/src/dashboard";
import { DASHBOARD_FILE } from "../../infra/grafana/src/paths";

const TSX = join(process.cwd(), "node_modules", ".bin", "tsx");
const GENERATE = join(process.cwd(), "infra", "grafana", "src", "generate.ts");

function generate(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(TSX, [GENERATE, ...args], { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("dashboard JSON drift", () => {
  const scratch = mkdtempSync(join(tmpdir(), "dash-drift-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("the committed file equals the generated JSON", () => {
    expect(readFileSync(DASHBOARD_FILE, "utf8")).toBe(renderDashboard());
  });

  it("generation is deterministic", () => {
    expect(renderDashboard()).toBe(renderDashboard());
  });

  it("--check exits 0 on the committed file", () => {
    const result = generate(["--check"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("--check exits 1 with one line when the file drifted, and a normal run repairs it", () => {
    const file = join(scratch, "drifted.json");
    writeFileSync(file, renderDashboard().replace('"AgentAPI load test"', '"Edited by hand"'));
    const drifted = generate(["--check", "--out", file]);
    expect(drifted.status).toBe(1);
    expect(drifted.stderr.trim().split("\n")).toHaveLength(1);
    expect(drifted.stderr).toMatch(/differs from infra\/grafana\/src; run `npm run dashboards`/);

    execFileSync(TSX, [GENERATE, "--out", file], { encoding: "utf8" });
    expect(readFileSync(file, "utf8")).toBe(renderDashboard());
    expect(generate(["--check", "--out", file]).status).toBe(0);
  });

  it("--check reports a missing file and unknown arguments in one line", () => {
    const missing = generate(["--check", "--out", join(scratch, "nope.json")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split("\n")).toEqual([expect.stringMatching(/nope\.json is missing/)]);
    const bad = generate(["--frobnicate"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split("\n")).toEqual([expect.stringMatching(/unknown argument "--frobnicate"/)]);
  });
});
