// Double of `k6/data`: SharedArray as k6 v1.8.1 builds it (internal/js/modules/k6/data): only in the init context,
// from a function that returns an array, each item kept as JSON and handed out parsed and deep-frozen. k6 calls the
// function once per test run and shares the JSON between VUs; each harness worker is its own process-like
// isolate, so here each calls it — what a VU sees is the same.
import { runtime } from "./runtime";

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

export class SharedArray<T> {
  constructor(name: string, build: () => T[]) {
    if (runtime().initDone) throw new Error("new SharedArray must be called in the init context");
    if (name === "") throw new Error("empty name provided to SharedArray's constructor");
    const items = build();
    if (!Array.isArray(items)) throw new Error("only arrays can be made into SharedArray");
    const json = items.map((item) => JSON.stringify(item));
    return Object.freeze(json.map((text) => deepFreeze(JSON.parse(text) as T))) as unknown as SharedArray<T>;
  }

  readonly [index: number]: T;
  readonly length = 0;
}

export default { SharedArray };
