// Starting the real coder/agentapi server with the fake agent behind it: shared by `npm run agentapi:real`
// (scripts/agentapi-real.ts) and the test support module (tests/support/real-agentapi.ts). Two transports: "pty"
// (the default: fake-agent.ts in agentapi's terminal) and "acp" (`--experimental-acp`: fake-acp-agent.ts on stdio).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { accessSync, constants, readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const FAKE_AGENT = join(REPO_ROOT, "infra/agentapi-real/fake-agent.ts");
export const FAKE_ACP_AGENT = join(REPO_ROOT, "infra/agentapi-real/fake-acp-agent.ts");
export const VERSION_FILE = join(REPO_ROOT, "infra/agentapi-real/agentapi.version");
export const INSTALL_HINT = "run scripts/install-agentapi.sh (or make agentapi-install)";

/** The pinned upstream version, e.g. "v1.2.3" (from infra/agentapi-real/agentapi.version). */
export function pinnedVersion(): string {
  return readFileSync(VERSION_FILE, "utf8").trim();
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `$(go env GOPATH)/bin`, or Go's default ($GOPATH, else ~/go) when `go` is not installed. */
function goBinDir(env: NodeJS.ProcessEnv): string {
  let gopath = "";
  try {
    gopath = execFileSync("go", ["env", "GOPATH"], { encoding: "utf8", env, timeout: 10_000 }).trim();
  } catch {
    gopath = env.GOPATH ?? "";
  }
  return join(gopath.split(delimiter)[0] || join(homedir(), "go"), "bin");
}

/** Where the agentapi binary is: AGENTAPI_BIN, then PATH, then $(go env GOPATH)/bin; undefined if none. */
export function findAgentApiBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.AGENTAPI_BIN) return isExecutableFile(env.AGENTAPI_BIN) ? resolve(env.AGENTAPI_BIN) : undefined;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir !== "" && isExecutableFile(join(dir, "agentapi"))) return join(dir, "agentapi");
  }
  const fromGo = join(goBinDir(env), "agentapi");
  return isExecutableFile(fromGo) ? fromGo : undefined;
}

/** Why the real agentapi cannot be started here, or undefined when a binary was found. */
export function agentApiUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (findAgentApiBinary(env) !== undefined) return undefined;
  if (env.AGENTAPI_BIN) return `AGENTAPI_BIN=${env.AGENTAPI_BIN} is not an executable file`;
  return "no agentapi binary: set AGENTAPI_BIN or run scripts/install-agentapi.sh";
}

/** What `agentapi --version` reports, e.g. "1.2.3" (undefined if it does not answer like agentapi). */
export function agentApiVersion(binary: string): string | undefined {
  try {
    const output = execFileSync(binary, ["--version"], { encoding: "utf8", timeout: 10_000 });
    return /agentapi version (\S+)/.exec(output)?.[1];
  } catch {
    return undefined;
  }
}

/** A port that was free on 127.0.0.1 a moment ago (bound to port 0, read, closed). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolvePort(port) : reject(new Error("no port assigned"))));
    });
  });
}

/** How agentapi talks to the agent: its terminal (fake-agent.ts) or ACP over stdio (fake-acp-agent.ts). */
export type Transport = "pty" | "acp";

/** The fake agent as agentapi runs it: this Node with tsx's loader (found from this repository's node_modules). */
export function fakeAgentCommand(transport: Transport = "pty"): string[] {
  const tsxLoader = createRequire(import.meta.url).resolve("tsx");
  return [
    process.execPath,
    "--import",
    pathToFileURL(tsxLoader).href,
    transport === "acp" ? FAKE_ACP_AGENT : FAKE_AGENT,
  ];
}

/** agentapi's arguments: `server [--experimental-acp] --type custom --port N -- <fake agent>`. */
export function agentApiArgs(port: number, transport: Transport = "pty"): string[] {
  const acp = transport === "acp" ? ["--experimental-acp"] : [];
  return ["server", ...acp, "--type", "custom", "--port", String(port), "--", ...fakeAgentCommand(transport)];
}

export interface StartOptions {
  binary: string;
  port: number;
  thinkMs: number;
  /** "pty" (default): fake-agent.ts in agentapi's terminal; "acp": `--experimental-acp` with fake-acp-agent.ts. */
  transport?: Transport;
  /**
   * "answering": GET /status replies at all; "stable": it says the agent is stable (PTY: booted, screen still 2 s;
   * ACP: at once, since agentapi only listens after the ACP handshake).
   */
  readyWhen: "answering" | "stable";
  readyTimeoutMs: number;
  /** Extra environment for agentapi and the fake agent (on top of this process's). */
  env?: Record<string, string>;
}

export interface RunningAgentApi {
  url: string;
  port: number;
  process: ChildProcess;
  /** The last few KB agentapi printed (its logs), for error messages. */
  output(): string;
  /** Resolves when agentapi has exited; rejects if it exits before close() was called. */
  exited: Promise<void>;
  close(): Promise<void>;
}

const OUTPUT_KEEP = 4096;
const KILL_AFTER_MS = 3000;

/** The processes agentapi started (Linux: /proc/<pid>/task/<tid>/children); empty where that is not readable. */
function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").split(" ").filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/**
 * Starts `agentapi server [--experimental-acp] --type custom --port N -- <fake agent>` with stdin from /dev/null (a
 * piped stdin would become agentapi's initial prompt) and resolves once it is ready; rejects (and stops it) when it
 * exits early or is not ready in time.
 */
export async function startAgentApi(options: StartOptions): Promise<RunningAgentApi> {
  const url = `http://127.0.0.1:${options.port}`;
  const child = spawn(options.binary, agentApiArgs(options.port, options.transport), {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FAKE_AGENT_THINK_MS: String(options.thinkMs), ...options.env },
  });
  let output = "";
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_KEEP);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);

  let closing = false;
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((done, fail) => {
    child.once("error", (error) => {
      exitCode = null;
      fail(error);
    });
    child.once("exit", (code, killedBy) => {
      exitCode = code;
      if (closing) done();
      else fail(new Error(`agentapi exited (${killedBy ?? `status ${code}`}): ${output.trim().split("\n").at(-1)}`));
    });
  });
  exited.catch(() => undefined); // observed through `exited` by the caller; never an unhandled rejection here

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      const pid = child.pid;
      if (pid === undefined || exitCode !== undefined) return;
      const children = childPids(pid);
      // PTY: agentapi sends SIGINT to the agent, waits for it, then exits 0. ACP: the pinned version stops serving,
      // then panics (exit 2, a nil process.Close); the agent sees the end of its stdin and exits.
      signal(pid, "SIGTERM");
      const killer = setTimeout(() => signal(pid, "SIGKILL"), KILL_AFTER_MS);
      await exited.catch(() => undefined);
      clearTimeout(killer);
      for (const grandchild of children) signal(grandchild, "SIGKILL"); // only if it outlived agentapi
    })();
    return closed;
  };

  const deadline = Date.now() + options.readyTimeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      await exited; // rejects with what agentapi said last
      throw new Error("agentapi exited while starting");
    }
    try {
      const response = await fetch(`${url}/status`, { signal: AbortSignal.timeout(2000) });
      const body = (await response.json()) as { status?: unknown };
      last = `${response.status} ${JSON.stringify(body.status)}`;
      if (response.ok && (options.readyWhen === "answering" || body.status === "stable")) {
        return { url, port: options.port, process: child, output: () => output, exited, close };
      }
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(100);
  }
  await close();
  throw new Error(
    `agentapi on ${url} was not ${options.readyWhen} within ${options.readyTimeoutMs} ms (last /status: ${last})`,
  );
}
