// `npm run capacity` refuses bad input with one line and exit 2 before anything runs, and says when the store
// cannot be read (exit 5).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../k6/harness/bundle";
import { closedPortUrl } from "../k6/helpers";
import { runCli } from "../support/run-cli";

/** Not vitest's own BASE_URL ("/", Vite's), which the CLI would inherit. */
const BASE = { BASE_URL: "http://127.0.0.1:9", AGENT_ONLY: "true", SCENARIOS: "list_tools" };
const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli("tools/capacity/cli.ts", args, { ...BASE, ...env });

describe("npm run capacity", () => {
  it("bad input: one line, exit 2", () => {
    for (const [args, env, line] of [
      [["--nope"], {}, /^capacity: unknown argument "--nope"/],
      [["--testid"], {}, /^capacity: --testid needs a value/],
      [["--testid", "x y"], {}, /^capacity: --testid may only hold/],
      [["--store", "mysql", "--testid", "x"], {}, /^capacity: --store must be/],
      [["--testid", "x"], { CAPACITY_RATES: "3,1" }, /^capacity: invalid capacity plan: CAPACITY_RATES must rise/],
      [["--testid", "x"], { PROFILE: "prod" }, /^capacity: invalid configuration: PROFILE must be one of/],
    ] as const) {
      const result = cli([...args], { ...env });
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(line);
    }
  });

  it("--testid judges a run with the settings it was made with (reports/<testid>/capacity-settings.json)", async () => {
    const testid = `capacity-cli-test-${process.pid}`;
    const dir = join(REPO_ROOT, "reports", testid);
    mkdirSync(dir, { recursive: true });
    try {
      // The saved settings win over the environment's: here they are bad, so the CLI says so about them.
      writeFileSync(join(dir, "capacity-settings.json"), JSON.stringify({ CAPACITY_RATES: "3,1" }));
      const result = cli(["--testid", testid], { CAPACITY_RATES: "1,2", INFLUXDB_URL: await closedPortUrl() });
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/CAPACITY_RATES must rise/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a store that cannot be read: one line, exit 5", async () => {
    const result = cli(["--testid", "capacity-x"], { INFLUXDB_URL: await closedPortUrl(), INFLUXDB_TOKEN: "t" });
    expect(result.status, result.stderr).toBe(5);
    // --annotate is taken (and changes nothing when there is no verdict to post).
    const annotating = cli(["--annotate", "--testid", "capacity-x"], { INFLUXDB_URL: await closedPortUrl() });
    expect(annotating.status, annotating.stderr).toBe(5);
    expect(result.stderr).toMatch(/^capacity: InfluxDB at http:\/\/127\.0\.0\.1:\d+ is unreachable/);
  });
});
