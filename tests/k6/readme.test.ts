// k6/README.md documents what the code does: every variable the configuration reads, every profile, every custom
// metric and every threshold row. A change to the code without the README fails here.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../../k6/src/config";
import { customMetrics } from "../../k6/src/metric-catalog";
import { ENDPOINTS, SCENARIO_EXEC } from "../../k6/src/names";
import { PROFILE_NAMES } from "../../k6/src/profiles";
import { thresholdTable, thresholdKey } from "../../k6/src/thresholds";
import { REPO_ROOT } from "./harness/bundle";

const readme = readFileSync(join(REPO_ROOT, "k6", "README.md"), "utf8");
const configSource = readFileSync(join(REPO_ROOT, "k6", "src", "config.ts"), "utf8");

describe("k6/README.md", () => {
  it("documents every environment variable the configuration reads", () => {
    // Names read as env.NAME or passed as "NAME" to the readers in config.ts, plus the defaulted ones.
    const read = new Set(Object.keys(DEFAULTS));
    for (const m of configSource.matchAll(/env\.([A-Z][A-Z0-9_]+)|"([A-Z][A-Z0-9_]{2,})"/g))
      read.add(m[1] ?? m[2] ?? "");
    for (const key of ["AGENT_ONLY", "SCENARIOS", "TESTID", "CONFIRM_PRODUCTION"])
      expect(read.has(key), key).toBe(true);
    for (const key of read) expect(readme, key).toContain(`| \`${key}\` |`);
  });

  it("documents every profile, scenario function, endpoint tag and custom metric", () => {
    for (const p of PROFILE_NAMES) expect(readme).toContain(`| \`${p}\` |`);
    for (const [scenario, fn] of Object.entries(SCENARIO_EXEC)) expect(readme).toContain(`\`${scenario}\` (\`${fn}\`)`);
    for (const e of ENDPOINTS) expect(readme).toContain(`\`${e}\``);
    for (const m of customMetrics()) expect(readme).toContain(`| \`${m.name}\` | ${m.type}`);
  });

  it("lists every threshold row with its conditions, and its conditions in every other topology", () => {
    for (const row of thresholdTable()) {
      expect(readme).toContain(`| \`${thresholdKey(row)}\` | \`${row.conditions.join("`, `")}\` |`);
      for (const [topology, variant] of Object.entries(row.variants ?? {})) {
        const conditions = variant === "dropped" ? "not judged" : `\`${variant.conditions.join("`, `")}\``;
        expect(readme, `${thresholdKey(row)} (${topology})`).toContain(
          `| \`${thresholdKey(row)}\` | ${topology} | ${conditions} | `,
        );
      }
    }
  });
});
