// Where main.ts gets the lifecycle functions (lifecycle.ts). In the k6 bundles and the harness, k6/lazy-modules.mjs
// replaces this module with one that builds the lifecycle inside a function, on its first call (VU 0 only); as
// written here — for tsc and any build without the plugin — it imports the lifecycle eagerly, with the same result.

import * as lifecycle from "./lifecycle";

export function loadLifecycle(): typeof lifecycle {
  return lifecycle;
}
