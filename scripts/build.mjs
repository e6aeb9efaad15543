// `npm run build`: every build step of the project, in order; each step is its own script.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

// [label, script, extra node args]: TypeScript entry points run through tsx's loader.
const steps = [
  ["k6 bundles", "k6/build.mjs", []],
  ["agentapi-stub bundle", "infra/agentapi-stub/build.mjs", []],
  ["fake agent bundle (agentapi-real image)", "infra/agentapi-real/build.mjs", []],
  ["rollup bundle (rollup image)", "infra/rollup/build.mjs", []],
  ["dashboards match their TypeScript source", "infra/grafana/src/generate.ts", ["--import", "tsx"], ["--check"]],
];

for (const [label, script, nodeArgs, scriptArgs = []] of steps) {
  if (!existsSync(script)) {
    console.error(`build: ${script} is missing (${label})`);
    process.exit(1);
  }
  console.log(`build: ${label}`);
  try {
    execFileSync(process.execPath, [...nodeArgs, script, ...scriptArgs], { stdio: "inherit" });
  } catch {
    console.error(`build: ${label} failed`);
    process.exit(1);
  }
}
