// The opt-in Prometheus backend (issue 17), checked without Docker: the compose service (profile, pinned v3 image,
// loopback port, healthcheck, remote-write receiver, retention), its config under promtool, the Grafana datasource
// `prometheus-k6`, and the one setting that picks the backend — METRICS / --metrics — through run-tests.sh (the k6
// `--out` flags and environment for each value, with fake `docker` and `k6` on PATH) and the Makefile.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { hasCommand, isRecord, readText, readYaml, repoPath, run, type RunResult } from "./repo";

type Json = Record<string, unknown>;

const compose = readYaml("docker-compose.yml") as { services: Record<string, Json>; volumes?: Json };
const service = (name: string): Json => {
  const found = compose.services[name];
  if (!found) throw new Error(`service ${name} is missing`);
  return found;
};
const environment = (name: string): Record<string, string> => {
  const env = service(name).environment;
  if (!isRecord(env)) throw new Error(`${name}: environment must be a map`);
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
};
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** run-tests.sh's own constants, so the test follows the script rather than restating it. */
const script = readText("run-tests.sh");
const constant = (name: string): string => {
  const value = new RegExp(`^readonly ${name}="([^"]*)"$`, "m").exec(script)?.[1];
  if (value === undefined) throw new Error(`run-tests.sh has no readonly ${name}`);
  return value;
};
const PUSH_INTERVAL = constant("PROMETHEUS_PUSH_INTERVAL");
const OUTPUT = "experimental-prometheus-rw";

const datasourceFile = "infra/grafana/provisioning/datasources/prometheus.yaml";
const datasource = (): Json => {
  const doc = readYaml(datasourceFile) as { datasources?: Json[] };
  const found = (doc.datasources ?? []).find((d) => d.uid === "prometheus-k6");
  if (!found) throw new Error(`${datasourceFile} has no datasource with uid prometheus-k6`);
  return found;
};

describe("docker-compose.yml: the prometheus service", () => {
  const prometheus = service("prometheus");
  const command = strings(prometheus.command);

  it("is opt-in: compose profile `prometheus`, nothing depends on it, so `make up` alone does not start it", () => {
    expect(prometheus.profiles).toEqual(["prometheus"]);
    for (const [name, other] of Object.entries(compose.services)) {
      expect(JSON.stringify(other.depends_on ?? {}), name).not.toContain("prometheus");
    }
  });

  it("runs a pinned Prometheus 3 image (an explicit vX.Y.Z tag, never latest)", () => {
    expect(prometheus.image).toMatch(/^prom\/prometheus:v3\.\d+\.\d+$/);
  });

  it("publishes 9090 on loopback only, the host port movable like the others", () => {
    expect(strings(prometheus.ports)).toEqual(["127.0.0.1:${PROMETHEUS_PORT:-9090}:9090"]);
  });

  it("has a healthcheck on /-/ready with the image's own busybox wget, bounded retries", () => {
    const check = prometheus.healthcheck as Json;
    expect(check.test).toEqual(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9090/-/ready"]);
    expect(Number(check.retries)).toBeGreaterThan(0);
    expect(String(check.interval)).toMatch(/^\d+s$/);
  });

  it("enables the remote-write receiver, states its retention, reads infra/prometheus/prometheus.yml", () => {
    expect(command).toContain("--web.enable-remote-write-receiver");
    expect(command).toContain("--config.file=/etc/prometheus/prometheus.yml");
    expect(command).toContain("--storage.tsdb.path=/prometheus");
    expect(command).toContain("--storage.tsdb.retention.time=${PROMETHEUS_RETENTION:-30d}");
    expect(strings(prometheus.volumes)).toEqual([
      "./infra/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
      "prometheus-data:/prometheus",
    ]);
    expect(Object.keys(compose.volumes ?? {})).toContain("prometheus-data");
  });

  it("passes no native-histograms feature flag: a no-op since v3.9 (native histograms are stable, always ingested)", () => {
    const minor = Number(/:v3\.(\d+)\./.exec(String(prometheus.image))?.[1]);
    expect(minor).toBeGreaterThanOrEqual(9);
    expect(command.join(" ")).not.toContain("native-histograms");
  });

  it("the k6 service keeps InfluxDB as its default output and carries the remote-write output's settings", () => {
    const k6 = environment("k6");
    expect(k6.K6_OUT).toBe("xk6-influxdb=http://influxdb:8086");
    expect(k6).toMatchObject({
      K6_PROMETHEUS_RW_SERVER_URL: "http://prometheus:9090/api/v1/write",
      K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM: "true",
      K6_PROMETHEUS_RW_PUSH_INTERVAL: PUSH_INTERVAL,
      K6_PROMETHEUS_RW_STALE_MARKERS: "true",
    });
    // No credential in compose: the stack's Prometheus takes none.
    expect(Object.keys(k6).filter((k) => /^K6_PROMETHEUS_RW_(USERNAME|PASSWORD|HEADERS)/.test(k))).toEqual([]);
  });
});

describe("infra/prometheus/prometheus.yml", () => {
  // CI installs promtool (Debian's prometheus package); elsewhere the check says why it did not run.
  const promtool = hasCommand("promtool");
  if (!promtool) console.warn("stack/prometheus-backend: promtool not installed, skipping `promtool check config`");

  it.runIf(promtool)("passes `promtool check config`", () => {
    const result = run("promtool", ["check", "config", repoPath("infra/prometheus/prometheus.yml")]);
    expect(result.stdout + result.stderr).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("scrapes nothing but Prometheus itself (k6 pushes), and README.md documents flags and retention", () => {
    const config = readYaml("infra/prometheus/prometheus.yml") as { scrape_configs?: Json[]; remote_write?: unknown };
    expect((config.scrape_configs ?? []).map((c) => c.job_name)).toEqual(["prometheus"]);
    expect(config.remote_write).toBeUndefined();
    const readme = readText("infra/prometheus/README.md");
    for (const text of [
      "--web.enable-remote-write-receiver",
      "--storage.tsdb.retention.time",
      "native-histograms",
      "K6_PROMETHEUS_RW_SERVER_URL",
      "K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM",
      String(service("prometheus").image),
    ]) {
      expect(readme, text).toContain(text);
    }
  });
});

describe("Grafana provisioning: the Prometheus datasource", () => {
  it("has uid prometheus-k6, type prometheus, the compose service's URL and POST queries", () => {
    expect(datasource()).toMatchObject({
      uid: "prometheus-k6",
      type: "prometheus",
      access: "proxy",
      url: "http://prometheus:9090",
      editable: false,
    });
    expect((datasource().jsonData as Json).httpMethod).toBe("POST");
  });

  it("its timeInterval is k6's push interval everywhere it is set (compose, run-tests.sh, k6-operator)", () => {
    expect((datasource().jsonData as Json).timeInterval).toBe(PUSH_INTERVAL);
    expect(environment("k6").K6_PROMETHEUS_RW_PUSH_INTERVAL).toBe(PUSH_INTERVAL);
    const settings = readYaml("deploy/k6-operator/settings.yaml") as { data: Record<string, string> };
    expect(settings.data.K6_PROMETHEUS_RW_PUSH_INTERVAL).toBe(PUSH_INTERVAL);
  });

  it("names the image's Prometheus version, and InfluxDB stays the default datasource", () => {
    const tag = /:v(\d+\.\d+\.\d+)$/.exec(String(service("prometheus").image))?.[1];
    expect((datasource().jsonData as Json).prometheusVersion).toBe(tag);
    expect(datasource().isDefault).toBe(false);
    const influx = parse(readText("infra/grafana/provisioning/datasources/influxdb.yaml")) as { datasources: Json[] };
    expect(influx.datasources.find((d) => d.uid === "influxdb-k6")?.isDefault).toBe(true);
  });
});

// ---- run-tests.sh and the Makefile -----------------------------------------------------------------------------------

const scratch = mkdtempSync(join(tmpdir(), "agentapi-load-prometheus-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The parent environment without what run-tests.sh reads, so each case states its own settings. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(K6_|INFLUXDB_|PROMETHEUS_)/.test(key)) delete env[key];
  }
  for (const key of [
    "METRICS",
    "PROFILE",
    "SCENARIOS",
    "VUS_FACTOR",
    "TIME_SCALE",
    "BASE_URL",
    "OAUTH_BASE_URL",
    "AUTH_URL",
    "MCP_URL",
    "AGENT_ONLY",
    "TESTID",
    "CONFIRM_PRODUCTION",
    "CONFIRM_PROMPTS",
    "MAX_PROMPTS",
    "AGENTAPI_URL_TEMPLATE",
    "AGENTS",
    "AGENTAPI_URLS",
    "AGENTAPI_TOKEN",
    "AGENTAPI_HEADERS",
    "AGENTAPI_TRANSPORT",
  ]) {
    delete env[key];
  }
  return { ...env, TESTID: "20260101-000000-9e70", ...extra };
}

/** Our own diagnostic lines, without make's "make: *** [...] Error 2" trailer. */
const ownLines = (result: RunResult): string[] =>
  result.stderr.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("make: ***"));

const runTests = (args: string[], env: Record<string, string> = {}): RunResult =>
  run("./run-tests.sh", args, { env: cleanEnv(env), input: "" });

/** `--dry-run`'s KEY=value lines and its command. */
function dryRun(args: string[], env: Record<string, string> = {}): Record<string, string> {
  const result = runTests([...args, "--dry-run"], env);
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  const settings: Record<string, string> = {};
  for (const line of result.stdout.split("\n")) {
    const match = /^([A-Z0-9_]+|command)[=:] ?(.*)$/.exec(line);
    if (match) settings[match[1]!] = match[2]!;
  }
  return settings;
}

/**
 * A copy of run-tests.sh with the guard scripts, env files and a bundle stand-in, plus fake `docker` and `k6` that
 * append each call's arguments (one call a line, tab-separated) and environment to files in the sandbox.
 */
function sandbox(name: string, k6Version: string, dotenv = ""): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = join(scratch, name);
  rmSync(dir, { recursive: true, force: true });
  for (const sub of ["scripts", "k6/dist", "bin"]) mkdirSync(join(dir, sub), { recursive: true });
  copyFileSync(repoPath("run-tests.sh"), join(dir, "run-tests.sh"));
  chmodSync(join(dir, "run-tests.sh"), 0o755);
  for (const file of ["require-docker.sh", "ensure-env.sh", "new-testid.sh"]) {
    copyFileSync(repoPath("scripts", file), join(dir, "scripts", file));
    chmodSync(join(dir, "scripts", file), 0o755);
  }
  for (const file of [".env.local", ".env.staging", ".env.production", ".env.example"]) {
    copyFileSync(repoPath(file), join(dir, file));
  }
  if (dotenv !== "") writeFileSync(join(dir, ".env"), dotenv, { mode: 0o600 });
  writeFileSync(join(dir, "k6", "dist", "main.stock.js"), "// stand-in: the fake k6 never reads it\n");
  const recorder = (program: string, extra: string) => {
    const path = join(dir, "bin", program);
    writeFileSync(
      path,
      [
        "#!/usr/bin/env bash",
        extra,
        `(IFS=$'\\t'; printf '%s\\n' "$*") >> "${dir}/${program}.calls"`,
        `env > "${dir}/${program}.env"`,
      ].join("\n") + "\n",
    );
    chmodSync(path, 0o755);
  };
  // require-docker.sh asks `docker info` and `docker compose version`: answered, not recorded.
  recorder("docker", 'case "$1 ${2:-}" in "info "*) echo 28.0.0; exit 0 ;; "compose version") exit 0 ;; esac');
  recorder("k6", `if [ "$1" = version ]; then echo "${k6Version}"; exit 0; fi`);
  return {
    dir,
    env: cleanEnv({ PATH: `${join(dir, "bin")}:${process.env.PATH ?? ""}`, K6_BIN: join(dir, "bin", "k6") }),
  };
}

const calls = (dir: string, program: string): string[][] => {
  try {
    return readFileSync(join(dir, `${program}.calls`), "utf8")
      .trim()
      .split("\n")
      .map((line) => line.split("\t"));
  } catch {
    return [];
  }
};
const envOf = (dir: string, program: string): Record<string, string> =>
  Object.fromEntries(
    readFileSync(join(dir, `${program}.env`), "utf8")
      .split("\n")
      .flatMap((line) =>
        /^[A-Z_][A-Z0-9_]*=/.test(line) ? [[line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]] : [],
      ),
  );

const RUN = ["compose", "--profile", "load", "run", "--rm", "--build", "--no-TTY", "k6"];

describe("run-tests.sh --metrics", () => {
  it("--help documents --metrics and its three values", () => {
    const result = runTests(["--help"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/--metrics NAME +influxdb \(default\) \| prometheus \| both/);
    expect(result.stdout).toContain("METRICS");
  });

  it.each([
    [[], {}, "influxdb"],
    [["--metrics", "prometheus"], {}, "prometheus"],
    [["--metrics=both"], {}, "both"],
    [[], { METRICS: "prometheus" }, "prometheus"],
    [[], { METRICS: "" }, "influxdb"],
    [["--metrics", "influxdb"], { METRICS: "both" }, "influxdb"],
  ] as const)("%j with %j resolves METRICS=%s (flag > environment > influxdb)", (args, env, expected) => {
    expect(dryRun([...args, "--docker"], env).METRICS).toBe(expected);
  });

  it.each([
    ["influxdb", RUN.join(" ")],
    ["prometheus", `${RUN.join(" ")} --out ${OUTPUT}`],
    ["both", `${RUN.join(" ")} --out xk6-influxdb=http://influxdb:8086 --out ${OUTPUT}`],
  ])("--docker --metrics %s runs k6 with the right --out flags", (metrics, command) => {
    const settings = dryRun(["--docker", "--metrics", metrics]);
    expect(settings.command).toBe(`docker ${command}`);
    if (metrics === "influxdb") {
      expect(settings).not.toHaveProperty("K6_PROMETHEUS_RW_SERVER_URL");
    } else {
      expect(settings.K6_PROMETHEUS_RW_SERVER_URL).toBe("http://prometheus:9090/api/v1/write");
      expect(settings.K6_PROMETHEUS_RW_PUSH_INTERVAL).toBe(PUSH_INTERVAL);
    }
  });

  it("a local k6 gets the --out flags with --monitor only (without it nothing streams)", () => {
    const tag = "run --tag testid=20260101-000000-9e70";
    expect(dryRun(["--metrics", "prometheus"], { K6_BIN: "k6" }).command).toBe(`k6 ${tag} k6/dist/main.stock.js`);
    expect(dryRun(["--monitor", "--metrics", "prometheus"], { K6_BIN: "k6" }).command).toBe(
      `k6 ${tag} --out ${OUTPUT} k6/dist/main.stock.js`,
    );
    const both = dryRun(["--monitor", "--metrics", "both"], { K6_BIN: "k6" });
    expect(both.command).toBe(
      `k6 ${tag} --out xk6-influxdb=http://localhost:8086 --out ${OUTPUT} k6/dist/main.stock.js`,
    );
    expect(both.K6_PROMETHEUS_RW_SERVER_URL).toBe("http://localhost:9090/api/v1/write");
  });

  it.each([
    [["--metrics", "graphite"], {}],
    [["--metrics=Prometheus"], {}],
    [[], { METRICS: "influx" }],
    [["--docker"], { METRICS: "prometheus,influxdb" }],
  ] as const)("rejects %j %j with one line, exit 2", (args, env) => {
    const result = runTests([...args, "--dry-run"], env);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(ownLines(result)).toEqual([
      expect.stringMatching(
        /^run-tests\.sh: --metrics must be one of: influxdb, prometheus, both \(got '.+'\) \(see --help\)$/,
      ),
    ]);
  });

  it("--metrics without a value is a usage error (exit 2)", () => {
    const result = runTests(["--metrics"]);
    expect(result.status).toBe(2);
    expect(ownLines(result)).toEqual([expect.stringMatching(/--metrics needs a value/)]);
  });
});

describe("run-tests.sh --metrics, run for real against fake docker and k6", () => {
  it("--docker --metrics prometheus starts Prometheus (its profile), then runs k6 with the remote-write output", () => {
    const { dir, env } = sandbox("docker-prometheus", "k6 v1.8.1 (fake)", "INFLUXDB_TOKEN=x\n");
    const result = run(join(dir, "run-tests.sh"), ["--docker", "--metrics", "prometheus"], { env, input: "" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(calls(dir, "docker")).toEqual([
      ["compose", "--profile", "prometheus", "up", "-d", "--wait", "prometheus"],
      [...RUN, "--out", OUTPUT],
    ]);
    expect(envOf(dir, "docker").METRICS).toBe("prometheus");
    expect(result.stdout).toMatch(/^watch: +http:\/\/localhost:3001\/d\/agentapi-load-prometheus\?var-testid=/m);
    expect(result.stdout).toContain("metrics prometheus)");
  });

  it("--docker --metrics both: two --out flags; the default (influxdb) starts nothing extra and adds no --out", () => {
    const both = sandbox("docker-both", "k6 v1.8.1 (fake)", "INFLUXDB_TOKEN=x\n");
    expect(
      run(join(both.dir, "run-tests.sh"), ["--docker", "--metrics", "both"], { env: both.env, input: "" }).status,
    ).toBe(0);
    expect(calls(both.dir, "docker").at(-1)).toEqual([
      ...RUN,
      "--out",
      "xk6-influxdb=http://influxdb:8086",
      "--out",
      OUTPUT,
    ]);
    const plain = sandbox("docker-influxdb", "k6 v1.8.1 (fake)", "INFLUXDB_TOKEN=x\n");
    const result = run(join(plain.dir, "run-tests.sh"), ["--docker"], { env: plain.env, input: "" });
    expect(result.status).toBe(0);
    expect(calls(plain.dir, "docker")).toEqual([RUN]);
    expect(result.stdout).toMatch(/^watch: +http:\/\/localhost:3001\/d\/agentapi-load\?var-testid=/m);
  });

  it("a stock local k6 with --monitor --metrics prometheus: Prometheus + Grafana up, the output's settings in k6's env", () => {
    const { dir, env } = sandbox("local-prometheus", "k6 v1.8.1 (stock)", "INFLUXDB_TOKEN=x\nPROMETHEUS_PORT=19090\n");
    const result = run(join(dir, "run-tests.sh"), ["--monitor", "--metrics", "prometheus", "--profile", "smoke"], {
      env,
      input: "",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(calls(dir, "docker")).toEqual([
      ["compose", "--profile", "prometheus", "up", "-d", "--wait", "grafana", "prometheus"],
    ]);
    const k6 = calls(dir, "k6");
    expect(k6.at(-1)).toEqual([
      "run",
      "--tag",
      "testid=20260101-000000-9e70",
      "--out",
      OUTPUT,
      "k6/dist/main.stock.js",
    ]);
    const k6env = envOf(dir, "k6");
    expect(k6env).toMatchObject({
      K6_PROMETHEUS_RW_SERVER_URL: "http://localhost:19090/api/v1/write",
      K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM: "true",
      K6_PROMETHEUS_RW_PUSH_INTERVAL: PUSH_INTERVAL,
      K6_PROMETHEUS_RW_STALE_MARKERS: "true",
    });
    // Prometheus alone: no InfluxDB output and no InfluxDB token in k6's environment.
    expect(k6env).not.toHaveProperty("K6_OUT");
    expect(k6env).not.toHaveProperty("K6_INFLUXDB_TOKEN");
  });

  it("a stock local k6 cannot stream to InfluxDB: --monitor --metrics both stops with one line (exit 1)", () => {
    const { dir, env } = sandbox("local-both-stock", "k6 v1.8.1 (stock)", "INFLUXDB_TOKEN=x\n");
    const result = run(join(dir, "run-tests.sh"), ["--monitor", "--metrics", "both"], { env, input: "" });
    expect(result.status).toBe(1);
    expect(ownLines(result)).toEqual([expect.stringMatching(/needs a k6 built with xk6-output-influxdb/)]);
    expect(calls(dir, "docker")).toEqual([]);
  });
});

describe("Makefile: METRICS", () => {
  const make = (args: string[], env: NodeJS.ProcessEnv = cleanEnv()) => run("make", args, { env });

  it("`make up` starts the prometheus profile for prometheus and both, and not by default", () => {
    expect(make(["-n", "up"]).stdout).toMatch(/^docker compose up -d --build --wait$/m);
    for (const metrics of ["prometheus", "both"]) {
      const result = make(["-n", "up", `METRICS=${metrics}`]);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^docker compose --profile prometheus up -d --build --wait$/m);
    }
    expect(make(["-n", "up", "METRICS=influxdb"]).stdout).toMatch(/^docker compose up -d --build --wait$/m);
  });

  it("`make load` hands METRICS to run-tests.sh as --metrics; METRICS from the environment works too", () => {
    expect(make(["-n", "load", "METRICS=both", "PROFILE=smoke"]).stdout).toContain(
      "./run-tests.sh --docker --monitor --metrics both --profile smoke",
    );
    expect(make(["-n", "load"], cleanEnv({ METRICS: "prometheus" })).stdout).toContain(
      "./run-tests.sh --docker --monitor --metrics prometheus",
    );
    expect(make(["-n", "load"]).stdout).not.toContain("--metrics");
  });

  it.each(["up", "load", "smoke"])(
    "`make %s METRICS=bogus` stops with one line before touching Docker (exit 2)",
    (target) => {
      // No docker on PATH: the check comes first, so the line is about METRICS, not Docker.
      const result = make([target, "METRICS=bogus"], cleanEnv({ PATH: "/usr/bin:/bin" }));
      expect(result.status).toBe(2);
      expect(ownLines(result)).toEqual(["METRICS must be one of: influxdb, prometheus, both (got 'bogus')"]);
    },
  );

  it("down, clean, ps and logs include the prometheus profile, so its container is never left behind", () => {
    for (const [target, verb] of [
      ["down", "down --remove-orphans"],
      ["clean", "down --volumes --remove-orphans"],
      ["ps", "ps"],
      ["logs", "logs -f"],
    ] as const) {
      const result = make(["-n", target]);
      expect(result.status, target).toBe(0);
      expect(result.stdout, target).toContain(`docker compose --profile load --profile prometheus ${verb}`);
    }
  });
});
