// `npm run dashboards` writes the dashboard JSON Grafana provisions; `npm run dashboards -- --check` only compares
// and exits 1 with one line when the committed file drifted from the code (CI and `npm run build` use it).
import { readFileSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import { renderDashboard } from "./dashboard";
import { DASHBOARD_FILE } from "./paths";

const USAGE = "usage: npm run dashboards [-- --check] [--out <file>]";

interface Options {
  check: boolean;
  file: string;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { check: false, file: DASHBOARD_FILE };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--check") options.check = true;
    else if (arg === "--out" && argv[i + 1] !== undefined) options.file = argv[++i] as string;
    else throw new Error(`unknown argument "${arg}" (${USAGE})`);
  }
  return options;
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function main(): number {
  const options = parseArgs(process.argv.slice(2));
  const shown = relative(process.cwd(), options.file) || options.file;
  const expected = renderDashboard();
  const current = readIfPresent(options.file);
  if (options.check) {
    if (current === expected) return 0;
    console.error(
      current === undefined
        ? `dashboards: ${shown} is missing; run \`npm run dashboards\` and commit it`
        : `dashboards: ${shown} differs from infra/grafana/src; run \`npm run dashboards\` and commit the result`,
    );
    return 1;
  }
  if (current !== expected) writeFileSync(options.file, expected);
  console.log(`dashboards: ${current === expected ? "unchanged" : "wrote"} ${shown}`);
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  console.error(`dashboards: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
