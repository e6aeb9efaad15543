// Bundle the rollup's CLI (tools/rollup/cli.ts) into one ESM file for the container image. It has no npm
// dependency at run time (Node's fetch only), so the bundle is the whole program.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

try {
  await build({
    entryPoints: [here("../../tools/rollup/cli.ts")],
    outfile: here("./dist/rollup.js"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: true,
    logLevel: "warning",
  });
  console.log("rollup: wrote infra/rollup/dist/rollup.js");
} catch {
  // esbuild has already printed the errors.
  process.exit(1);
}
