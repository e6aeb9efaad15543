// The commands users type: the Makefile targets, run-tests.sh and the guard scripts. Docker states are simulated
// with a fake `docker` on PATH, so every branch (not installed, daemon down, no compose, stack not up) is exercised
// here without a daemon. Nothing here starts containers or k6 (run-tests.sh --dry-run resolves without running).
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SCENARIO_NAMES } from "../../k6/src/names";
import { hasCommand, repoPath, run, type RunResult } from "./repo";

const TARGETS = ["help", "up", "load", "smoke", "test", "down", "clean", "logs", "build"];
/** The AgentAPI credentials: secrets, never on a command line, never printed. */
const SECRET_KEYS = ["AGENTAPI_TOKEN", "AGENTAPI_HEADERS"] as const;
// Values no output may contain (distinctive, so a leak anywhere is found by a plain substring search).
const TOKEN = "tok-3f9a1c-never-printed";
const HEADERS = '{"Coder-Session-Token":"hdr-77b2e0-never-printed"}';
const HEADER_VALUE = "hdr-77b2e0-never-printed";
// The suite's own list, so a new journey is tried by the CLI tests too.
const SCENARIOS = SCENARIO_NAMES;

const scratch = mkdtempSync(join(tmpdir(), "agentapi-load-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A PATH holding only the basic tools the scripts use, plus an optional fake `docker` (a shell script body). */
function fakePath(name: string, dockerScript?: string): string {
  const dir = join(scratch, name);
  rmSync(dir, { recursive: true, force: true });
  const bin = join(dir, "bin");
  run("mkdir", ["-p", bin]);
  for (const tool of ["bash", "env", "sh", "sed", "grep", "tail", "cut", "cat", "date", "od", "tr", "mktemp"]) {
    symlinkSync(`/usr/bin/${tool}`, join(bin, tool));
  }
  for (const tool of ["chmod", "mv", "id", "dirname", "make", "timeout", "openssl", "node", "mkdir", "rm"]) {
    if (hasCommand(tool)) symlinkSync(run("sh", ["-c", `command -v ${tool}`]).stdout.trim(), join(bin, tool));
  }
  if (dockerScript !== undefined) {
    writeFileSync(join(bin, "docker"), `#!/usr/bin/env bash\n${dockerScript}\n`);
    chmodSync(join(bin, "docker"), 0o755);
  }
  return bin;
}

/** Our own diagnostic lines, without make's "make: *** [...] Error 1" trailer. */
const ownLines = (result: RunResult): string[] =>
  result.stderr.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("make: ***"));

/**
 * The parent environment without the variables run-tests.sh reads (vitest itself sets BASE_URL=/ for Vite), so
 * each test states exactly the settings it means.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ["PROFILE", "SCENARIOS", "VUS_FACTOR", "BASE_URL", "OAUTH_BASE_URL", "AUTH_URL", "MCP_URL"]) {
    delete env[key];
  }
  for (const key of ["AGENT_ONLY", "TESTID", "CONFIRM_PRODUCTION", "K6_BIN", "TIME_SCALE", "STUB_AGENTS"])
    delete env[key];
  for (const key of ["AGENTAPI_URL_TEMPLATE", "AGENTS", "AGENTAPI_URLS"]) delete env[key];
  for (const key of ["MAX_PROMPTS", "CONFIRM_PROMPTS", ...SECRET_KEYS]) delete env[key];
  return env;
}

const runTests = (args: string[], env: Record<string, string> = {}): RunResult =>
  run("./run-tests.sh", args, { env: { ...cleanEnv(), ...env }, input: "" });

/** Parses `run-tests.sh --dry-run` output into its KEY=value settings. */
function dryRun(args: string[], env: Record<string, string> = {}): Record<string, string> {
  const result = runTests([...args, "--dry-run"], env);
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  const settings: Record<string, string> = {};
  for (const line of result.stdout.split("\n")) {
    const match = /^([A-Z_]+|command)[=:] ?(.*)$/.exec(line);
    if (match) settings[match[1]!] = match[2]!;
  }
  return settings;
}

describe("Makefile", () => {
  it("`make` alone prints help listing every target", () => {
    const result = run("make", []);
    expect(result.status).toBe(0);
    for (const target of TARGETS) expect(result.stdout).toMatch(new RegExp(`^  ${target} +\\S`, "m"));
  });

  it.each(TARGETS)("`make -n %s` resolves", (target) => {
    const result = run("make", ["-n", target]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("`make load` passes PROFILE, SCENARIOS, VUS_FACTOR and BASE_URL to run-tests.sh in Docker mode", () => {
    const result = run("make", [
      "-n",
      "load",
      "PROFILE=smoke",
      "SCENARIOS=authentication",
      "VUS_FACTOR=2",
      "BASE_URL=http://host.docker.internal:3284",
    ]);
    expect(result.stdout).toContain("./scripts/require-stack.sh");
    expect(result.stdout).toContain(
      "./run-tests.sh --docker --monitor --profile smoke --scenario authentication --vus-factor 2 --base-url http://host.docker.internal:3284",
    );
  });

  it("`make load` passes TIME_SCALE and the fleet knobs (AGENTS, AGENTAPI_URL_TEMPLATE, AGENTAPI_URLS)", () => {
    const result = run(
      "make",
      [
        "-n",
        "load",
        "TIME_SCALE=0.1",
        "AGENTS=20",
        "AGENTAPI_URL_TEMPLATE=http://host.docker.internal:3284/agents/{agent}",
      ],
      { env: cleanEnv() },
    );
    expect(result.stdout).toContain(
      "./run-tests.sh --docker --monitor --time-scale 0.1 --agent-url-template 'http://host.docker.internal:3284/agents/{agent}' --agents 20",
    );
    const list = run(
      "make",
      ["-n", "load", "AGENTAPI_URLS=http://host.docker.internal:3284,http://host.docker.internal:3285"],
      { env: cleanEnv() },
    );
    expect(list.stdout).toContain(
      "./run-tests.sh --docker --monitor --agent-urls http://host.docker.internal:3284,http://host.docker.internal:3285",
    );
  });

  it("`make load` passes MAX_PROMPTS as --max-prompts; CONFIRM_PROMPTS and the secrets stay off the recipe's command line", () => {
    const budget = run("make", ["-n", "load", "MAX_PROMPTS=0"], { env: cleanEnv() });
    expect(budget.stdout).toContain("./run-tests.sh --docker --monitor --max-prompts 0");
    const secrets = run(
      "make",
      ["-n", "load", `AGENTAPI_TOKEN=${TOKEN}`, `AGENTAPI_HEADERS=${HEADERS}`, "CONFIRM_PROMPTS=yes"],
      { env: cleanEnv() },
    );
    expect(secrets.status).toBe(0);
    for (const leak of [TOKEN, HEADER_VALUE, "CONFIRM_PROMPTS", "--yes"]) expect(secrets.stdout).not.toContain(leak);
    // make hands command-line and environment variables to the recipe's environment, where run-tests.sh reads them.
    const probe = (args: string[], env: Record<string, string>) =>
      run("make", ["--eval", "probe: ; @printenv AGENTAPI_TOKEN CONFIRM_PROMPTS", "probe", ...args], {
        env: { ...cleanEnv(), ...env },
      }).stdout;
    expect(probe([`AGENTAPI_TOKEN=${TOKEN}`, "CONFIRM_PROMPTS=yes"], {})).toBe(`${TOKEN}\nyes\n`);
    expect(probe([], { AGENTAPI_TOKEN: TOKEN, CONFIRM_PROMPTS: "yes" })).toBe(`${TOKEN}\nyes\n`);
    // Unset stays unset (an empty export would hide .env's value from docker compose).
    expect(probe([], {})).toBe("");
  });

  it("`make up` waits for healthy services and prints the Grafana URL", () => {
    const result = run("make", ["-n", "up"]);
    expect(result.stdout).toContain("docker compose up -d --build --wait");
    expect(result.stdout).toContain("http://localhost:3001");
  });

  it("without Docker, `make up` fails with one readable line and creates no .env", () => {
    const path = fakePath("no-docker");
    const before = hasFile(".env");
    const result = run("make", ["up"], { env: { PATH: path, HOME: scratch } });
    expect(result.status).not.toBe(0);
    expect(ownLines(result)).toEqual([expect.stringMatching(/^Docker is not installed: install Docker/)]);
    expect(hasFile(".env")).toBe(before);
  });

  it("with the daemon down, `make load` says so in one line", () => {
    const path = fakePath(
      "daemon-down",
      'if [ "$1" = info ]; then echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." >&2; exit 1; fi',
    );
    const result = run("make", ["load"], { env: { PATH: path, HOME: scratch } });
    expect(result.status).not.toBe(0);
    expect(ownLines(result)).toEqual([
      expect.stringMatching(/^Docker is installed but its daemon is not reachable \(Cannot connect.*\): start Docker/),
    ]);
  });
});

describe("scripts/require-docker.sh and scripts/require-stack.sh", () => {
  it("pass when docker, its daemon and compose answer", () => {
    const path = fakePath("docker-ok", 'case "$1" in info) echo 28.0.0 ;; compose) echo "v2.30.0" ;; esac');
    const result = run("./scripts/require-docker.sh", [], { env: { PATH: path } });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("report a missing compose plugin in one line", () => {
    const path = fakePath(
      "no-compose",
      'case "$1" in info) echo 28.0.0 ;; *) echo "unknown command" >&2; exit 1 ;; esac',
    );
    const result = run("./scripts/require-docker.sh", [], { env: { PATH: path } });
    expect(result.status).toBe(1);
    expect(ownLines(result)).toEqual([expect.stringMatching(/^Docker Compose v2 is missing/)]);
  });

  it("report a stack that is not up (one service unhealthy) in one line", () => {
    const path = fakePath(
      "stack-partial",
      [
        'case "$1 $2" in',
        '  "info "*) echo 28.0.0 ;;',
        '  "compose version") echo v2.30.0 ;;',
        '  "compose ps") printf "influxdb healthy\\ngrafana starting\\n" ;;',
        "esac",
      ].join("\n"),
    );
    const envFile = hasFile(".env");
    const result = run("./scripts/require-stack.sh", [], { env: { PATH: path } });
    expect(result.status).toBe(1);
    const expected = envFile ? /\(grafana agentapi-stub not healthy\): run 'make up' first/ : /no \.env yet/;
    expect(ownLines(result)).toEqual([expect.stringMatching(expected)]);
  });
});

describe("scripts/ensure-env.sh", () => {
  it("creates .env once from .env.example with fresh random secrets, then leaves it alone", () => {
    const target = join(scratch, "first.env");
    const created = run("./scripts/ensure-env.sh", [target]);
    expect(created.status).toBe(0);
    expect(created.stdout).toMatch(/^Created .*first\.env from \.env\.example with 3 random secrets/);
    const text = readFileSync(target, "utf8");
    expect(text).not.toMatch(/=change-me$/m);
    for (const key of ["INFLUXDB_TOKEN", "INFLUXDB_ADMIN_PASSWORD", "GRAFANA_ADMIN_PASSWORD"]) {
      expect(text).toMatch(new RegExp(`^${key}=[0-9a-f]{64}$`, "m"));
    }
    expect(statSync(target).mode & 0o777).toBe(0o600);
    // Everything else is copied as is.
    expect(text).toMatch(/^INFLUXDB_ORG=agentapi-load$/m);

    const again = run("./scripts/ensure-env.sh", [target]);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe("");
    expect(readFileSync(target, "utf8")).toBe(text);

    const other = join(scratch, "second.env");
    run("./scripts/ensure-env.sh", [other]);
    const token = (file: string) => /^INFLUXDB_TOKEN=(.*)$/m.exec(readFileSync(file, "utf8"))?.[1];
    expect(token(other)).not.toBe(token(target));
  });

  it("fails in one line when the example is missing", () => {
    const result = run("./scripts/ensure-env.sh", [join(scratch, "x.env"), join(scratch, "missing.example")]);
    expect(result.status).toBe(1);
    expect(ownLines(result)).toEqual([expect.stringMatching(/missing\.example is missing/)]);
  });
});

describe("scripts/new-testid.sh", () => {
  it("prints ids that start with the UTC start time (fixed width, so they sort by time) and a random suffix", () => {
    const first = run("./scripts/new-testid.sh", []).stdout.trim();
    const second = run("./scripts/new-testid.sh", []).stdout.trim();
    expect(first).not.toBe(second);
    for (const id of [first, second]) {
      const match = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-[0-9a-f]{4}$/.exec(id);
      if (!match) throw new Error(`not a testid: ${id}`);
      const part = (index: number): number => Number(match[index]);
      const startedAt = Date.UTC(part(1), part(2) - 1, part(3), part(4), part(5), part(6));
      expect(Math.abs(Date.now() - startedAt)).toBeLessThan(60_000);
    }
  });
});

describe("run-tests.sh", () => {
  it("--help explains every option and exits 0", () => {
    const result = runTests(["--help"]);
    expect(result.status).toBe(0);
    for (const flag of [
      "--env",
      "--scenario",
      "--profile",
      "--docker",
      "--monitor",
      "--vus-factor",
      "--time-scale",
      "--agent-url-template",
      "--agents",
      "--agent-urls",
      "--max-prompts",
      "--yes",
      "--help",
    ]) {
      expect(result.stdout).toContain(flag);
    }
    for (const scenario of SCENARIOS) expect(result.stdout).toContain(scenario);
    for (const key of ["MAX_PROMPTS", "CONFIRM_PROMPTS", ...SECRET_KEYS]) expect(result.stdout).toContain(key);
    expect(result.stdout).toMatch(/--yes +confirm a production run and prompts to real agents without a budget/);
  });

  it.each([
    [["--bogus"], /unknown argument '--bogus'/, 2],
    [["--env", "qa"], /--env must be one of: local, staging, production/, 2],
    [["--profile"], /--profile needs a value/, 2],
    [["--profile", "huge"], /--profile must be one of/, 2],
    [["--scenario", "authentication,nope"], /unknown scenario 'nope'/, 2],
    [["--vus-factor", "0"], /--vus-factor must be a number greater than 0/, 2],
    [["--vus-factor", "-1"], /--vus-factor must be a number greater than 0/, 2],
    [["--scenario"], /--scenario needs a value/, 2],
    [["--base-url", "ftp://x"], /BASE_URL must be an http\(s\) URL/, 2],
    [["--env", "staging"], /BASE_URL is still the placeholder from \.env\.staging/, 1],
    [["--docker", "--base-url", "http://localhost:3284"], /would point at the k6 container itself/, 1],
    [["--time-scale", "0"], /--time-scale must be a number in \(0, 1\]/, 2],
    [["--time-scale", "1.5"], /--time-scale must be a number in \(0, 1\]/, 2],
    [["--time-scale", "fast"], /--time-scale must be a number in \(0, 1\]/, 2],
    [["--agents", "0"], /--agents must be a whole number >= 1/, 2],
    [["--agents", "4"], /--agents needs --agent-url-template/, 2],
    [["--docker", "--base-url", "http://host.docker.internal:3284", "--agents", "4"], /--agents needs/, 2],
    [["--agent-url-template", "http://stub:3284/agents"], /--agent-url-template must contain \{agent\}/, 2],
    [["--agent-url-template", "http://s/{agent}", "--agent-urls", "http://a:1"], /exclude each other/, 2],
    [["--agent-urls", "http://a:1,ftp://b"], /AGENTAPI_URLS must be an http\(s\) URL/, 2],
    [["--docker", "--agent-url-template", "http://localhost:3284/agents/{agent}"], /k6 container itself/, 1],
    [["--max-prompts"], /--max-prompts needs a value/, 2],
    [["--max-prompts", "-1"], /--max-prompts must be a whole number >= 0 \(got '-1'\)/, 2],
    [["--max-prompts", "1.5"], /--max-prompts must be a whole number >= 0 \(got '1\.5'\)/, 2],
    [["--max-prompts=ten"], /--max-prompts must be a whole number >= 0 \(got 'ten'\)/, 2],
    [["--transport"], /--transport needs a value/, 2],
    [["--transport", "ssh"], /--transport must be pty or acp \(got 'ssh'\)/, 2],
  ] as const)("rejects %j with one line", (args, message, status) => {
    const result = runTests([...args, "--dry-run"]);
    expect(result.status).toBe(status);
    expect(result.stdout).toBe("");
    expect(ownLines(result)).toEqual([expect.stringMatching(message)]);
  });

  it("--scenario maps to SCENARIOS (k6 has no --scenario flag) and --profile to PROFILE", () => {
    const settings = dryRun(["--scenario", "authentication,list_tools", "--profile", "smoke"]);
    expect(settings.SCENARIOS).toBe("authentication,list_tools");
    expect(settings.PROFILE).toBe("smoke");
    expect(settings.command).not.toContain("--scenario");
  });

  it("gives each run a fresh, sortable testid, its own report folder, and tags k6 with it", () => {
    const first = dryRun([]);
    const second = dryRun([]);
    expect(first.TESTID).toMatch(/^\d{8}-\d{6}-[0-9a-f]{4}$/);
    expect(first.TESTID).not.toBe(second.TESTID);
    expect(first.REPORT_DIR).toBe(`reports/${first.TESTID}`);
    expect(first.command).toBe(`k6 run --tag testid=${first.TESTID} k6/dist/main.stock.js`);
  });

  it("--docker runs the compose k6 service and keeps the compose targets", () => {
    const settings = dryRun(["--docker", "--env", "local"]);
    // The test has no terminal, so compose is told not to allocate a TTY.
    expect(settings.command).toBe("docker compose --profile load run --rm --build --no-TTY k6");
    expect(settings.BASE_URL).toBe("");
    expect(settings.PROFILE).toBe("local");
  });

  it("--time-scale maps to TIME_SCALE", () => {
    expect(dryRun(["--time-scale", "0.1"]).TIME_SCALE).toBe("0.1");
    expect(dryRun(["--time-scale", "1"]).TIME_SCALE).toBe("1");
    expect(dryRun([]).TIME_SCALE).toBe("");
  });

  it("fleet: compose's stub fleet by default under --docker; BASE_URL or a list switches it off", () => {
    // Fleet keys are printed only when set: absent = docker-compose.yml's default, empty = no template.
    const byDefault = dryRun(["--docker"]);
    expect(byDefault).not.toHaveProperty("AGENTAPI_URL_TEMPLATE");
    expect(byDefault).not.toHaveProperty("AGENTS");
    expect(dryRun(["--docker", "--agents", "50"])).toMatchObject({ AGENTS: "50" });
    expect(dryRun(["--docker", "--base-url", "http://host.docker.internal:3284"])).toMatchObject({
      AGENTAPI_URL_TEMPLATE: "",
      AGENTS: "",
    });
    expect(
      dryRun(["--docker", "--agent-urls", "http://host.docker.internal:1,http://host.docker.internal:2"]),
    ).toMatchObject({
      AGENTAPI_URLS: "http://host.docker.internal:1,http://host.docker.internal:2",
      AGENTAPI_URL_TEMPLATE: "",
      AGENTS: "",
    });
    expect(
      dryRun([
        "--docker",
        "--base-url",
        "http://host.docker.internal:3284",
        "--agent-url-template",
        "http://h/{agent}",
      ]),
    ).toMatchObject({ AGENTAPI_URL_TEMPLATE: "http://h/{agent}" });
    // Without --docker there is no default fleet: one server (BASE_URL, or the local default).
    expect(dryRun([])).toMatchObject({ AGENTAPI_URL_TEMPLATE: "", AGENTS: "" });
  });

  it("flags win over the environment, which wins over the env file", () => {
    const target = { BASE_URL: "https://agentapi.corp.test" };
    const staging = {
      ...target,
      OAUTH_BASE_URL: "https://broker.corp.test/api/mcp/oauth",
      AUTH_URL: "https://broker.corp.test/api/auth/token",
      MCP_URL: "https://broker.corp.test/mcp",
    };
    const fromEnv = dryRun(["--env", "staging"], staging);
    expect(fromEnv.PROFILE).toBe("staging");
    expect(fromEnv.BASE_URL).toBe("https://agentapi.corp.test");
    const fromFlag = dryRun(["--env", "staging", "--base-url", "https://other.corp.test", "--profile", "smoke"], {
      ...staging,
      PROFILE: "local",
    });
    expect(fromFlag.BASE_URL).toBe("https://other.corp.test");
    expect(fromFlag.PROFILE).toBe("smoke");
  });

  it("refuses production unless confirmed, in one line", () => {
    const refused = runTests(["--profile", "production"]);
    expect(refused.status).toBe(1);
    expect(ownLines(refused)).toEqual([
      expect.stringMatching(/refusing to run against production without confirmation/),
    ]);
    expect(dryRun(["--profile", "production", "--yes"]).CONFIRM_PRODUCTION).toBe("yes");
    expect(dryRun(["--profile", "production"], { CONFIRM_PRODUCTION: "yes" }).CONFIRM_PRODUCTION).toBe("yes");
  });

  it("without k6 on PATH, a local run fails with one line pointing at --docker", () => {
    const result = run("./run-tests.sh", ["--profile", "smoke"], {
      env: { PATH: fakePath("no-k6"), HOME: scratch },
      input: "",
    });
    expect(result.status).toBe(1);
    expect(ownLines(result)).toEqual([expect.stringMatching(/k6 is not installed: .* or use --docker/)]);
  });
});

/**
 * A copy of run-tests.sh with its own env files (and, for real runs, the guard scripts and a k6 bundle stand-in), so
 * a test can write an .env.staging or a .env without touching the repository's.
 */
function sandbox(name: string, files: Record<string, string> = {}): string {
  const dir = join(scratch, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "scripts"), { recursive: true });
  mkdirSync(join(dir, "k6", "dist"), { recursive: true });
  copyFileSync(repoPath("run-tests.sh"), join(dir, "run-tests.sh"));
  chmodSync(join(dir, "run-tests.sh"), 0o755);
  for (const script of ["require-docker.sh", "ensure-env.sh", "new-testid.sh"]) {
    copyFileSync(repoPath("scripts", script), join(dir, "scripts", script));
    chmodSync(join(dir, "scripts", script), 0o755);
  }
  for (const file of [".env.local", ".env.staging", ".env.production", ".env.example"]) {
    copyFileSync(repoPath(file), join(dir, file));
  }
  writeFileSync(join(dir, "k6", "dist", "main.stock.js"), "// stand-in: the fake k6 never reads it\n");
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

/** A fake program in `dir`/bin that records its arguments (one a line) and its environment under `dir`. */
function recorder(dir: string, program: string, extra = ""): string {
  mkdirSync(join(dir, "bin"), { recursive: true });
  const path = join(dir, "bin", program);
  writeFileSync(
    path,
    [
      "#!/usr/bin/env bash",
      extra,
      `printf '%s\\n' "$@" > "${dir}/${program}.argv"`,
      `env > "${dir}/${program}.env"`,
    ].join("\n") + "\n",
  );
  chmodSync(path, 0o755);
  return path;
}

const envOf = (file: string): Record<string, string> =>
  Object.fromEntries(
    readFileSync(file, "utf8")
      .split("\n")
      .flatMap((line) =>
        /^[A-Z_][A-Z0-9_]*=/.test(line) ? [[line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]] : [],
      ),
  );

describe("run-tests.sh: prompt budget, confirmations and AgentAPI credentials", () => {
  const stagingTargets = {
    BASE_URL: "https://agentapi.corp.test",
    OAUTH_BASE_URL: "https://broker.corp.test/api/mcp/oauth",
    AUTH_URL: "https://broker.corp.test/api/auth/token",
    MCP_URL: "https://broker.corp.test/mcp",
  };

  it("--max-prompts maps to MAX_PROMPTS (0 included); flag > environment > .env.NAME's budget", () => {
    expect(dryRun(["--max-prompts", "0"]).MAX_PROMPTS).toBe("0");
    expect(dryRun(["--transport", "acp"]).AGENTAPI_TRANSPORT).toBe("acp");
    expect(dryRun(["--transport=pty", "--docker"]).AGENTAPI_TRANSPORT).toBe("pty");
    expect(dryRun(["--max-prompts=25", "--docker"]).MAX_PROMPTS).toBe("25");
    expect(dryRun([]).MAX_PROMPTS).toBe("");
    expect(dryRun([], { MAX_PROMPTS: "7" }).MAX_PROMPTS).toBe("7");
    expect(dryRun(["--max-prompts", "3"], { MAX_PROMPTS: "7" }).MAX_PROMPTS).toBe("3");
    // The committed files for real agents carry a budget; the environment (even empty) wins over them.
    expect(dryRun(["--env", "staging"], stagingTargets).MAX_PROMPTS).toBe("200");
    expect(dryRun(["--env", "production", "--yes"], stagingTargets).MAX_PROMPTS).toBe("50");
    expect(dryRun(["--env", "staging"], { ...stagingTargets, MAX_PROMPTS: "" }).MAX_PROMPTS).toBe("");
    expect(dryRun(["--env", "staging", "--max-prompts", "1000"], stagingTargets).MAX_PROMPTS).toBe("1000");
  });

  it("a MAX_PROMPTS from the environment is checked like the flag: one line, exit 2", () => {
    const result = runTests(["--dry-run"], { MAX_PROMPTS: "lots" });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(ownLines(result)).toEqual([
      expect.stringMatching(/--max-prompts must be a whole number >= 0 \(got 'lots'\)/),
    ]);
  });

  it("--yes confirms both production and unbudgeted prompts; CONFIRM_PROMPTS also comes from the environment", () => {
    expect(dryRun(["--profile", "production", "--yes"])).toMatchObject({
      CONFIRM_PRODUCTION: "yes",
      CONFIRM_PROMPTS: "yes",
    });
    expect(dryRun(["--yes"])).toMatchObject({ CONFIRM_PROMPTS: "yes" });
    expect(dryRun([])).toMatchObject({ CONFIRM_PRODUCTION: "", CONFIRM_PROMPTS: "" });
    expect(dryRun([], { CONFIRM_PROMPTS: "yes" }).CONFIRM_PROMPTS).toBe("yes");
    // CONFIRM_PROMPTS alone does not confirm production.
    const refused = runTests(["--profile", "production", "--dry-run"], { CONFIRM_PROMPTS: "yes" });
    expect(refused.status).toBe(1);
    expect(ownLines(refused)).toEqual([expect.stringMatching(/refusing to run against production/)]);
  });

  it.each([[[]], [["--docker"]]])(
    "--dry-run %j says whether the secrets are set and where from, never their values",
    (args) => {
      const result = runTests([...args, "--dry-run"], { AGENTAPI_TOKEN: TOKEN, AGENTAPI_HEADERS: HEADERS });
      expect(result.status).toBe(0);
      const output = result.stdout + result.stderr;
      for (const leak of [TOKEN, HEADERS, HEADER_VALUE]) expect(output).not.toContain(leak);
      const settings = dryRun(args, { AGENTAPI_TOKEN: TOKEN, AGENTAPI_HEADERS: HEADERS });
      expect(settings.AGENTAPI_TOKEN).toBe("*** (set, from the environment)");
      expect(settings.AGENTAPI_HEADERS).toBe("*** (set, from the environment)");
      expect(settings.command).not.toMatch(/AGENTAPI|-e /);
    },
  );

  it("a local k6 gets the settings and the secrets in its environment, none of them on its command line", () => {
    const dir = sandbox("local-k6");
    const k6 = recorder(dir, "k6", 'if [ "$1" = version ]; then echo "k6 v1.8.1 (fake)"; exit 0; fi');
    const result = run(join(dir, "run-tests.sh"), ["--profile", "smoke", "--max-prompts", "12", "--yes"], {
      env: {
        ...cleanEnv(),
        K6_BIN: k6,
        TESTID: "20260101-000000-c0de",
        AGENTAPI_TOKEN: TOKEN,
        AGENTAPI_HEADERS: HEADERS,
      },
      input: "",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const argv = readFileSync(join(dir, "k6.argv"), "utf8");
    expect(argv.trim().split("\n")).toEqual(["run", "--tag", "testid=20260101-000000-c0de", "k6/dist/main.stock.js"]);
    expect(envOf(join(dir, "k6.env"))).toMatchObject({
      AGENTAPI_TOKEN: TOKEN,
      AGENTAPI_HEADERS: HEADERS,
      MAX_PROMPTS: "12",
      CONFIRM_PROMPTS: "yes",
      PROFILE: "smoke",
    });
    for (const leak of [TOKEN, HEADER_VALUE]) expect(result.stdout + argv).not.toContain(leak);
  });

  it("a local k6 takes the secrets from the git-ignored .env when the environment has none (quotes stripped)", () => {
    const dir = sandbox("local-dotenv", {
      ".env": `GRAFANA_PORT=3001\nAGENTAPI_TOKEN=${TOKEN}\nAGENTAPI_HEADERS='${HEADERS}'\n`,
    });
    const k6 = recorder(dir, "k6", 'if [ "$1" = version ]; then echo "k6 v1.8.1 (fake)"; exit 0; fi');
    const env = { ...cleanEnv(), K6_BIN: k6, TESTID: "20260101-000000-d0e5" };
    const dry = run(join(dir, "run-tests.sh"), ["--dry-run"], { env, input: "" });
    expect(dry.stdout).toContain("AGENTAPI_TOKEN=*** (set, from .env)\n");
    expect(dry.stdout).toContain("AGENTAPI_HEADERS=*** (set, from .env)\n");
    expect(dry.stdout).not.toContain(HEADER_VALUE);
    const result = run(join(dir, "run-tests.sh"), ["--profile", "smoke"], { env, input: "" });
    expect(result.stderr).toBe("");
    expect(envOf(join(dir, "k6.env"))).toMatchObject({ AGENTAPI_TOKEN: TOKEN, AGENTAPI_HEADERS: HEADERS });
    // The environment wins over .env, even set empty (as docker compose does).
    const empty = run(join(dir, "run-tests.sh"), ["--dry-run"], { env: { ...env, AGENTAPI_TOKEN: "" }, input: "" });
    expect(empty.stdout).toContain("AGENTAPI_TOKEN=\n");
    expect(empty.stdout).toContain("AGENTAPI_HEADERS=*** (set, from .env)\n");
  });

  it("--docker hands settings and secrets to docker compose in its environment, none on its command line", () => {
    const dir = sandbox("docker", { ".env": 'INFLUXDB_TOKEN=x\nAGENTAPI_HEADERS=\'{"X-Only-In-Dotenv":"v"}\'\n' });
    recorder(dir, "docker", 'case "$1" in info) echo 28.0.0; exit 0 ;; esac; [ "$2" = version ] && exit 0');
    const result = run(join(dir, "run-tests.sh"), ["--docker", "--max-prompts", "5"], {
      env: {
        ...cleanEnv(),
        PATH: `${join(dir, "bin")}:${process.env.PATH ?? ""}`,
        TESTID: "20260101-000000-d0c4",
        AGENTAPI_TOKEN: TOKEN,
      },
      input: "",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const argv = readFileSync(join(dir, "docker.argv"), "utf8").trim().split("\n");
    expect(argv).toEqual(["compose", "--profile", "load", "run", "--rm", "--build", "--no-TTY", "k6"]);
    const env = envOf(join(dir, "docker.env"));
    expect(env).toMatchObject({ AGENTAPI_TOKEN: TOKEN, MAX_PROMPTS: "5" });
    // A secret only in .env is left to compose, which reads .env itself (docker-compose.yml `${AGENTAPI_HEADERS:-}`).
    expect(env).not.toHaveProperty("AGENTAPI_HEADERS");
    expect(result.stdout).not.toContain(TOKEN);
  });

  it.each(SECRET_KEYS)(".env.NAME may not hold %s: one line naming it, exit 2, its value never echoed", (key) => {
    const staging = `${readFileSync(repoPath(".env.staging"), "utf8")}${key}=${key === "AGENTAPI_TOKEN" ? TOKEN : HEADERS}\n`;
    const dir = sandbox(`env-file-${key}`, { ".env.staging": staging });
    const result = run(join(dir, "run-tests.sh"), ["--env", "staging", "--dry-run"], {
      env: { ...cleanEnv(), TESTID: "20260101-000000-5ec7" },
      input: "",
    });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(ownLines(result)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^run-tests\\.sh: \\.env\\.staging:\\d+: ${key} is a secret: export it in the environment or put it in the git-ignored \\.env`,
        ),
      ),
    ]);
    for (const leak of [TOKEN, HEADER_VALUE]) expect(result.stderr).not.toContain(leak);
  });

  it("an unknown key in .env.NAME is named, never its value (it may be a secret in the wrong file)", () => {
    const dir = sandbox("env-file-unknown", { ".env.local": `PROFILE=local\nINFLUXDB_TOKEN=${TOKEN}\n` });
    const result = run(join(dir, "run-tests.sh"), ["--dry-run"], { env: cleanEnv(), input: "" });
    expect(result.status).toBe(1);
    expect(ownLines(result)).toEqual([
      expect.stringMatching(/\.env\.local:2: only .*MAX_PROMPTS may be set there \(got 'INFLUXDB_TOKEN'\)$/),
    ]);
    expect(result.stderr).not.toContain(TOKEN);
  });
});

describe("infra/k6/entrypoint.sh (the k6 image's entry point)", () => {
  it("creates the report folder and runs the bundle once, tagged with the run's testid", () => {
    const bin = fakePath("entrypoint");
    writeFileSync(join(bin, "k6"), '#!/usr/bin/env bash\necho "k6 $*"\n');
    chmodSync(join(bin, "k6"), 0o755);
    const workdir = join(scratch, "entrypoint-home");
    run("mkdir", ["-p", workdir]);
    const result = run(repoPath("infra/k6/entrypoint.sh"), ["--vus", "2"], {
      cwd: workdir,
      env: { PATH: bin, TESTID: "20260101-000000-beef", PROFILE: "smoke", K6_SCRIPT: "/opt/agentapi-load/main.js" },
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("testid=20260101-000000-beef profile=smoke scenarios=all");
    expect(result.stdout).toContain("k6 run --tag testid=20260101-000000-beef --vus 2 /opt/agentapi-load/main.js");
    expect(statSync(join(workdir, "reports/20260101-000000-beef")).isDirectory()).toBe(true);
  });
});

describe("shell scripts", () => {
  const scripts = ["run-tests.sh", "infra/k6/entrypoint.sh", ...listScripts()];

  it("are executable", () => {
    for (const script of scripts) expect(statSync(repoPath(script)).mode & 0o111, script).not.toBe(0);
  });

  // CI installs shellcheck (.ci/run); elsewhere it is optional and the check says why it did not run.
  const shellcheck = hasCommand("shellcheck");
  if (!shellcheck && !process.env.CI) console.warn("stack/cli: shellcheck not installed, skipping the shellcheck test");
  it.runIf(shellcheck || Boolean(process.env.CI))("are shellcheck-clean", () => {
    const result = run("shellcheck", ["--severity=style", ...scripts]);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});

function listScripts(): string[] {
  return readdirSync(repoPath("scripts"))
    .filter((name) => name.endsWith(".sh"))
    .map((name) => `scripts/${name}`);
}

function hasFile(relativePath: string): boolean {
  try {
    statSync(repoPath(relativePath));
    return true;
  } catch {
    return false;
  }
}
