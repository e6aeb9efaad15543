// `npm run dashboards` writes the dashboard JSON Grafana provisions; `npm run dashboards -- --check` only compares
// and exits 1 with one line per committed file that drifted from the code (CI and `npm run build` use it).
// `--out <file>` writes or checks one dashboard at another path: the load dashboard, or the one `--dashboard` names.
import { readFileSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import {
  COMPARE_DASHBOARD_UID,
  PROM_COMPARE_DASHBOARD_UID,
  renderCompareDashboard,
  renderPromCompareDashboard,
} from "./compare";
import { DASHBOARD_UID, PROM_DASHBOARD_UID, renderDashboard, renderPromDashboard } from "./dashboard";
import { COMPARE_DASHBOARD_FILE, DASHBOARD_FILE, PROM_COMPARE_DASHBOARD_FILE, PROM_DASHBOARD_FILE } from "./paths";

const USAGE = "usage: npm run dashboards [-- --check] [--dashboard <uid>] [--out <file>]";

interface Target {
  uid: string;
  file: string;
  render: () => string;
}

const DASHBOARDS: readonly Target[] = [
  { uid: DASHBOARD_UID, file: DASHBOARD_FILE, render: () => renderDashboard() },
  { uid: COMPARE_DASHBOARD_UID, file: COMPARE_DASHBOARD_FILE, render: () => renderCompareDashboard() },
  { uid: PROM_DASHBOARD_UID, file: PROM_DASHBOARD_FILE, render: renderPromDashboard },
  { uid: PROM_COMPARE_DASHBOARD_UID, file: PROM_COMPARE_DASHBOARD_FILE, render: renderPromCompareDashboard },
];

interface Options {
  check: boolean;
  targets: Target[];
}

function parseArgs(argv: readonly string[]): Options {
  let check = false;
  let uid: string | undefined;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--check") check = true;
    else if (arg === "--out" && argv[i + 1] !== undefined) out = argv[++i];
    else if (arg === "--dashboard" && argv[i + 1] !== undefined) uid = argv[++i];
    else throw new Error(`unknown argument "${arg}" (${USAGE})`);
  }
  const chosen = uid ?? (out === undefined ? undefined : DASHBOARD_UID);
  const targets = DASHBOARDS.filter((d) => chosen === undefined || d.uid === chosen);
  if (targets.length === 0) throw new Error(`unknown dashboard "${uid}" (${DASHBOARDS.map((d) => d.uid).join(", ")})`);
  return { check, targets: targets.map((t) => (out === undefined ? t : { ...t, file: out })) };
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function generate(target: Target, check: boolean): number {
  const shown = relative(process.cwd(), target.file) || target.file;
  const expected = target.render();
  const current = readIfPresent(target.file);
  if (check) {
    if (current === expected) return 0;
    console.error(
      current === undefined
        ? `dashboards: ${shown} is missing; run \`npm run dashboards\` and commit it`
        : `dashboards: ${shown} differs from infra/grafana/src; run \`npm run dashboards\` and commit the result`,
    );
    return 1;
  }
  if (current !== expected) writeFileSync(target.file, expected);
  console.log(`dashboards: ${current === expected ? "unchanged" : "wrote"} ${shown}`);
  return 0;
}

function main(): number {
  const options = parseArgs(process.argv.slice(2));
  return Math.max(...options.targets.map((target) => generate(target, options.check)));
}

try {
  process.exitCode = main();
} catch (error) {
  console.error(`dashboards: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
