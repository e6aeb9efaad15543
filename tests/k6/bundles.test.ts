// The two k6 bundles `npm run build` produces: k6/dist/main.js (xk6-sse) and k6/dist/main.stock.js (stock k6
// >= v0.49). Neither imports anything but k6 modules — nothing over http(s) —, the stock one has no extension
// import and only ES2017 syntax (k6 before v0.52 parses ES modules with Babel 6, which rejects object spread and
// `catch {}` as well as `??`/`?.`), neither touches a Node-only global or a runtime API newer than k6's JS
// engine had, and both carry source maps.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "acorn";
import { transform } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./harness/bundle";

const dist = join(REPO_ROOT, "k6", "dist");

/** Module specifiers a bundle imports, static or dynamic. */
function imports(code: string): string[] {
  const found = new Set<string>();
  for (const pattern of [
    /\bimport\s+(?:[\w*{}\s,$]+\s+from\s+)?["']([^"']+)["']/g,
    /\bexport\s+[\w*{}\s,$]+\s+from\s+["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ]) {
    for (const match of code.matchAll(pattern)) if (match[1] !== undefined) found.add(match[1]);
  }
  return [...found].sort();
}

/**
 * True when the code uses no syntax newer than ES2017: esbuild prints it identically whether it may keep newer
 * syntax (esnext) or must lower it (es2017) — any `??`, `?.`, object spread, `catch {}`, private field, etc.
 * would be rewritten.
 */
async function isEs2017(code: string): Promise<boolean> {
  const [modern, old] = await Promise.all([
    transform(code, { target: "esnext", format: "esm", loader: "js" }),
    transform(code, { target: "es2017", format: "esm", loader: "js" }),
  ]);
  return modern.code === old.code;
}

/**
 * Globals and runtime APIs the bundles must not touch: Node's (k6 has no Buffer, process, URL, TextEncoder…;
 * the harness hides them at run time too) and ES2021+ methods that k6 v0.49's goja may lack. A static scan
 * catches what the journeys' run-time coverage might miss.
 */
const FORBIDDEN = [
  /\bBuffer\./,
  /\bprocess\.(env|argv|exit|cwd)/,
  /\bnew URL\(/,
  /\bURLSearchParams\b/,
  /\bText(En|De)coder\b/,
  /\bstructuredClone\(/,
  /\bset(Timeout|Interval|Immediate)\(/,
  /\bqueueMicrotask\(/,
  /\bperformance\.now\(/,
  /\bfetch\(/,
  /\.at\(-?\d/,
  /\bObject\.hasOwn\(/,
  /\.replaceAll\(/,
  /\.findLast(Index)?\(/,
  /\basync\s+(function\b|\(|[A-Za-z_$][\w$]*\s*=>)/,
  /\bawait\s/,
];

describe("k6 bundles", () => {
  let main = "";
  let stock = "";

  beforeAll(() => {
    execFileSync(process.execPath, [join(REPO_ROOT, "k6", "build.mjs")], { stdio: "pipe" });
    main = readFileSync(join(dist, "main.js"), "utf8");
    stock = readFileSync(join(dist, "main.stock.js"), "utf8");
  }, 60_000);

  it("the ES2017 check itself tells old syntax from new", async () => {
    expect(await isEs2017("export const a = b || c; const [d, ...e] = f; g(...e);")).toBe(true);
    expect(await isEs2017("export const a = b ?? c;")).toBe(false);
    expect(await isEs2017("export const a = b?.c;")).toBe(false);
    expect(await isEs2017("export const a = { ...b };")).toBe(false);
    expect(await isEs2017("export const { a, ...b } = c;")).toBe(false);
    expect(await isEs2017("try { a(); } catch { b(); }")).toBe(false);
    expect(await isEs2017("export class A { #x = 1; get() { return this.#x; } }")).toBe(false);
  });

  it("the forbidden-API scan catches each thing it looks for", () => {
    const samples = [
      'Buffer.from("x")',
      "process.env.X",
      "new URL(a, b)",
      "new URLSearchParams(q)",
      "new TextEncoder()",
      "structuredClone(x)",
      "setTimeout(f, 1)",
      "queueMicrotask(f)",
      "performance.now()",
      "fetch(u)",
      "xs.at(-1)",
      "Object.hasOwn(o, k)",
      's.replaceAll("a", "b")',
      "xs.findLast(f)",
      "const f = async () => 1",
      "await x",
    ];
    for (const sample of samples)
      expect(
        FORBIDDEN.some((p) => p.test(sample)),
        sample,
      ).toBe(true);
    expect(FORBIDDEN.some((p) => p.test('const url = `${base}/status`; xs.slice(-1); s.replace(/a/g, "b");'))).toBe(
      false,
    );
  });

  it("main.js imports only k6 modules (xk6-sse included) and nothing over http(s)", () => {
    const mods = imports(main);
    expect(mods).toContain("k6/x/sse");
    expect(mods).toContain("k6/http");
    for (const m of mods) expect(m === "k6" || m.startsWith("k6/"), m).toBe(true);
    expect(main).not.toMatch(/from\s*["']https?:/);
  });

  it("main.stock.js imports only stock k6 modules and is ES2017", async () => {
    const mods = imports(stock);
    expect(mods.filter((m) => m.startsWith("k6/x/"))).toEqual([]);
    for (const m of mods) expect(m === "k6" || m.startsWith("k6/"), m).toBe(true);
    expect(stock).not.toMatch(/from\s*["']https?:/);
    expect(stock).toContain('EVENTS_TRANSPORT = "polling"');
    expect(await isEs2017(stock)).toBe(true);
    // A second, independent opinion: acorn's ES2017 grammar accepts the whole bundle.
    expect(() => parse(stock, { ecmaVersion: 2017, sourceType: "module" })).not.toThrow();
  });

  it("both export what k6 needs and have source maps beside them", () => {
    for (const [file, code] of [
      ["main.js", main],
      ["main.stock.js", stock],
    ] as const) {
      expect(code).toMatch(/export\s*\{[^}]*\boptions\b[^}]*\}/s);
      for (const name of [
        "setup",
        "teardown",
        "handleSummary",
        "authentication",
        "mcpConnection",
        "toolExecution",
        "listTools",
        "disconnect",
        "mixedWorkload",
      ]) {
        expect(code, `${file} exports ${name}`).toMatch(new RegExp(`\\b${name}\\b`));
      }
      expect(code).toContain(`//# sourceMappingURL=${file}.map`);
      expect(existsSync(join(dist, `${file}.map`))).toBe(true);
      // k6 has no Buffer (the seed crashed on it), nor Node's other globals.
      for (const pattern of FORBIDDEN) expect(code, `${file} matches ${String(pattern)}`).not.toMatch(pattern);
    }
  });
});
