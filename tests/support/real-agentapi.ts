// Tests against the real coder/agentapi server (the pinned version, scripts/install-agentapi.sh) driving the fake
// agent (infra/agentapi-real/fake-agent.ts; with transport "acp", fake-acp-agent.ts over --experimental-acp). Suites wrap themselves in describeRealAgentApi: without a binary they
// skip and print why, except under CI=true, where the real server must run and a missing binary fails the suite.
import { relative } from "node:path";
import { describe, expect, it } from "vitest";
import {
  agentApiUnavailable,
  findAgentApiBinary as findBinary,
  freeLoopbackPort,
  REPO_ROOT,
  startAgentApi,
  type Transport,
} from "../../infra/agentapi-real/launch";

/** Where the agentapi binary is: AGENTAPI_BIN, then PATH, then $(go env GOPATH)/bin; undefined if none. */
export function findAgentApiBinary(): string | undefined {
  return findBinary();
}

/** Why real-agentapi tests cannot run here ("no agentapi binary: set AGENTAPI_BIN or run scripts/install-agentapi.sh"), or undefined. */
export function realAgentApiUnavailable(): string | undefined {
  return agentApiUnavailable();
}

export interface RealAgentApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

const PORT_ATTEMPTS = 3;

/**
 * Start real agentapi + the fake agent on a free loopback port; resolves once GET /status says "stable" (PTY: agent
 * booted, screen still 2 s; ACP: as soon as it answers). `transport: "acp"` runs the fake ACP agent instead.
 */
export async function startRealAgentApi(
  options: {
    thinkMs?: number;
    port?: number;
    readyTimeoutMs?: number;
    env?: Record<string, string>;
    transport?: Transport;
    /** "stable" (default), or "answering": as soon as GET /status replies (a server that VUs are already using). */
    readyWhen?: "answering" | "stable";
  } = {},
): Promise<RealAgentApi> {
  const binary = findBinary();
  if (binary === undefined) throw new Error(realAgentApiUnavailable());
  for (let attempt = 1; ; attempt += 1) {
    const port = options.port ?? (await freeLoopbackPort());
    try {
      const running = await startAgentApi({
        binary,
        port,
        thinkMs: options.thinkMs ?? 1000,
        readyWhen: options.readyWhen ?? "stable",
        readyTimeoutMs: options.readyTimeoutMs ?? 20_000,
        env: options.env,
        transport: options.transport,
      });
      return { url: running.url, port, close: () => running.close() };
    } catch (error) {
      // The free port can be taken between closing the probe and agentapi's bind: try another one.
      const taken = error instanceof Error && /address already in use/.test(error.message);
      if (!taken || options.port !== undefined || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

/**
 * describe() for suites that need the real agentapi. Without a binary: skipped, printing
 * `SKIP <file>: <reason>` to stderr; with CI=true: one failing test instead (in CI the real server must run).
 */
export function describeRealAgentApi(name: string, fn: () => void): void {
  const reason = realAgentApiUnavailable();
  if (reason === undefined) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === "true") {
    describe(name, () => {
      it("runs against the real agentapi (required because CI=true)", () => {
        throw new Error(`CI=true but ${reason}`);
      });
    });
    return;
  }
  const testPath = expect.getState().testPath;
  const file = testPath ? relative(REPO_ROOT, testPath) : "tests/real";
  console.warn(`SKIP ${file}: ${reason}; the real agentapi was NOT exercised`);
  describe.skip(name, fn);
}
