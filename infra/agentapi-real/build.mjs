// Bundle the fake agents into one ESM file each for the agentapi-real image, where agentapi runs them as
// `node /app/fake-agent.mjs` (PTY; Node built-ins only) and `node /app/fake-acp-agent.mjs` (ACP; the
// @agentclientprotocol/sdk and zod are bundled in, so the image needs no node_modules).
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

try {
  await build({
    entryPoints: { "fake-agent": here("./fake-agent.ts"), "fake-acp-agent": here("./fake-acp-agent.ts") },
    outdir: here("./dist"),
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
  });
  console.log("agentapi-real: wrote infra/agentapi-real/dist/fake-agent.mjs and fake-acp-agent.mjs");
} catch {
  // esbuild has already printed the errors.
  process.exit(1);
}
