// docker-compose.yml: valid per the Compose Specification JSON schema, lint-clean (dclint), and shaped the way the
// stack needs it (services, ports, healthchecks, profiles, dependency conditions, no secrets, pinned images).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Ajv } from "ajv";
import { DCLinter } from "dclint";
import type { ComposeSpecification } from "docker-compose";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isRecord, readText, repoPath } from "./repo";

type Service = NonNullable<ComposeSpecification["services"]>[string];

/** The AgentAPI credentials: secrets the k6 suite reads, optional (run-tests.sh SECRET_KEYS). */
const OPTIONAL_SECRETS = ["AGENTAPI_TOKEN", "AGENTAPI_HEADERS"];

const COMPOSE_FILE = "docker-compose.yml";
const composeText = readText(COMPOSE_FILE);
const composeData: unknown = parse(composeText);

// The compose-spec schema as shipped by dclint (a maintained copy of compose-spec/compose-spec's schema).
const require = createRequire(import.meta.url);
const schemaPath = join(dirname(require.resolve("dclint/package.json")), "schemas/compose.schema.json");
const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as Record<string, unknown>;
delete schema.$schema; // draft-07 without the trailing '#', which Ajv would try to resolve as a remote meta-schema
const validateCompose = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);

function composeFile(): ComposeSpecification {
  if (!validateCompose(composeData)) throw new Error(JSON.stringify(validateCompose.errors));
  return composeData as ComposeSpecification; // validated against the schema just above
}

function service(name: string): Service {
  const found = composeFile().services?.[name];
  if (!found) throw new Error(`service ${name} is missing`);
  return found;
}

function environment(name: string): Record<string, string> {
  const env = service(name).environment;
  if (!isRecord(env)) throw new Error(`service ${name}: environment must be a map`);
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value)]));
}

function ports(name: string): string[] {
  return (service(name).ports ?? []).map((port) =>
    typeof port === "string" || typeof port === "number" ? String(port) : JSON.stringify(port),
  );
}

describe("docker-compose.yml against the Compose Specification", () => {
  it("validates against the compose-spec JSON schema", () => {
    const valid = validateCompose(composeData);
    expect(validateCompose.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it("the schema check is not vacuous: a broken copy fails it", () => {
    const broken = structuredClone(composeData) as { services: Record<string, Record<string, unknown>> };
    broken.services.influxdb!.healthcheck = { test: ["CMD", "true"], every: "5s" };
    broken.services.grafana!.depends_on = { influxdb: { condition: "service_ready" } };
    expect(validateCompose(broken)).toBe(false);
    expect((validateCompose.errors ?? []).length).toBeGreaterThanOrEqual(2);
  });

  it("is lint-clean with dclint (schema, pinned tags, bound ports, no duplicate ports/names)", () => {
    // Disabled on purpose: services are ordered as the data flows (influxdb → grafana → stub → k6), not
    // alphabetically, and Prettier owns the quote style.
    const linter = new DCLinter({
      rules: { "services-alphabetical-order": 0, "require-quotes-in-ports": 0 },
      quiet: false,
      debug: false,
      exclude: [],
    });
    const [result] = linter.lintFiles([repoPath(COMPOSE_FILE)], false);
    expect(result?.messages.map((m) => `${m.rule}: ${m.message}`)).toEqual([]);
  });
});

describe("the stack's services", () => {
  it("has exactly influxdb, prometheus, grafana, rollup, agentapi-stub, agentapi-real(-acp) and k6, each under a one-line comment", () => {
    const lines = composeText.split("\n");
    const start = lines.indexOf("services:");
    const end = lines.findIndex((line, index) => index > start && /^\S/.test(line));
    const names: string[] = [];
    for (let index = start + 1; index < end; index += 1) {
      const match = /^ {2}([a-z0-9-]+):$/.exec(lines[index]!);
      if (!match) continue;
      names.push(match[1]!);
      expect(lines[index - 1], `comment above ${match[1]}`).toMatch(/^ {2}# \S.{10,}$/);
      expect(lines[index - 2], `only one comment line above ${match[1]}`).not.toMatch(/^\s*#/);
    }
    expect(names).toEqual([
      "influxdb",
      "prometheus",
      "grafana",
      "rollup",
      "agentapi-stub",
      "agentapi-real",
      "agentapi-real-acp",
      "k6",
    ]);
    expect(Object.keys(composeFile().services ?? {})).toEqual(names);
  });

  it("pins every image by an explicit version tag (no latest, no bare name)", () => {
    const images = Object.values(composeFile().services ?? {}).flatMap((s) => (s.image ? [s.image] : []));
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const image of images) {
      // prom/prometheus tags carry a leading "v" (v3.14.0).
      expect(image).toMatch(/^[a-z0-9./-]+:v?\d+(\.\d+)*(-[a-z0-9.]+)?$/);
      expect(image).not.toMatch(/:latest$/);
    }
    expect(service("influxdb").image).toMatch(/^influxdb:2\.\d+(\.\d+)?-alpine$/);
    expect(service("grafana").image).toMatch(/^grafana\/grafana:1[23]\.\d+\.\d+$/);
  });

  it("influxdb: setup mode from env, bucket k6, named volume, `influx ping` healthcheck", () => {
    const env = environment("influxdb");
    expect(env.DOCKER_INFLUXDB_INIT_MODE).toBe("setup");
    expect(env.DOCKER_INFLUXDB_INIT_BUCKET).toBe("k6");
    expect(env.DOCKER_INFLUXDB_INIT_ORG).toMatch(/^\$\{INFLUXDB_ORG/);
    expect(env.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN).toMatch(/^\$\{INFLUXDB_TOKEN:\?/);
    expect(service("influxdb").volumes?.map(String)).toContain("influxdb-data:/var/lib/influxdb2");
    expect(Object.keys(composeFile().volumes ?? {})).toContain("influxdb-data");
    expect(service("influxdb").healthcheck?.test).toEqual(["CMD", "influx", "ping", "--host", "http://127.0.0.1:8086"]);
    expect(ports("influxdb")).toEqual(["127.0.0.1:${INFLUXDB_PORT:-8086}:8086"]);
  });

  it("grafana: port 3001, anonymous Viewer, admin password from env, provisioning mounted, waits for influxdb", () => {
    const env = environment("grafana");
    expect(env.GF_SERVER_HTTP_PORT).toBe("3001");
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe("true");
    expect(env.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe("Viewer");
    expect(env.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
    // The provisioned datasource expands the token (InfluxQL needs no org).
    expect(env.INFLUXDB_TOKEN).toMatch(/^\$\{INFLUXDB_TOKEN:\?/);
    expect(service("grafana").volumes?.map(String)).toEqual([
      "./infra/grafana/provisioning:/etc/grafana/provisioning:ro",
      "./infra/grafana/dashboards:/var/lib/grafana/dashboards:ro",
    ]);
    expect(ports("grafana")).toEqual(["127.0.0.1:${GRAFANA_PORT:-3001}:3001"]);
    expect(service("grafana").healthcheck?.test).toEqual([
      "CMD",
      "curl",
      "-fsS",
      "-o",
      "/dev/null",
      "http://127.0.0.1:3001/api/health",
    ]);
    expect(service("grafana").depends_on).toEqual({ influxdb: { condition: "service_healthy" } });
  });

  it("agentapi-stub: built from its Dockerfile, ports 3284 and 3000, any Host allowed, /healthz on both", () => {
    expect(service("agentapi-stub").build).toEqual({ context: ".", dockerfile: "infra/agentapi-stub/Dockerfile" });
    expect(environment("agentapi-stub").AGENTAPI_ALLOWED_HOSTS).toBe("*");
    expect(ports("agentapi-stub")).toEqual([
      "127.0.0.1:${AGENTAPI_PORT:-3284}:3284",
      "127.0.0.1:${BROKER_PORT:-3000}:3000",
    ]);
    const probe = JSON.stringify(service("agentapi-stub").healthcheck?.test);
    expect(probe).toContain("/healthz");
    expect(probe).toContain("3284");
    expect(probe).toContain("3000");
  });

  it("agentapi-real: opt-in (profile real), built from its Dockerfile, loopback port 3285 → 3284, any Host, /status", () => {
    const real = service("agentapi-real");
    expect(real.build).toEqual({ context: ".", dockerfile: "infra/agentapi-real/Dockerfile" });
    expect(real.profiles).toEqual(["real"]);
    expect(environment("agentapi-real").AGENTAPI_ALLOWED_HOSTS).toBe("*");
    expect(environment("agentapi-real").FAKE_AGENT_THINK_MS).toBe("${FAKE_AGENT_THINK_MS:-1000}");
    expect(ports("agentapi-real")).toEqual(["127.0.0.1:${AGENTAPI_REAL_PORT:-3285}:3284"]);
    expect(JSON.stringify(real.healthcheck?.test)).toContain("http://127.0.0.1:3284/status");
    // Nothing waits for it: `make up` and `make load` work without it (k6's depends_on is checked below).
    for (const [name, other] of Object.entries(composeFile().services ?? {})) {
      expect(JSON.stringify(other.depends_on ?? {}), name).not.toContain("agentapi-real");
    }
  });

  it("agentapi-real-acp: the same image in ACP mode (profile real), loopback port 3286 → 3284, the fake ACP agent", () => {
    const acp = service("agentapi-real-acp");
    expect(acp.build).toEqual(service("agentapi-real").build);
    expect(acp.profiles).toEqual(["real"]);
    expect(acp.command).toEqual([
      "agentapi",
      "server",
      "--experimental-acp",
      "--type",
      "custom",
      "--port",
      "3284",
      "--",
      "node",
      "/app/fake-acp-agent.mjs",
    ]);
    expect(environment("agentapi-real-acp").AGENTAPI_ALLOWED_HOSTS).toBe("*");
    expect(environment("agentapi-real-acp").FAKE_AGENT_THINK_MS).toBe("${FAKE_AGENT_THINK_MS:-1000}");
    expect(environment("agentapi-real-acp").FAKE_AGENT_CHUNK_MS).toBe("${FAKE_AGENT_CHUNK_MS:-100}");
    expect(ports("agentapi-real-acp")).toEqual(["127.0.0.1:${AGENTAPI_REAL_ACP_PORT:-3286}:3284"]);
    expect(JSON.stringify(acp.healthcheck?.test)).toContain("http://127.0.0.1:3284/status");
  });

  it("every long-running service has a healthcheck with bounded retries", () => {
    for (const name of ["influxdb", "grafana", "rollup", "agentapi-stub", "agentapi-real", "agentapi-real-acp"]) {
      const check = service(name).healthcheck;
      expect(check?.test, name).toBeDefined();
      expect(Number(check?.retries), name).toBeGreaterThan(0);
      expect(String(check?.interval), name).toMatch(/^\d+s$/);
    }
  });

  it("rollup: own image, follows InfluxDB with the stack's token, healthy while its ticks reach InfluxDB", () => {
    const rollup = service("rollup");
    expect(rollup.build).toEqual({ context: ".", dockerfile: "infra/rollup/Dockerfile" });
    expect(rollup.depends_on).toEqual({ influxdb: { condition: "service_healthy" } });
    const env = environment("rollup");
    expect(env.INFLUXDB_URL).toBe("http://influxdb:8086");
    expect(env.INFLUXDB_TOKEN).toMatch(/^\$\{INFLUXDB_TOKEN:\?/);
    expect(JSON.stringify(rollup.healthcheck?.test)).toContain(env.ROLLUP_HEARTBEAT_FILE);
    expect(rollup.ports).toBeUndefined();
    expect(rollup.profiles).toBeUndefined();
  });

  it("k6: own image, profile load, waits for the stack healthy, streams to InfluxDB v2, reports to ./reports", () => {
    const k6 = service("k6");
    expect(k6.build).toEqual({ context: ".", dockerfile: "infra/k6/Dockerfile" });
    expect(k6.profiles).toEqual(["load"]);
    expect(k6.depends_on).toEqual({
      "agentapi-stub": { condition: "service_healthy" },
      grafana: { condition: "service_healthy" },
      influxdb: { condition: "service_healthy" },
      // The dashboard's latency row needs the rollup running while the run writes.
      rollup: { condition: "service_healthy" },
    });
    const env = environment("k6");
    expect(env.K6_OUT).toBe("xk6-influxdb=http://influxdb:8086");
    expect(env.K6_INFLUXDB_ORGANIZATION).toMatch(/^\$\{INFLUXDB_ORG/);
    expect(env.K6_INFLUXDB_BUCKET).toBe("k6");
    expect(env.K6_INFLUXDB_TOKEN).toMatch(/^\$\{INFLUXDB_TOKEN:\?/);
    expect(env.TESTID).toMatch(/^\$\{TESTID/);
    expect(env.K6_WEB_DASHBOARD).toBe("true");
    expect(env.K6_WEB_DASHBOARD_EXPORT).toMatch(/^reports\/\$\{TESTID:-manual\}\/.+\.html$/);
    expect(env.REPORT_DIR).toBe("reports/${TESTID:-manual}");
    expect(k6.volumes?.map(String)).toContain("./reports:/home/k6/reports");
  });

  it("k6 targets default to the stub inside compose and stay overridable", () => {
    const env = environment("k6");
    expect(env.BASE_URL).toBe("${BASE_URL:-http://agentapi-stub:3284}");
    expect(env.OAUTH_BASE_URL).toBe("${OAUTH_BASE_URL:-http://agentapi-stub:3000/api/mcp/oauth}");
    expect(env.AUTH_URL).toBe("${AUTH_URL:-http://agentapi-stub:3000/api/auth/token}");
    expect(env.MCP_URL).toBe("${MCP_URL:-http://agentapi-stub:3000/mcp}");
    for (const knob of [
      "PROFILE",
      "SCENARIOS",
      "VUS_FACTOR",
      "TIME_SCALE",
      "AGENT_ONLY",
      "THINK_TIME_SCALE",
      "CONFIRM_PRODUCTION",
      "AGENTAPI_URLS",
    ]) {
      expect(env[knob], knob).toMatch(new RegExp(`^\\$\\{${knob}:-`));
    }
  });

  it("k6 gets the prompt budget, CONFIRM_PROMPTS and the AgentAPI credentials, empty unless set", () => {
    const env = environment("k6");
    for (const key of ["MAX_PROMPTS", "CONFIRM_PROMPTS", ...OPTIONAL_SECRETS]) {
      expect(env[key], key).toBe(`\${${key}:-}`);
    }
  });

  it("k6 drives the stub's fleet by default, one agent per VU; the fleet keys default only when unset", () => {
    const k6 = environment("k6");
    // `-`, not `:-`: run-tests.sh passes them empty to mean "no fleet" when BASE_URL names one server.
    expect(k6.AGENTAPI_URL_TEMPLATE).toBe("${AGENTAPI_URL_TEMPLATE-http://agentapi-stub:3284/agents/{agent}}");
    expect(k6.AGENTS).toMatch(/^\$\{AGENTS-\d+\}$/);
    expect(environment("agentapi-stub").STUB_AGENTS).toMatch(/^\$\{STUB_AGENTS:-\d+\}$/);
    // The sizes agree and cover the local profile: tests/stack/compose-env.test.ts.
  });
});

describe("no secret is written in compose or committed env files", () => {
  const SECRET_KEY = /TOKEN|PASSWORD|SECRET|API_KEY|HEADERS/;

  it("every secret-looking variable in compose is a required interpolation, or an optional one defaulting to empty", () => {
    let checked = 0;
    for (const [name, svc] of Object.entries(composeFile().services ?? {})) {
      if (!isRecord(svc.environment)) continue;
      for (const [key, value] of Object.entries(svc.environment)) {
        if (!SECRET_KEY.test(key)) continue;
        checked += 1;
        // The stack's own secrets are required (make up generates them); the AgentAPI credentials are optional
        // (most targets need none), passed through from the environment or .env, with no default of their own.
        if (OPTIONAL_SECRETS.includes(key)) expect(String(value), `${name}.${key}`).toBe(`\${${key}:-}`);
        else expect(String(value), `${name}.${key}`).toMatch(/^\$\{[A-Z0-9_]+:\?[^}]*\}$/);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it("no long random-looking literal (a token) appears anywhere in compose", () => {
    expect(tokenLikeStrings(composeText)).toEqual([]);
    // The detector itself finds what ensure-env.sh and InfluxDB generate.
    expect(tokenLikeStrings(`a: ${"0123456789abcdef".repeat(4)}`)).toHaveLength(1);
    expect(tokenLikeStrings("b: Xy9_kLm2PqR7sTuV3wXyZ0aBcDeFgHiJkLmNoP==")).toHaveLength(1);
  });

  it(".env.example holds only placeholders for secrets and documents every variable compose reads", () => {
    const example = parseEnvFile(".env.example");
    for (const [key, value] of Object.entries(example)) {
      if (SECRET_KEY.test(key)) expect(value, key).toBe("change-me");
    }
    // Variables set per run by run-tests.sh / the Makefile rather than in .env.
    const perRun = new Set([
      "TESTID",
      "PROFILE",
      "SCENARIOS",
      "VUS_FACTOR",
      "AGENT_ONLY",
      "THINK_TIME_SCALE",
      "TIME_SCALE",
      "CONFIRM_PRODUCTION",
      "MAX_PROMPTS",
      "CONFIRM_PROMPTS",
      "AGENTAPI_TRANSPORT",
      "BASE_URL",
      "AGENTAPI_URL_TEMPLATE",
      "AGENTS",
      "AGENTAPI_URLS",
      // The fleet's size: its default follows the local profile (tests/stack/compose-env.test.ts), so .env does
      // not pin it; `make up STUB_AGENTS=n` (or a line in .env) changes it.
      "STUB_AGENTS",
      "OAUTH_BASE_URL",
      "AUTH_URL",
      "MCP_URL",
      "HOST_UID",
      "HOST_GID",
    ]);
    // A capacity search's knobs are per run too (make capacity / npm run capacity), documented in k6/README.md.
    const capacityKnobs = [...composeText.matchAll(/\$\{(CAPACITY[A-Z0-9_]*)/g)].map((m) => m[1]!);
    expect(capacityKnobs.length).toBeGreaterThan(0);
    const k6Readme = readText("k6/README.md");
    for (const knob of capacityKnobs) {
      expect(k6Readme, `k6/README.md documents ${knob}`).toContain(knob);
      perRun.add(knob);
    }
    // The opt-in agentapi-real(-acp) services (profile real) document their knobs in their own README.
    const realReadme = readText("infra/agentapi-real/README.md");
    const realKnobs = new Set([
      "AGENTAPI_REAL_PORT",
      "AGENTAPI_REAL_ACP_PORT",
      "FAKE_AGENT_THINK_MS",
      "FAKE_AGENT_CHUNK_MS",
    ]);
    for (const knob of realKnobs) expect(realReadme, `infra/agentapi-real/README.md documents ${knob}`).toContain(knob);
    // Optional settings are documented as commented lines (`# NAME=…`): `make up` copies them as they are.
    const commented = new Set([...readText(".env.example").matchAll(/^# ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
    const referenced = new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!));
    const undocumented = [...referenced].filter(
      (name) => !(name in example) && !commented.has(name) && !perRun.has(name) && !realKnobs.has(name),
    );
    expect(undocumented).toEqual([]);
  });

  it(".env.example documents the AgentAPI credentials commented out and empty, so .env never gets a made-up one", () => {
    const example = parseEnvFile(".env.example");
    const text = readText(".env.example");
    for (const key of OPTIONAL_SECRETS) {
      expect(example, key).not.toHaveProperty(key);
      expect(text, key).toMatch(new RegExp(`^# ${key}=`, "m"));
    }
    expect(text).toMatch(/^# AGENTAPI_TOKEN=$/m);
    expect(text).toMatch(/\.env \(git-ignored\)/);
  });

  it(".env.local, .env.staging and .env.production hold targets and profiles only", () => {
    const allowed = new Set([
      "PROFILE",
      "SCENARIOS",
      "VUS_FACTOR",
      "TIME_SCALE",
      "BASE_URL",
      "AGENTAPI_URL_TEMPLATE",
      "AGENTS",
      "AGENTAPI_URLS",
      "OAUTH_BASE_URL",
      "AUTH_URL",
      "MCP_URL",
      "AGENT_ONLY",
      "AGENTAPI_TRANSPORT",
      "MAX_PROMPTS",
    ]);
    // run-tests.sh accepts exactly these (ENV_FILE_KEYS) and refuses the secrets there.
    const script = readText("run-tests.sh");
    const envFileKeys = /^readonly ENV_FILE_KEYS="([^"]*)"$/m.exec(script)?.[1]?.split(" ");
    expect(new Set(envFileKeys)).toEqual(allowed);
    expect(/^readonly SECRET_KEYS="([^"]*)"$/m.exec(script)?.[1]?.split(" ")).toEqual(OPTIONAL_SECRETS);
    for (const [file, profile] of [
      [".env.local", "local"],
      [".env.staging", "staging"],
      [".env.production", "production"],
    ] as const) {
      const values = parseEnvFile(file);
      expect(values.PROFILE, file).toBe(profile);
      expect(
        Object.keys(values).filter((key) => !allowed.has(key)),
        file,
      ).toEqual([]);
    }
  });

  it(".env.staging and .env.production carry a prompt budget for their real agents; .env.local none", () => {
    const budget = (file: string) => parseEnvFile(file).MAX_PROMPTS;
    expect(budget(".env.staging")).toMatch(/^[1-9]\d*$/);
    expect(budget(".env.production")).toMatch(/^[1-9]\d*$/);
    expect(Number(budget(".env.production"))).toBeLessThanOrEqual(Number(budget(".env.staging")));
    expect(budget(".env.local")).toBeUndefined();
  });

  it(".gitignore keeps .env out of git and .env.example in", () => {
    const ignore = readText(".gitignore").split("\n");
    expect(ignore).toContain(".env");
    expect(ignore).toContain("!.env.example");
  });
});

/** Long runs that look like generated secrets: hex, or mixed-case alphanumerics with digits (not names or paths). */
function tokenLikeStrings(text: string): string[] {
  return [...text.matchAll(/[A-Za-z0-9_\-+/=]{32,}/g)]
    .map((match) => match[0])
    .filter(
      (run) =>
        /^[0-9a-f]+$/i.test(run) || (/[a-z]/.test(run) && /[A-Z]/.test(run) && /\d/.test(run) && !run.includes("/")),
    );
}

function parseEnvFile(file: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of readText(file).split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!match) throw new Error(`${file}: not KEY=value: ${line}`);
    values[match[1]!] = match[2]!;
  }
  return values;
}
