// `node k6/build.mjs` (part of `npm run build`): bundles k6/src/main.ts with esbuild into
//   k6/dist/main.js        for the project's k6 image (k6 v1.8.1 + xk6-output-influxdb + xk6-sse), and
//   k6/dist/main.stock.js  for any stock k6 >= v0.49: ES2017 syntax and no k6/x/sse import — the SSE step polls
//                          /messages instead (clients/events.poll.ts replaces clients/events.ts). k6 before v0.52
//                          parses every ES module with its embedded Babel 6, which rejects not only `??`, `?.` and
//                          private fields but also object spread/rest (ES2018, grafana/k6#824) and `catch {}`
//                          without a binding (ES2019); esbuild lowers all of them for es2017.
// k6's own modules stay external; npm dependencies are bundled; source maps sit beside each bundle. The lifecycle
// functions (k6/src/lifecycle.ts) sit inside a function no VU calls (lazy-modules.mjs).
// Afterwards each bundle's imports are verified: only k6 modules, nothing over http(s).
import { build } from "esbuild";
import { lazyModules } from "./lazy-modules.mjs";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "src");
const dist = join(here, "dist");

/** Stock builds: every `./events` / `../clients/events` import resolves to the polling implementation. */
const pollingEvents = {
  name: "events-polling",
  setup(b) {
    b.onResolve({ filter: /(^|\/)events$/ }, (args) =>
      args.importer.startsWith(src) ? { path: join(src, "clients", "events.poll.ts") } : undefined,
    );
  },
};

const variants = [
  { outfile: join(dist, "main.js"), target: "es2020", plugins: [], allowExtensions: true },
  { outfile: join(dist, "main.stock.js"), target: "es2017", plugins: [pollingEvents], allowExtensions: false },
];

/** Module specifiers a bundle imports (static and dynamic). */
function importedModules(code) {
  const found = new Set();
  const patterns = [
    /\bimport\s+(?:[\w*{}\s,$]+\s+from\s+)?["']([^"']+)["']/g,
    /\bexport\s+[\w*{}\s,$]+\s+from\s+["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) found.add(match[1]);
  }
  return [...found].sort();
}

async function main() {
  for (const variant of variants) {
    await build({
      entryPoints: [join(src, "main.ts")],
      outfile: variant.outfile,
      bundle: true,
      format: "esm",
      platform: "neutral",
      mainFields: ["module", "main"],
      target: variant.target,
      external: ["k6", "k6/*"],
      plugins: [...variant.plugins, lazyModules({ innerPlugins: variant.plugins, target: variant.target })],
      sourcemap: "linked",
      legalComments: "none",
      logLevel: "warning",
    });
    const imports = importedModules(readFileSync(variant.outfile, "utf8"));
    const bad = imports.filter(
      (m) => !(m === "k6" || m.startsWith("k6/")) || (!variant.allowExtensions && m.startsWith("k6/x/")),
    );
    if (bad.length > 0) {
      console.error(`k6 build: ${variant.outfile} imports ${bad.join(", ")} (only k6 modules are allowed)`);
      process.exit(1);
    }
    console.log(
      `k6 build: ${variant.outfile.slice(here.length + 1)} (${variant.target}) imports ${imports.join(", ")}`,
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    console.error(`k6 build failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
