// The bundled k6 script as the VU worker sees it: esbuild resolves this virtual module to k6/src/main.ts with the
// k6 modules replaced by the doubles. Typed loosely on purpose — the worker only calls what the script exports.
declare module "virtual:k6-script" {
  const exports: Record<string, unknown>;
  export = exports;
}
