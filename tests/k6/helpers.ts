// Shared setup for the k6 suite's tests: the real target in-process (random ports, short think and tool times)
// and a URL nothing listens on.
import { createServer } from "node:net";
import { loadConfig, type StubConfig } from "../../infra/agentapi-stub/src/config";
import { startStub, type RunningStub } from "../../infra/agentapi-stub/src/stub";
import { FAST_REDRAW_MS, FAST_TIMING } from "../../infra/agentapi-stub/src/agent/timing";

export type { RunningStub } from "../../infra/agentapi-stub/src/stub";

/**
 * The stub with test-sized timings: the agent thinks 20-60 ms, upstream's waits run in the fast mode (FAST_TIMING),
 * MCP tools take 5% of their usual latency. Resolves once the agents have booted.
 */
export async function startTarget(overrides: Partial<StubConfig> = {}): Promise<RunningStub> {
  const base = loadConfig({ STUB_LOG_LEVEL: "silent", STUB_MCP_TOOL_LATENCY_SCALE: "0.05" });
  const stub = await startStub({
    agentApiPort: 0,
    brokerPort: 0,
    thinkMs: { min: 20, max: 60 },
    timing: FAST_TIMING,
    redrawMs: FAST_REDRAW_MS,
    broker: base.broker,
    ...overrides,
  });
  await stub.agentsStable();
  return stub;
}

/** http://127.0.0.1:<port> for a port that was free a moment ago and has no listener. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
