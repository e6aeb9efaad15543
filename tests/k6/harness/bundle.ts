// Bundles the k6 suite for Node: the same entry (k6/src/main.ts) with every k6 module replaced by the harness's
// doubles, wrapped in the VU worker. Two variants, like the real build: "xk6-sse" (clients/events.ts over
// k6/x/sse) and "polling" (clients/events.poll.ts, as in k6/dist/main.stock.js).
import { build, type Plugin } from "esbuild";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { lazyModules } from "../../../k6/lazy-modules.mjs";

export type EventsTransport = "xk6-sse" | "polling";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, "../../..");
export const K6_SRC = join(REPO_ROOT, "k6", "src");
const DOUBLES = join(here, "doubles");

/** k6 module → double. */
export const K6_MODULE_DOUBLES: Readonly<Record<string, string>> = {
  k6: join(DOUBLES, "k6.ts"),
  "k6/http": join(DOUBLES, "http.ts"),
  "k6/metrics": join(DOUBLES, "metrics.ts"),
  "k6/crypto": join(DOUBLES, "crypto.ts"),
  "k6/encoding": join(DOUBLES, "encoding.ts"),
  "k6/execution": join(DOUBLES, "execution.ts"),
  "k6/x/sse": join(DOUBLES, "sse.ts"),
  "k6/data": join(DOUBLES, "data.ts"),
};

function harnessResolution(transport: EventsTransport): Plugin {
  return {
    name: "k6-harness",
    setup(b) {
      b.onResolve({ filter: /^virtual:k6-script$/ }, () => ({ path: join(K6_SRC, "main.ts") }));
      b.onResolve({ filter: /^k6(\/.*)?$/ }, (args) => {
        const double = K6_MODULE_DOUBLES[args.path];
        if (!double) return { errors: [{ text: `no harness double for "${args.path}"; add one in ${DOUBLES}` }] };
        return { path: double };
      });
      if (transport === "polling") {
        b.onResolve({ filter: /(^|\/)events$/ }, (args) =>
          args.importer.startsWith(K6_SRC) ? { path: join(K6_SRC, "clients", "events.poll.ts") } : undefined,
        );
      }
    },
  };
}

const built = new Map<EventsTransport, Promise<string>>();
let outDir: string | undefined;
const DIR_PREFIX = "agentapi-load-k6-harness-";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Remove bundle folders left by harness processes that are gone (test runners may kill them before "exit"). */
function sweepStaleBundles(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(/^agentapi-load-k6-harness-(\d+)-/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

/** Path of the VU worker bundle for a transport; built once per process. */
export function workerBundle(transport: EventsTransport): Promise<string> {
  let pending = built.get(transport);
  if (!pending) {
    if (outDir === undefined) {
      sweepStaleBundles();
      const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
      // Workers read the bundle only when they start; by process exit none is left.
      process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
      outDir = dir;
    }
    const outfile = join(outDir, `vu-worker.${transport}.mjs`);
    pending = build({
      entryPoints: [join(here, "vu-worker.ts")],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      // As in the real bundles, the lifecycle functions are built inside a function only VU 0 calls.
      plugins: [
        harnessResolution(transport),
        lazyModules({ innerPlugins: [harnessResolution(transport)], target: "node20" }),
      ],
      sourcemap: "inline",
      logLevel: "silent",
    }).then(() => outfile);
    built.set(transport, pending);
  }
  return pending;
}
