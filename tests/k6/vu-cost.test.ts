// What every k6 VU builds at init (scripts/vu-cost.ts): each function and object the bundle's top level creates costs
// every VU memory for the whole run in k6's runtime, so the bundles keep what only VU 0 needs (options, setup,
// teardown, handleSummary and the reports) inside a function, each journey inside the function that builds it on its
// first iteration in a VU, and the data tables behind first-use builders (k6/README.md "What a VU costs"). These
// tests fail when that regresses.
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

// The journeys' own code (scenarios, clients, checks, flows, guards) and the broker steps: built in a VU by its first
// iteration of the journey (journeys-load.ts) or its first broker step (broker-steps-load.ts), never at init.
const JOURNEY_ONLY = [
  "listToolsJourney",
  "agentStatusStep",
  "getStatus",
  "getMessages",
  "sendMessage",
  "checkStatus",
  "checkMessages",
  "isStatusBody",
  "watchEvents",
  "watchTurn",
  "ensureSession",
  "logIn",
  "listToolsStep",
  "toolCallStep",
];

// Measured with k6 v1.8.1 (heap after GC at 200 VUs running list_tools agent-only; the minimal script's is 106 KiB):
// 851 KiB per VU before the lifecycle left the VUs, 482 before the journeys did, 330–335 since; the static floor
// below went from 439 to 201 to 63 KiB. It leaves out the custom metrics a VU declares (metrics.ts: ≈ 1.3 KiB each,
// those of the run's journeys — journey-metrics.ts, tested in journey-metrics.test.ts). The budget leaves room for a
// shared module or two, not for a journey.
const BUDGET_KIB = 80;

for (const bundle of ["main.js", "main.stock.js"]) {
  describe(`k6/dist/${bundle}: what a VU builds at init`, () => {
    const code = readFileSync(join(dist, bundle), "utf8");
    const cost = vuInitCost(code);

    it("creates none of the lifecycle's or the parsers' functions: they sit in the loaders (lazy-modules.mjs)", () => {
      for (const name of LIFECYCLE_ONLY) expect(cost.topLevelFunctions, name).not.toContain(name);
      for (const loader of [
        "loadLifecycle",
        "loadConfigModule",
        "loadCapacityModule",
        "loadRunPlanModule",
        "loadJourney",
        "loadBrokerSteps",
      ]) {
        expect(cost.topLevelFunctions).toContain(loader);
      }
      // …and they are in the bundle, inside it.
      for (const name of ["renderReports", "buildK6Thresholds", "runOptions"]) {
        expect(code).toMatch(new RegExp(`function ${name}\\(`));
      }
    });

    it("builds no journey at init: each is built by the VU's first iteration of it (journeys-load.ts)", () => {
      for (const name of JOURNEY_ONLY) expect(cost.topLevelFunctions, name).not.toContain(name);
      for (const name of ["listToolsJourney", "agentStatusStep", "listToolsStep"]) {
        expect(code).toMatch(new RegExp(`function ${name}\\d*\\(`));
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

    it(`stays within ${BUDGET_KIB} KiB per VU of functions, objects and regexps at init`, () => {
      expect(cost.kib).toBeLessThanOrEqual(BUDGET_KIB);
      // The scan does see the bundle's init: main.ts's exports and the VU's shared modules.
      expect(cost.total.function).toBeGreaterThan(40);
    });
  });
}
