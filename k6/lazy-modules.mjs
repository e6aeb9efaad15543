// An esbuild plugin for the k6 bundles (k6/build.mjs) and the Node harness (tests/k6/harness/bundle.ts): code a VU
// does not keep, or does not need until it runs it, is bundled on its own and placed inside a function. k6 evaluates
// the script's top level in every VU and keeps what it built for the whole run — each function object costs every VU
// about 0.8 KiB in k6's JavaScript runtime (sobek) —, while code nested in a function is compiled once and
// instantiated only where it is called (k6/README.md "What a VU costs"). Each group below has a loader module in
// k6/src that the plugin replaces; as written there (tsc, editors, a build without the plugin) a loader imports its
// module eagerly, which behaves the same and only costs more:
//
// - lifecycle: options, setup, teardown, handleSummary and the reports — built once, in VU 0 only, and kept;
// - config, capacity plan, run plan: the parsers and planners called once (config and capacity plan in VU 0 only,
//   inside a k6 SharedArray; the run plan at a VU's first prompt) — built for that call and referenced by nothing
//   after it;
// - journeys: each journey (its scenario module and the clients, checks and flows only journeys use) — built on the
//   journey's first iteration in a VU and kept, so a VU builds only the journeys it runs. A journey reads the modules
//   a VU has once (VU_MODULES: its state, the configuration, the metrics) from the VU's top level;
// - broker steps: the broker and MCP steps of the journeys that also run agent-only — built on a VU's first broker
//   step and kept, so an agent-only run never builds them.
//
// Inside a group, imports of k6 modules and of VU_MODULES become reads of what the generated module imports (the
// group's bundle is not a module: it cannot import); any loader a group imports is its eager source form.
import { build } from "esbuild";
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "src");

/**
 * Modules a VU has once, shared by every journey: they hold the VU's state (session, agent, counters, prompt budget,
 * iteration), build what k6 allows only at init (metrics, the configuration), or are in the VU's top level already
 * (journey-run.ts). A journey reads them from the VU's top level instead of bundling a copy; the build fails if a
 * source module is both in the top level and copied into a journey (lazyModules' onEnd).
 */
const VU_MODULES = [
  "run-config.ts",
  "metrics.ts",
  "vu-state.ts",
  "agent-health.ts",
  "agent-target.ts",
  "agent-budget.ts",
  "prompt-budget.ts",
  "lib/iteration.ts",
  "lib/lazy.ts",
  "agent-urls.ts",
  "capacity/steps.ts",
  "capacity/run-capacity.ts",
  "broker-steps-load.ts",
].map((m) => join(src, m));

/** The journeys: scenario name → the module and the function k6 runs (tests read it too). */
export const JOURNEYS = [
  ["authentication", "scenarios/authentication.ts", "authentication"],
  ["mcp_connection", "scenarios/mcp-connection.ts", "mcpConnection"],
  ["tool_execution", "scenarios/tool-execution.ts", "toolExecution"],
  ["list_tools", "scenarios/list-tools.ts", "listToolsJourney"],
  ["disconnect", "scenarios/disconnect.ts", "disconnect"],
  ["mixed_workload", "scenarios/mixed-workload.ts", "mixedWorkload"],
  ["agent_conversation", "scenarios/agent-conversation.ts", "agentConversation"],
  ["event_watchers", "scenarios/event-watchers.ts", "eventWatchers"],
].map(([key, entry, member]) => ({ key, entry: join(src, entry), member, shared: VU_MODULES }));

/**
 * Loaders of one group each: the module it builds, the function it exports, whether the built module is kept. They
 * too read VU_MODULES from the top level (the run plan, built in a VU at its first prompt, reads the VU's
 * configuration instead of parsing its own).
 */
const SINGLE = [
  { loader: "lifecycle-load.ts", entry: "lifecycle.ts", exported: "loadLifecycle", keep: true },
  { loader: "config-load.ts", entry: "config.ts", exported: "loadConfigModule", keep: false },
  { loader: "capacity/plan-load.ts", entry: "capacity/plan.ts", exported: "loadCapacityModule", keep: false },
  { loader: "run-plan-load.ts", entry: "run-plan.ts", exported: "loadRunPlanModule", keep: false },
  { loader: "broker-steps-load.ts", entry: "broker-steps.ts", exported: "loadBrokerSteps", keep: true },
].map((g) => ({ ...g, loader: join(src, g.loader), entry: join(src, g.entry), shared: VU_MODULES }));

/** The journeys' loader: one function, loadJourney(name), built journeys kept by name. */
const JOURNEYS_LOADER = join(src, "journeys-load.ts");

/** Where a relative import of a source module lands (the sources import without extensions). */
function sourcePath(resolveDir, path) {
  const base = join(resolveDir, path);
  for (const candidate of [base, `${base}.ts`, join(base, "index.ts")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/**
 * The inner bundle's k6 imports, and its imports of the VU's shared modules, left as imports (external) for
 * moduleScope to turn into reads of what the generated module passes in.
 */
function outerModules(usedK6, shared) {
  return {
    name: "outer-modules",
    setup(b) {
      b.onResolve({ filter: /^k6(\/.*)?$/ }, (args) => {
        usedK6.add(args.path);
        return { path: args.path, external: true };
      });
      b.onResolve({ filter: /^\./ }, (args) => {
        const path = sourcePath(args.resolveDir, args.path);
        if (path === undefined || !shared.includes(path)) return undefined;
        return { path: `${VU_MODULE}${relative(src, path)}`, external: true };
      });
    },
  };
}

const VU_MODULE = "vu-module:";

/** `a, b as c` (an import or export clause's inside) as destructuring / object literal members: `a, b: c`. */
function members(clause, reverse) {
  return clause
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "")
    .map((m) => {
      const [from, to] = m.split(/\s+as\s+/);
      if (to === undefined) return from;
      return reverse ? `${to}: ${from}` : `${from}: ${to}`;
    })
    .join(", ");
}

/**
 * An ES module bundle (esbuild's output) as a function body: each import becomes a read, first, of the namespace the
 * generated module passes in — plain destructuring, no getter per member, since a journey group is built in the VU
 * context and the groups built at init read no k6/execution member — and the export clause becomes the return value.
 */
function moduleScope(code, vuNames) {
  const namespaceOf = (spec) =>
    spec.startsWith(VU_MODULE)
      ? `__vuModules[${JSON.stringify(spec.slice(VU_MODULE.length))}]`
      : `__k6Modules[${JSON.stringify(spec)}]`;
  const reads = [];
  let body = code.replace(/^import\s+([^;]*?)\s+from\s+"([^"]+)";$/gms, (_, clause, spec) => {
    const ns = namespaceOf(spec);
    const lines = [];
    const named = /\{([^}]*)\}/.exec(clause);
    const rest = clause
      .replace(/\{[^}]*\}/, "")
      .replace(/,\s*$/, "")
      .replace(/^\s*,/, "")
      .trim();
    if (spec.startsWith(VU_MODULE)) {
      // The generated module imports, from each shared module, the names its groups read: no more.
      if (rest !== "" || named === null) throw new Error(`lazy-modules: import ${spec} by name (${clause})`);
      const names = vuNames.get(spec.slice(VU_MODULE.length)) ?? new Set();
      for (const m of named[1].split(",")) if (m.trim() !== "") names.add(m.trim().split(/\s+as\s+/)[0]);
      vuNames.set(spec.slice(VU_MODULE.length), names);
    }
    if (rest.startsWith("* as ")) lines.push(`const ${rest.slice(5).trim()} = ${ns};`);
    // k6 gives a built-in module's default export as its object; some namespaces carry no `default` member.
    else if (rest !== "") lines.push(`const ${rest} = ${ns}.default !== undefined ? ${ns}.default : ${ns};`);
    if (named !== null) lines.push(`const { ${members(named[1], false)} } = ${ns};`);
    reads.push(...lines);
    return "";
  });
  // Imports are bound before any of the module's code runs: the reads go first.
  body = `${reads.join("\n")}\n${body}`;
  const exported = /^export\s*\{([^}]*)\};?\s*$/m.exec(body);
  body =
    exported === null ? `${body}\nreturn {};` : body.replace(exported[0], `return { ${members(exported[1], true)} };`);
  if (/^\s*(import|export)\b/m.test(body)) throw new Error("lazy-modules: an import or export the group cannot take");
  return body;
}

/** A group's bundle as a function body that returns its exports, and what it reads from outside. */
async function groupBody(group, innerPlugins, target) {
  const usedK6 = new Set();
  const vuNames = new Map();
  const inner = await build({
    entryPoints: [group.entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    target,
    plugins: [outerModules(usedK6, group.shared), ...innerPlugins],
    legalComments: "none",
    logLevel: "silent",
    metafile: true,
  });
  const inputs = Object.keys(inner.metafile.inputs)
    .filter((p) => !p.includes(":"))
    .map((p) => join(process.cwd(), p));
  return { body: moduleScope(inner.outputFiles[0].text, vuNames), usedK6, vuNames, inputs };
}

/**
 * The generated module's imports: the k6 modules as namespaces, and from the VU's shared modules the names the
 * groups read — handed to a group as one plain object built when the group is (a namespace import would cost every
 * VU a getter function per export: esbuild's namespace objects; the shared modules export no `let`, so their
 * bindings never change after init). Returns the import lines, the k6 table's declaration, and the shared table's
 * expression.
 */
function outerImports(parts) {
  const k6 = [...new Set(parts.flatMap((p) => [...p.usedK6]))].sort();
  const byModule = new Map();
  for (const part of parts) {
    for (const [module, names] of part.vuNames) {
      byModule.set(module, new Set([...(byModule.get(module) ?? []), ...names]));
    }
  }
  const shared = [...byModule.keys()].sort();
  const names = shared.map((m) => [...byModule.get(m)].sort());
  const imports = [
    ...k6.map((m, i) => `import * as k6module${i} from ${JSON.stringify(m)};`),
    ...shared.map(
      (m, i) =>
        `import { ${names[i].map((n) => `${n} as vuModule${i}_${n}`).join(", ")} } from ${JSON.stringify(join(src, m))};`,
    ),
  ];
  const k6Table = `const __k6Modules = { ${k6.map((m, i) => `${JSON.stringify(m)}: k6module${i}`).join(", ")} };`;
  const sharedTable = `{ ${shared
    .map((m, i) => `${JSON.stringify(m)}: { ${names[i].map((n) => `${n}: vuModule${i}_${n}`).join(", ")} }`)
    .join(", ")} }`;
  return { imports, k6Table, sharedTable };
}

/** A one-group loader: the group's bundle inside the exported function (memoised when the group is kept). */
async function generateSingle(group, innerPlugins, target) {
  const part = await groupBody(group, innerPlugins, target);
  const { imports, k6Table, sharedTable } = outerImports([part]);
  const what = group.keep ? "built on the first call, kept" : "built at each call, referenced by nothing after it";
  return [
    `// Generated by k6/lazy-modules.mjs from k6/src/${relative(src, group.entry)}: ${what}.`,
    ...imports,
    k6Table,
    ...(group.keep
      ? [
          "let loaded;",
          `export function ${group.exported}() {`,
          "  if (loaded === undefined) loaded = build();",
          "  return loaded;",
          "}",
        ]
      : [`export function ${group.exported}() {`, "  return build();", "}"]),
    "function build() {",
    `  const __vuModules = ${sharedTable};`,
    part.body,
    "}",
    "",
  ].join("\n");
}

/**
 * The journeys' loader: loadJourney(name) builds a journey on its first call in the VU and keeps it. All journeys sit
 * in one function's switch, each case in its own function expression, so a VU's top level holds two functions for
 * the eight journeys and a VU instantiates only the cases it reaches.
 */
async function generateJourneys(innerPlugins, target, copied) {
  const parts = await Promise.all(JOURNEYS.map((j) => groupBody(j, innerPlugins, target)));
  for (const part of parts) for (const input of part.inputs) copied.add(input);
  const { imports, k6Table, sharedTable } = outerImports(parts);
  const cases = JOURNEYS.flatMap((j, i) => [
    `    case ${JSON.stringify(j.key)}:`,
    `      return (function () {`,
    `        const __vuModules = ${sharedTable};`,
    parts[i].body,
    `      })().${j.member};`,
  ]);
  return [
    "// Generated by k6/lazy-modules.mjs from k6/src/journeys-load.ts: each journey built on its first call in a VU, kept.",
    ...imports,
    k6Table,
    "const built = {};",
    "export function loadJourney(name) {",
    "  let journey = built[name];",
    "  if (journey === undefined) {",
    "    journey = buildJourney(name);",
    "    built[name] = journey;",
    "  }",
    "  return journey;",
    "}",
    "function buildJourney(name) {",
    "  switch (name) {",
    ...cases,
    "  }",
    "  throw new Error(`loadJourney: no journey ${name}`);",
    "}",
    "",
  ].join("\n");
}

/**
 * The plugin. `innerPlugins` apply to each group's own bundle (the stock build's polling events client);
 * `target` is the bundle's syntax target. The build fails if a source module is both in the VU's top level and
 * copied into a journey: it would exist twice in one VU, with its state split between the two.
 */
export function lazyModules({ innerPlugins = [], target }) {
  return {
    name: "lazy-modules",
    setup(b) {
      b.initialOptions.metafile = true;
      /** Source modules bundled inside the journeys. */
      const inJourneys = new Set();
      b.onLoad({ filter: /-load\.ts$/ }, async (args) => {
        const single = SINGLE.find((g) => g.loader === args.path);
        let contents;
        if (single !== undefined) contents = await generateSingle(single, innerPlugins, target);
        else if (args.path === JOURNEYS_LOADER) contents = await generateJourneys(innerPlugins, target, inJourneys);
        else return undefined;
        return { contents, loader: "js", resolveDir: dirname(args.path) };
      });
      b.onEnd((result) => {
        if (result.metafile === undefined) return;
        const topLevel = Object.keys(result.metafile.inputs).map((p) => join(process.cwd(), p));
        const both = topLevel.filter((p) => inJourneys.has(p) && p.startsWith(src));
        if (both.length > 0) {
          const names = both.map((p) => relative(src, p)).join(", ");
          throw new Error(`lazy-modules: ${names} both in a VU's top level and in a journey: add to VU_MODULES`);
        }
      });
    },
  };
}
