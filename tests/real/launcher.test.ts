// `npm run agentapi:real` (scripts/agentapi-real.ts): one line once the real agentapi answers, a clean stop on a
// signal, and one readable line with a documented status when it cannot start.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { agentApiVersion, findAgentApiBinary, freeLoopbackPort, REPO_ROOT } from "../../infra/agentapi-real/launch";
import { describeRealAgentApi } from "../support/real-agentapi";

const LAUNCHER = ["--import", "tsx", "scripts/agentapi-real.ts"];

function launch(
  env: Record<string, string>,
  args: string[] = [],
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [...LAUNCHER, ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    timeout: 20_000,
    env: { ...process.env, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("scripts/agentapi-real.ts when it cannot start", () => {
  it("exits 127 with one line pointing at the installer when there is no agentapi", () => {
    const result = launch({ AGENTAPI_BIN: "/nonexistent/agentapi" });
    expect(result.status).toBe(127);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([
      "agentapi-real: AGENTAPI_BIN=/nonexistent/agentapi is not an executable file: " +
        "run scripts/install-agentapi.sh (or make agentapi-install)",
    ]);
  });

  it("exits 2 with one line on a bad setting", () => {
    const result = launch({ AGENTAPI_PORT: "http" });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^agentapi-real: AGENTAPI_PORT must be/)]);
  });

  it("exits 2 with one line on an unknown argument, and on a bad chunk cadence with --acp", () => {
    const unknown = launch({}, ["--pty"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe('agentapi-real: unknown argument "--pty" (the only one is --acp)\n');
    const chunk = launch({ FAKE_AGENT_CHUNK_MS: "0" }, ["--acp"]);
    expect(chunk.status).toBe(2);
    expect(chunk.stderr).toBe('agentapi-real: FAKE_AGENT_CHUNK_MS must be an integer from 1 to 60000, not "0"\n');
  });
});

describeRealAgentApi("scripts/agentapi-real.ts with the real agentapi", () => {
  it.each([
    ["the terminal (default)", [], "fake agent", "pty"],
    ["ACP (--acp)", ["--acp"], "fake ACP agent (--experimental-acp)", "acp"],
  ])(
    "%s: prints one line once /status answers, serves, and stops agentapi and the agent on SIGINT",
    async (_, args, agent, transport) => {
      const port = await freeLoopbackPort();
      const child = spawn(process.execPath, [...LAUNCHER, ...args], {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, AGENTAPI_PORT: String(port), FAKE_AGENT_THINK_MS: "300" },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
      try {
        const deadline = Date.now() + 20_000;
        while (!stdout.includes("\n") && Date.now() < deadline && child.exitCode === null) {
          await new Promise((done) => setTimeout(done, 50));
        }
        const version = agentApiVersion(findAgentApiBinary()!);
        expect(stdout).toBe(
          `real agentapi ${version} + ${agent} on http://localhost:${port} (think 300 ms); Ctrl-C stops it\n`,
        );
        const status = await fetch(`http://127.0.0.1:${port}/status`);
        expect(status.status).toBe(200);
        expect(await status.json()).toMatchObject({ agent_type: "custom", transport });
      } finally {
        child.kill("SIGINT");
      }
      const [code] = await exited;
      expect(stderr).toBe("");
      expect(code).toBe(0);
      await expect(fetch(`http://127.0.0.1:${port}/status`)).rejects.toThrow();
    },
  );
});
