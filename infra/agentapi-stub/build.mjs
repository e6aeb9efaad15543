// Bundle the target's CLI (src/main.ts) into one ESM file for the container image. npm packages stay external:
// the image installs the production dependencies with `npm ci --omit=dev`.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

try {
  await build({
    entryPoints: [here("./src/main.ts")],
    outfile: here("./dist/main.js"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: true,
    logLevel: "warning",
  });
  console.log("agentapi-stub: wrote infra/agentapi-stub/dist/main.js");
} catch {
  // esbuild has already printed the errors.
  process.exit(1);
}
