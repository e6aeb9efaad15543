// Where run-config.ts gets the parser (config.ts). In the k6 bundles and the harness, k6/lazy-modules.mjs replaces
// this module with one that builds config.ts (and what only it imports: the profiles) inside a function, for one
// call: VU 0's, whose result the VUs receive through a SharedArray. As written here it imports config.ts eagerly.

import * as module from "./config";

export function loadConfigModule(): typeof module {
  return module;
}
