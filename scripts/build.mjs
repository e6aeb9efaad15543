// `npm run build`: every build step of the project, in order; each step is its own script.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const steps = [
  ["k6 bundles", "k6/build.mjs"],
  ["agentapi-stub bundle", "infra/agentapi-stub/build.mjs"],
];

for (const [label, script] of steps) {
  if (!existsSync(script)) {
    console.error(`build: ${script} is missing (${label})`);
    process.exit(1);
  }
  console.log(`build: ${label}`);
  try {
    execFileSync(process.execPath, [script], { stdio: "inherit" });
  } catch {
    console.error(`build: ${label} failed`);
    process.exit(1);
  }
}
