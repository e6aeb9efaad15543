// `npm run vu-cost`: what every k6 VU builds when it evaluates a bundle's top level (k6/dist/main.js and
// main.stock.js), by source module: the functions, object and array literals, regular expressions and `new`
// objects (k6 metrics) created outside any function body. k6 runs the top level once per VU, each in its own
// runtime, so each of these costs every VU memory for the whole run; code inside a function costs nothing until it
// runs (the lifecycle functions sit inside one, k6/lazy-modules.mjs). The weights are what one of each cost a VU
// in k6 v1.8.1 (sobek), measured as the heap after GC of 200 VUs against the same count minus a minimal script's
// (k6/README.md "What a VU costs"); the estimate leaves out what is not in the code (k6's modules, strings built at
// init), so it is a floor and a regression guard, not the VU's whole cost.
import { parse } from "acorn";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** KiB per VU of one of each, measured with real k6 v1.8.1 (k6/README.md "What a VU costs"). */
export const KIB_PER_VU = { function: 0.8, object: 0.56, regexp: 1.3, constructed: 1.5 } as const;

export type Kind = keyof typeof KIB_PER_VU;
export type Counts = Record<Kind, number>;

export interface VuInitCost {
  /** Per source module (esbuild's `// path` comments), what its top level creates. */
  byModule: Record<string, Counts>;
  total: Counts;
  /** Names of the functions declared at the top level (what a VU instantiates). */
  topLevelFunctions: string[];
  /** KiB per VU the counts predict (a floor: see the top of this file). */
  kib: number;
}

interface Node {
  type: string;
  start: number;
  id?: { name?: string } | null;
  [key: string]: unknown;
}

const FUNCTION = /^(FunctionDeclaration|FunctionExpression|ArrowFunctionExpression)$/;

function zero(): Counts {
  return { function: 0, object: 0, regexp: 0, constructed: 0 };
}

/** What the top level of an ES module bundle creates when it is evaluated. */
export function vuInitCost(code: string): VuInitCost {
  const markers: Array<[number, string]> = [];
  const ast = parse(code, {
    ecmaVersion: "latest",
    sourceType: "module",
    onComment: (block, text, start) => {
      // esbuild marks where each source module's code begins: `// k6/src/checks.ts`.
      if (!block && /^ [\w@.-]+(\/[\w@.-]+)+\.[cm]?[jt]s$/.test(text)) markers.push([start, text.trim()]);
    },
  }) as unknown as { body: Node[] };
  const byModule: Record<string, Counts> = {};
  const topLevelFunctions: string[] = [];
  const moduleAt = (pos: number): string => {
    let found = "(bundle)";
    for (const [start, name] of markers) {
      if (start > pos) break;
      found = name;
    }
    return found;
  };
  const bump = (module: string, kind: Kind) => {
    byModule[module] ??= zero();
    byModule[module][kind] += 1;
  };
  const walk = (node: unknown, module: string): void => {
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) {
      for (const child of node) walk(child, module);
      return;
    }
    const n = node as Node;
    if (typeof n.type !== "string") return;
    if (FUNCTION.test(n.type)) {
      // Created now; its body runs later (or never, in a VU).
      bump(module, "function");
      return;
    }
    if (n.type === "MethodDefinition") {
      bump(module, "function");
      return;
    }
    if (n.type === "PropertyDefinition") return; // evaluated per instance, not at init
    if (n.type === "ObjectExpression" || n.type === "ArrayExpression") bump(module, "object");
    if (n.type === "Literal" && "regex" in n) bump(module, "regexp");
    if (n.type === "NewExpression") bump(module, "constructed");
    for (const [key, value] of Object.entries(n)) {
      if (key !== "type" && key !== "start" && key !== "end") walk(value, module);
    }
  };
  for (const statement of ast.body) {
    if (statement.type === "FunctionDeclaration" && statement.id?.name) topLevelFunctions.push(statement.id.name);
    walk(statement, moduleAt(statement.start));
  }
  const total = zero();
  for (const counts of Object.values(byModule)) {
    for (const kind of Object.keys(total) as Kind[]) total[kind] += counts[kind];
  }
  const kib = (Object.keys(total) as Kind[]).reduce((sum, kind) => sum + total[kind] * KIB_PER_VU[kind], 0);
  return { byModule, total, topLevelFunctions, kib: Math.round(kib) };
}

function printBundle(path: string): void {
  const code = readFileSync(path, "utf8");
  const cost = vuInitCost(code);
  const rows = Object.entries(cost.byModule).sort(
    ([, a], [, b]) =>
      b.function + b.object + b.regexp + b.constructed - (a.function + a.object + a.regexp + a.constructed),
  );
  console.log(
    `${relative(process.cwd(), path)}: ${Math.round(code.length / 1024)} KiB of code; every VU's init creates`,
  );
  console.log("  functions  objects  regexps  new  module");
  for (const [module, c] of rows) {
    const cells = [c.function, c.object, c.regexp, c.constructed].map((v, i) => String(v).padStart(i === 0 ? 9 : 8));
    console.log(`${cells.join("")}  ${module}`);
  }
  const t = cost.total;
  console.log(
    `  total: ${t.function} functions, ${t.object} objects, ${t.regexp} regexps, ${t.constructed} new — ` +
      `≥ ${cost.kib} KiB per VU in k6 v1.8.1\n`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dist = join(fileURLToPath(new URL("..", import.meta.url)), "k6", "dist");
  const bundles =
    process.argv.length > 2 ? process.argv.slice(2) : ["main.js", "main.stock.js"].map((f) => join(dist, f));
  try {
    for (const path of bundles) printBundle(path);
  } catch (error) {
    console.error(`vu-cost: ${error instanceof Error ? error.message : String(error)} (run npm run build first)`);
    process.exit(2);
  }
}
