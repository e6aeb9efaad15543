// What every k6 VU builds at init (scripts/vu-cost.ts): each function and object the bundle's top level creates costs
// every VU memory for the whole run in k6's runtime, so the bundles keep what only VU 0 needs (options, setup,
// teardown, handleSummary and the reports) inside a function, and the data tables behind first-use builders
// (k6/README.md "What a VU costs"). These tests fail when that regresses.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { vuInitCost } from "../../scripts/vu-cost";
import { REPO_ROOT } from "./harness/bundle";

const dist = join(REPO_ROOT, "k6", "dist");

// The lifecycle's own functions (lifecycle.ts and what only it imports): none may be created at a VU's init (main.ts
// keeps one-line setup/teardown/handleSummary that call into it).
const LIFECYCLE_ONLY = [
  "runOptions",
  "renderReports",
  "renderHtml",
  "renderText",
  "renderJunit",
  "buildK6Thresholds",
  "describePrompts",
  "checkServers",
  "instanceReportDir",
  // The parsers and planners a VU calls once and lets go (config-load.ts, capacity/plan-load.ts, run-plan-load.ts).
  "loadConfig",
  "loadCapacityPlan",
  "buildScenarios",
  "splitPromptBudget",
  "runThresholds",
];

// Measured per VU with k6 v1.8.1 (heap after GC, slope from 50 to 200 VUs, minus a minimal script's): 737 KiB before
// this budget was set, 350–375 KiB after; the static floor below went from 439 to 201 KiB. The budget leaves room for a
// journey or two.
const BUDGET_KIB = 240;

for (const bundle of ["main.js", "main.stock.js"]) {
  describe(`k6/dist/${bundle}: what a VU builds at init`, () => {
    const code = readFileSync(join(dist, bundle), "utf8");
    const cost = vuInitCost(code);

    it("creates none of the lifecycle's or the parsers' functions: they sit in the loaders (lazy-modules.mjs)", () => {
      for (const name of LIFECYCLE_ONLY) expect(cost.topLevelFunctions, name).not.toContain(name);
      for (const loader of ["loadLifecycle", "loadConfigModule", "loadCapacityModule", "loadRunPlanModule"]) {
        expect(cost.topLevelFunctions).toContain(loader);
      }
      // …and they are in the bundle, inside it.
      for (const name of ["renderReports", "buildK6Thresholds", "runOptions"]) {
        expect(code).toMatch(new RegExp(`function ${name}\\(`));
      }
    });

    it("builds no data table at init (threshold rows, profiles' plans, metric catalog, check samples)", () => {
      const tables = ["k6/src/thresholds.ts", "k6/src/profiles.ts", "k6/src/metric-catalog.ts", "k6/src/checks.ts"];
      for (const module of tables) {
        const counts = cost.byModule[module];
        // A handful of small constants stay (a profile's lazy getters, the smoke plan); a table would be dozens.
        expect(counts?.object ?? 0, module).toBeLessThanOrEqual(8);
      }
    });

    it(`stays within ${BUDGET_KIB} KiB per VU of functions, objects, regexps and metrics at init`, () => {
      expect(cost.kib).toBeLessThanOrEqual(BUDGET_KIB);
      expect(cost.total.constructed).toBeGreaterThan(20); // the custom metrics: the scan does see the bundle's init
    });
  });
}
