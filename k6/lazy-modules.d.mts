import type { Plugin } from "esbuild";

/** k6/lazy-modules.mjs: code a VU does not keep or needs only later, bundled inside functions. */
export function lazyModules(options: { innerPlugins?: Plugin[]; target: string }): Plugin;

/** The journeys the plugin builds: scenario name, its module's absolute path, the function k6 runs. */
export const JOURNEYS: ReadonlyArray<{ key: string; entry: string; member: string; shared: readonly string[] }>;
