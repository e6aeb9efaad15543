// Bundle the fake agent (fake-agent.ts, Node built-ins only) into one ESM file for the agentapi-real image, where
// agentapi runs it as `node /app/fake-agent.mjs`.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

try {
  await build({
    entryPoints: [here("./fake-agent.ts")],
    outfile: here("./dist/fake-agent.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
  });
  console.log("agentapi-real: wrote infra/agentapi-real/dist/fake-agent.mjs");
} catch {
  // esbuild has already printed the errors.
  process.exit(1);
}
