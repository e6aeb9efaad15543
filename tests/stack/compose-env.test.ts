// The environment docker compose hands each container, interpolated as compose does (from a fresh .env), is
// accepted by the programs inside: the reference target's config loader and the k6 suite's. This catches wiring
// mistakes (a malformed default, a wrong target URL) that the schema cannot see.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig as loadStubConfig } from "../../infra/agentapi-stub/src/config";
import { agentCount, agentNumberForVu, agentUrlOf, loadConfig as loadK6Config } from "../../k6/src/config";
import { SCENARIO_NAMES } from "../../k6/src/names";
import { buildScenarios, peakVus, PROFILES } from "../../k6/src/profiles";
import { isRecord, readText, run } from "./repo";

const scratch = mkdtempSync(join(tmpdir(), "agentapi-load-compose-env-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Compose's interpolation: $$, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR. A braced
 * expression ends where its braces balance, counting every `{` as compose-go does since 2024 (compose-go#581), so
 * a default may hold braces of its own (the fleet's `{agent}`) or a nested ${…}.
 */
function interpolate(text: string, vars: Readonly<Record<string, string | undefined>>): string {
  let out = "";
  let at = 0;
  for (;;) {
    const dollar = text.indexOf("$", at);
    if (dollar < 0) return out + text.slice(at);
    out += text.slice(at, dollar);
    if (text[dollar + 1] === "$") {
      out += "$";
      at = dollar + 2;
      continue;
    }
    if (text[dollar + 1] !== "{") {
      const bare = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(dollar + 1));
      out += bare ? (vars[bare[0]] ?? "") : "$";
      at = dollar + 1 + (bare ? bare[0].length : 0);
      continue;
    }
    let depth = 0;
    let close = -1;
    for (let i = dollar + 1; i < text.length; i++) {
      if (text[i] === "{") depth++;
      else if (text[i] === "}" && --depth === 0) {
        close = i;
        break;
      }
    }
    if (close < 0) throw new Error(`unclosed \${ at ${dollar}`);
    const body = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([\s\S]*))?$/.exec(text.slice(dollar + 2, close));
    if (!body) throw new Error(`invalid \${…} at ${dollar}`);
    const [, name, colon, op, arg] = body as unknown as [string, string, string?, string?, string?];
    const value = vars[name];
    const missing = value === undefined || (colon === ":" && value === "");
    if (!missing) out += value;
    else if (op === "-") out += interpolate(arg ?? "", vars);
    else if (op === "?") throw new Error(`required variable ${name} is missing: ${arg ?? ""}`);
    at = close + 1;
  }
}

/** The .env `make up` would create, read as KEY=value pairs. */
function freshDotEnv(): Record<string, string> {
  const file = join(scratch, ".env");
  rmSync(file, { force: true });
  expect(run("./scripts/ensure-env.sh", [file]).status).toBe(0);
  const values: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match) values[match[1]!] = match[2]!;
  }
  return values;
}

/**
 * The variables `run-tests.sh … --dry-run` would export for `docker compose run k6`. Empty standard keys are left
 * out (compose's `:-` defaults treat empty and unset alike); the fleet keys are printed only when set, and an empty
 * one is kept, because for them (`${VAR-…}`) empty means "no fleet", not "the default".
 */
function runTestsVars(args: string[]): Record<string, string> {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(PROFILE|SCENARIOS|VUS_FACTOR|TIME_SCALE|BASE_URL|OAUTH_BASE_URL|AUTH_URL|MCP_URL|AGENT)/.test(key)) {
      delete env[key];
    }
  }
  for (const key of ["TESTID", "CONFIRM_PRODUCTION", "CONFIRM_PROMPTS", "MAX_PROMPTS", "K6_BIN", "STUB_AGENTS"]) {
    delete env[key];
  }
  const result = run("./run-tests.sh", [...args, "--dry-run"], { env, input: "" });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  const vars: Record<string, string> = {};
  for (const line of result.stdout.split("\n")) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    const [, key, value] = match as unknown as [string, string, string];
    // Secrets are printed masked ("*** (set, …)"): not values to hand on.
    if (value.startsWith("***")) continue;
    if (value !== "" || ["AGENTAPI_URL_TEMPLATE", "AGENTS", "AGENTAPI_URLS"].includes(key)) vars[key] = value;
  }
  return vars;
}

/**
 * A service's environment as its container gets it: compose parses the YAML first and interpolates the values it
 * holds, so a value may be any text (a JSON object such as AGENTAPI_HEADERS stays a string).
 */
function containerEnv(service: string, vars: Record<string, string | undefined>): Record<string, string> {
  const compose: unknown = parse(readText("docker-compose.yml"));
  if (!isRecord(compose) || !isRecord(compose.services)) throw new Error("no services");
  const svc = compose.services[service];
  if (!isRecord(svc) || !isRecord(svc.environment)) throw new Error(`${service}: no environment map`);
  const text = (v: unknown): string =>
    typeof v === "string" ? interpolate(v, vars) : typeof v === "number" || typeof v === "boolean" ? String(v) : "";
  return Object.fromEntries(Object.entries(svc.environment).map(([k, v]) => [k, text(v)]));
}

describe("docker-compose.yml interpolated from a fresh .env", () => {
  const dotEnv = freshDotEnv();

  it("fails loudly without .env: the token and passwords are required, not defaulted", () => {
    expect(() => interpolate(readText("docker-compose.yml"), {})).toThrow(/required variable INFLUXDB_/);
  });

  it("gives every service the same InfluxDB token and org", () => {
    const influx = containerEnv("influxdb", dotEnv);
    const grafana = containerEnv("grafana", dotEnv);
    const k6 = containerEnv("k6", dotEnv);
    expect(influx.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN).toMatch(/^[0-9a-f]{64}$/);
    expect(grafana.INFLUXDB_TOKEN).toBe(influx.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN);
    expect(k6.K6_INFLUXDB_TOKEN).toBe(influx.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN);
    expect(k6.K6_INFLUXDB_ORGANIZATION).toBe(influx.DOCKER_INFLUXDB_INIT_ORG);
    expect(k6.K6_INFLUXDB_BUCKET).toBe(influx.DOCKER_INFLUXDB_INIT_BUCKET);
  });

  it("the reference target accepts its environment (binding 0.0.0.0 as in its image)", () => {
    const env = { ...containerEnv("agentapi-stub", dotEnv), STUB_HOST: "0.0.0.0" };
    const config = loadStubConfig(env);
    expect(config.allowedHosts).toEqual(["*"]);
    expect(config.agentApiPort).toBe(3284);
    expect(config.brokerPort).toBe(3000);
    expect(config.faults).toMatchObject({ delayMs: 0, errorRate: 0 });
  });

  it("the k6 suite accepts its environment and targets the stub inside compose", () => {
    const env = containerEnv("k6", { ...dotEnv, TESTID: "20260101-000000-abcd", PROFILE: "smoke" });
    const config = loadK6Config(env);
    expect(config.testId).toBe("20260101-000000-abcd");
    expect(config.reportDir).toBe("reports/20260101-000000-abcd");
    expect(config.profile.name).toBe("smoke");
    expect(env.BASE_URL).toBe("http://agentapi-stub:3284");
    expect(env.MCP_URL).toBe("http://agentapi-stub:3000/mcp");
  });

  it("the fake agent behind agentapi-real accepts its environment (think time from FAKE_AGENT_THINK_MS)", () => {
    for (const [vars, thinkMs] of [
      [dotEnv, "1000"],
      [{ ...dotEnv, FAKE_AGENT_THINK_MS: "250" }, "250"],
    ] as const) {
      const env = containerEnv("agentapi-real", vars);
      expect(env.AGENTAPI_ALLOWED_HOSTS).toBe("*");
      const agent = run(process.execPath, ["--import", "tsx", "infra/agentapi-real/fake-agent.ts"], {
        input: "",
        env: { PATH: process.env.PATH, ...env },
      });
      expect(agent.stderr).toBe("");
      expect(agent.status).toBe(0);
      expect(agent.stdout).toContain(`think time ${thinkMs} ms`);
    }
  });

  it("the fake ACP agent behind agentapi-real-acp accepts its environment (think time and chunk cadence)", () => {
    const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: 1 } };
    for (const vars of [dotEnv, { ...dotEnv, FAKE_AGENT_THINK_MS: "250", FAKE_AGENT_CHUNK_MS: "50" }]) {
      const env = containerEnv("agentapi-real-acp", vars);
      expect(env.AGENTAPI_ALLOWED_HOSTS).toBe("*");
      expect(env.FAKE_AGENT_THINK_MS).toBe(vars.FAKE_AGENT_THINK_MS ?? "1000");
      expect(env.FAKE_AGENT_CHUNK_MS).toBe(vars.FAKE_AGENT_CHUNK_MS ?? "100");
      const agent = run(process.execPath, ["--import", "tsx", "infra/agentapi-real/fake-acp-agent.ts"], {
        input: `${JSON.stringify(initialize)}\n`,
        env: { PATH: process.env.PATH, ...env },
      });
      expect(agent.stderr).toBe("");
      expect(agent.status).toBe(0);
      expect(JSON.parse(agent.stdout)).toMatchObject({ id: 1, result: { protocolVersion: 1, authMethods: [] } });
    }
  });

  it("the default fleet: one stub agent per VU of the local profile; the stub and k6 agree on its size", () => {
    // N is the sum of the local profile's per-scenario peak VUs (k6 numbers VUs across scenarios, each scenario
    // holding its own peak), rounded up to a multiple of 100. A profile that grows past it fails here.
    const local = buildScenarios(PROFILES.local, SCENARIO_NAMES, 1);
    const vus = Object.values(local).reduce((sum, scenario) => sum + peakVus(scenario), 0);
    const raw = readText("docker-compose.yml");
    const stubDefault = Number(/STUB_AGENTS: \$\{STUB_AGENTS:-(\d+)\}/.exec(raw)?.[1]);
    const k6Default = Number(/ AGENTS: \$\{AGENTS-(\d+)\}/.exec(raw)?.[1]);
    expect(stubDefault, "the stub's default fleet").toBeGreaterThanOrEqual(vus);
    expect(stubDefault % 100, "a round number").toBe(0);
    expect(stubDefault - vus, "rounded up to the next multiple of 100, not more").toBeLessThan(100);
    expect(k6Default, "k6's AGENTS default = the stub's STUB_AGENTS default").toBe(stubDefault);

    const stub = loadStubConfig({ ...containerEnv("agentapi-stub", dotEnv), STUB_HOST: "0.0.0.0" });
    expect(stub.agents).toBe(stubDefault);
    // `make load` (run-tests.sh --docker, no target given) leaves the fleet keys to compose's defaults.
    const vars = runTestsVars(["--docker"]);
    expect(Object.keys(vars)).not.toContain("AGENTAPI_URL_TEMPLATE");
    const k6 = loadK6Config(containerEnv("k6", { ...dotEnv, ...vars }));
    expect(k6.agents).toEqual({
      kind: "template",
      template: "http://agentapi-stub:3284/agents/{agent}",
      agents: stub.agents,
    });
    const agents = Array.from({ length: vus }, (_, i) => agentNumberForVu(k6.agents, i + 1));
    expect(new Set(agents).size, "no two VUs of the local profile share an agent").toBe(vus);
    expect(Math.max(...agents)).toBeLessThanOrEqual(stub.agents);
    expect(agentUrlOf(k6.agents, agentCount(k6.agents))).toBe(`http://agentapi-stub:3284/agents/${stub.agents}`);
  });

  it("a BASE_URL means that one server: run-tests.sh switches the default fleet off", () => {
    const vars = runTestsVars(["--docker", "--agent-only", "--base-url", "http://host.docker.internal:3284"]);
    expect(vars).toMatchObject({ AGENTAPI_URL_TEMPLATE: "", AGENTS: "" });
    const env = containerEnv("k6", { ...dotEnv, ...vars });
    expect(env.AGENTAPI_URL_TEMPLATE).toBe("");
    const config = loadK6Config(env);
    expect(config.agents).toEqual({ kind: "single", url: "http://host.docker.internal:3284" });
    expect(config.agentOnly).toBe(true);
  });

  it("AGENTS, AGENTAPI_URL_TEMPLATE and AGENTAPI_URLS reach the k6 container as fleets", () => {
    const bigger = loadK6Config(containerEnv("k6", { ...dotEnv, ...runTestsVars(["--docker", "--agents", "50"]) }));
    expect(bigger.agents).toEqual({
      kind: "template",
      template: "http://agentapi-stub:3284/agents/{agent}",
      agents: 50,
    });
    const template = "http://host.docker.internal:8080/ws/{agent}/agentapi";
    const own = runTestsVars(["--docker", "--agent-url-template", template, "--agents", "3"]);
    expect(loadK6Config(containerEnv("k6", { ...dotEnv, ...own })).agents).toEqual({
      kind: "template",
      template,
      agents: 3,
    });
    const list = runTestsVars([
      "--docker",
      "--agent-urls",
      "http://host.docker.internal:3284,http://host.docker.internal:3285",
    ]);
    expect(loadK6Config(containerEnv("k6", { ...dotEnv, ...list })).agents).toEqual({
      kind: "list",
      urls: ["http://host.docker.internal:3284", "http://host.docker.internal:3285"],
    });
  });

  it("TIME_SCALE reaches the k6 container (default 1)", () => {
    expect(loadK6Config(containerEnv("k6", dotEnv)).timeScale).toBe(1);
    const vars = runTestsVars(["--docker", "--time-scale", "0.1"]);
    expect(loadK6Config(containerEnv("k6", { ...dotEnv, ...vars })).timeScale).toBe(0.1);
  });

  it("MAX_PROMPTS, CONFIRM_PROMPTS and the AgentAPI credentials reach the k6 container; unset, none of them", () => {
    const none = loadK6Config(containerEnv("k6", dotEnv));
    expect(none).toMatchObject({ maxPrompts: null, confirmPrompts: false, agentApiHeaders: {} });
    const vars = runTestsVars(["--docker", "--max-prompts", "40", "--yes"]);
    expect(vars).toMatchObject({ MAX_PROMPTS: "40", CONFIRM_PROMPTS: "yes" });
    // The secrets are not in run-tests.sh's printout: compose takes them from the environment (or .env) itself.
    const secrets = { AGENTAPI_TOKEN: "tok-1", AGENTAPI_HEADERS: '{"Coder-Session-Token":"s-1","X-Team":"load"}' };
    const env = containerEnv("k6", { ...dotEnv, ...vars, ...secrets });
    expect(env.AGENTAPI_HEADERS).toBe(secrets.AGENTAPI_HEADERS);
    const config = loadK6Config(env);
    expect(config.maxPrompts).toBe(40);
    expect(config.confirmPrompts).toBe(true);
    expect(config.agentApiHeaders).toEqual({
      Authorization: "Bearer tok-1",
      "Coder-Session-Token": "s-1",
      "X-Team": "load",
    });
  });

  it("run-tests.sh's overrides reach the k6 container", () => {
    const env = containerEnv("k6", {
      ...dotEnv,
      TESTID: "20260101-000000-abcd",
      PROFILE: "staging",
      SCENARIOS: "authentication,list_tools",
      VUS_FACTOR: "0.5",
      BASE_URL: "http://host.docker.internal:3284",
    });
    const config = loadK6Config(env);
    expect(config.profile.name).toBe("staging");
    expect(env.SCENARIOS).toBe("authentication,list_tools");
    expect(env.BASE_URL).toBe("http://host.docker.internal:3284");
    expect(env.VUS_FACTOR).toBe("0.5");
  });
});
