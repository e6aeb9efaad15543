// Validation of TestRun manifests against k6-operator v1.6.0's CustomResourceDefinition, read at test time from
// ../shared/k6-operator/k6.io_testruns.yaml (Apache-2.0; never copied into the repository), without a cluster.
//
// The apiserver treats a CRD's openAPIV3Schema as a structural schema, which JSON Schema alone does not express:
//   - a field an object's `properties` do not name is unknown: pruned, and refused by `kubectl apply` (field
//     validation Strict, kubectl's default) — unless the object has `additionalProperties` (a map: any key, values
//     checked) or `x-kubernetes-preserve-unknown-fields: true`. Here: `additionalProperties: false` is added to
//     every other object with `properties`.
//   - `x-kubernetes-int-or-string: true`: an integer or a string.
//   - `x-kubernetes-list-type: map` (+ `x-kubernetes-list-map-keys`) / `set`: items unique by those keys / whole.
//   - `format: int32` / `int64`: integers in range; `date-time`: RFC 3339.
//   - the root `metadata` is ObjectMeta, which the apiserver validates itself (name, namespace, labels): a small
//     ObjectMeta schema stands in for it.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { REPO_ROOT } from "../k6/harness/bundle";

export const CRD_PATH = join(REPO_ROOT, "..", "shared", "k6-operator", "k6.io_testruns.yaml");
export const crdAvailable = existsSync(CRD_PATH);

type Schema = Record<string, unknown>;

interface Crd {
  spec: {
    group: string;
    names: { kind: string };
    versions: Array<{ name: string; served: boolean; storage: boolean; schema: { openAPIV3Schema: Schema } }>;
  };
}

/** The structural rules as JSON Schema: unknown fields refused wherever Kubernetes would refuse them. */
export function strictSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictSchema);
  if (typeof node !== "object" || node === null) return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node as Schema)) {
    // Property names are data, not keywords: recurse into each property's schema only.
    out[key] =
      key === "properties"
        ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, strictSchema(v)]))
        : strictSchema(value);
  }
  if (
    out.properties !== undefined &&
    out.additionalProperties === undefined &&
    out["x-kubernetes-preserve-unknown-fields"] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
const DNS_LABEL = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";

/** ObjectMeta as the apiserver checks it on create (the fields manifests set). */
export const OBJECT_META: Schema = {
  type: "object",
  required: ["name"],
  additionalProperties: false,
  properties: {
    name: { type: "string", maxLength: 253, pattern: DNS_SUBDOMAIN },
    namespace: { type: "string", maxLength: 63, pattern: DNS_LABEL },
    labels: { type: "object", additionalProperties: { type: "string", maxLength: 63, pattern: LABEL_VALUE.source } },
    annotations: { type: "object", additionalProperties: { type: "string" } },
  },
};

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  addFormats(ajv, ["date-time"]);
  ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addKeyword({
    keyword: "x-kubernetes-int-or-string",
    schemaType: "boolean",
    validate: (on: boolean, data: unknown) =>
      !on || typeof data === "string" || (typeof data === "number" && Number.isInteger(data)),
  });
  ajv.addKeyword({ keyword: "x-kubernetes-preserve-unknown-fields", schemaType: "boolean" });
  ajv.addKeyword({ keyword: "x-kubernetes-map-type", schemaType: "string" });
  ajv.addKeyword({ keyword: "x-kubernetes-list-map-keys", schemaType: "array" });
  ajv.addKeyword({
    keyword: "x-kubernetes-list-type",
    schemaType: "string",
    validate: function listType(kind: string, data: unknown, parentSchema?: Schema): boolean {
      if (!Array.isArray(data) || kind === "atomic") return true;
      const keys = (parentSchema?.["x-kubernetes-list-map-keys"] as string[] | undefined) ?? [];
      const identity = (item: unknown) =>
        kind === "map" ? JSON.stringify(keys.map((k) => (item as Record<string, unknown>)[k])) : JSON.stringify(item);
      return new Set(data.map(identity)).size === data.length;
    },
  });
  return ajv;
}

export interface TestRunValidator {
  /** "k6.io/v1alpha1" */
  apiVersion: string;
  kind: string;
  validate: (manifest: unknown) => string[];
}

const describe = (errors: ErrorObject[] | null | undefined): string[] =>
  (errors ?? []).map(
    (e) =>
      `${e.instancePath || "/"} ${e.message ?? e.keyword}${e.keyword === "additionalProperties" ? `: ${String((e.params as { additionalProperty?: string }).additionalProperty)}` : ""}`,
  );

/** A validator for TestRun manifests: [] when the apiserver would accept it, else one line per problem. */
export function testRunValidator(): TestRunValidator {
  const crd = parse(readFileSync(CRD_PATH, "utf8")) as Crd;
  const version = crd.spec.versions.find((v) => v.served && v.storage);
  if (!version) throw new Error("the CRD has no served storage version");
  const schema = strictSchema(version.schema.openAPIV3Schema) as Schema;
  const properties = { ...(schema.properties as Schema), metadata: OBJECT_META };
  const apiVersion = `${crd.spec.group}/${version.name}`;
  const kind = crd.spec.names.kind;
  const compiled: ValidateFunction = newAjv().compile({
    ...schema,
    properties: {
      ...properties,
      apiVersion: { type: "string", const: apiVersion },
      kind: { type: "string", const: kind },
    },
    required: ["apiVersion", "kind", "metadata", "spec"],
  });
  return { apiVersion, kind, validate: (manifest) => (compiled(manifest) ? [] : describe(compiled.errors)) };
}

const CONFIG_MAP_KEY = "^[-._a-zA-Z0-9]+$";

/** ConfigMap and Secret as the apiserver checks them (keys, string values, 1 MiB). */
export function coreValidator(): (manifest: unknown) => string[] {
  const ajv = newAjv();
  const data = { type: "object", propertyNames: { pattern: CONFIG_MAP_KEY }, additionalProperties: { type: "string" } };
  const compiled = ajv.compile({
    oneOf: [
      {
        type: "object",
        additionalProperties: false,
        required: ["apiVersion", "kind", "metadata"],
        properties: {
          apiVersion: { const: "v1" },
          kind: { const: "ConfigMap" },
          metadata: OBJECT_META,
          immutable: { type: "boolean" },
          data,
        },
      },
      {
        type: "object",
        additionalProperties: false,
        required: ["apiVersion", "kind", "metadata"],
        properties: {
          apiVersion: { const: "v1" },
          kind: { const: "Secret" },
          metadata: OBJECT_META,
          type: { type: "string" },
          stringData: data,
        },
      },
    ],
  });
  return (manifest) => {
    const problems = compiled(manifest) ? [] : describe(compiled.errors);
    if (Buffer.byteLength(JSON.stringify(manifest)) > 1024 * 1024) problems.push("larger than 1 MiB");
    return problems;
  };
}

export { LABEL_KEY, LABEL_VALUE };
