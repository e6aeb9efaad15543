// The environment docker compose hands each container, interpolated as compose does (from a fresh .env), is
// accepted by the programs inside: the reference target's config loader and the k6 suite's. This catches wiring
// mistakes (a malformed default, a wrong target URL) that the schema cannot see.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig as loadStubConfig } from "../../infra/agentapi-stub/src/config";
import { loadConfig as loadK6Config } from "../../k6/src/config";
import { isRecord, readText, run } from "./repo";

const scratch = mkdtempSync(join(tmpdir(), "agentapi-load-compose-env-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Compose's interpolation: $$, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR. */
function interpolate(text: string, vars: Readonly<Record<string, string | undefined>>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
      if (whole === "$$") return "$";
      const name = (braced ?? bare)!;
      const value = vars[name];
      const missing = value === undefined || (colon === ":" && value === "");
      if (!missing) return value;
      if (op === "-") return arg ?? "";
      if (op === "?") throw new Error(`required variable ${name} is missing: ${arg ?? ""}`);
      return "";
    },
  );
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

function containerEnv(service: string, vars: Record<string, string | undefined>): Record<string, string> {
  const compose: unknown = parse(interpolate(readText("docker-compose.yml"), vars));
  if (!isRecord(compose) || !isRecord(compose.services)) throw new Error("no services");
  const svc = compose.services[service];
  if (!isRecord(svc) || !isRecord(svc.environment)) throw new Error(`${service}: no environment map`);
  const text = (v: unknown): string =>
    typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : "";
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
