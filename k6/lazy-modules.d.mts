import type { Plugin } from "esbuild";

/** k6/lazy-modules.mjs: code a VU does not keep, bundled inside functions (the lifecycle, the parsers). */
export function lazyModules(options: { innerPlugins?: Plugin[]; target: string }): Plugin;
