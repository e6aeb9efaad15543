import type { Plugin } from "esbuild";

/** k6/lazy-lifecycle.mjs: the lifecycle functions bundled inside a function only VU 0 calls. */
export function lazyLifecycle(options: { innerPlugins?: Plugin[]; target: string }): Plugin;
