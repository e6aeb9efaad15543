// `npm run agentapi:real` / `make agentapi-real`: the real coder/agentapi server (the pinned version) driving the
// fake agent (infra/agentapi-real/fake-agent.ts), on http://localhost:${AGENTAPI_PORT:-3284}, until Ctrl-C.
// `npm run agentapi:real -- --acp` / `make agentapi-real ACP=1`: ACP instead of the terminal, i.e.
// `agentapi server --experimental-acp` with infra/agentapi-real/fake-acp-agent.ts.
//   AGENTAPI_BIN          the agentapi binary (default: agentapi on PATH, else $(go env GOPATH)/bin/agentapi)
//   AGENTAPI_PORT         the port (default 3284; agentapi listens on every interface, use it via localhost)
//   FAKE_AGENT_THINK_MS   the fake agent's think time per prompt in ms (default 1000); FAKE_AGENT_REPLY_LINES too,
//                         and with --acp FAKE_AGENT_CHUNK_MS (the chunk cadence, default 100)
// Exit status: 0 stopped by SIGINT/SIGTERM, 1 agentapi failed to start or died, 2 a bad setting or argument,
// 127 no agentapi binary (install it with scripts/install-agentapi.sh or make agentapi-install).
import {
  agentApiVersion,
  findAgentApiBinary,
  INSTALL_HINT,
  type RunningAgentApi,
  startAgentApi,
  type Transport,
} from "../infra/agentapi-real/launch";

function fail(message: string, status: number): never {
  console.error(`agentapi-real: ${message}`);
  process.exit(status);
}

function intSetting(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(`${name} must be an integer from ${min} to ${max}, not "${raw}"`, 2);
  }
  return value;
}

const args = process.argv.slice(2);
const unknown = args.find((arg) => arg !== "--acp");
if (unknown !== undefined) fail(`unknown argument "${unknown}" (the only one is --acp)`, 2);
const transport: Transport = args.includes("--acp") ? "acp" : "pty";
const port = intSetting("AGENTAPI_PORT", 3284, 1, 65_535);
const thinkMs = intSetting("FAKE_AGENT_THINK_MS", 1000, 0, 600_000);
if (transport === "acp") intSetting("FAKE_AGENT_CHUNK_MS", 100, 1, 60_000); // checked here too: one line, not agentapi's
const binary = findAgentApiBinary();
if (binary === undefined) {
  const where = process.env.AGENTAPI_BIN
    ? `AGENTAPI_BIN=${process.env.AGENTAPI_BIN} is not an executable file`
    : "no agentapi binary on PATH or in $(go env GOPATH)/bin";
  fail(`${where}: ${INSTALL_HINT}`, 127);
}
const version = agentApiVersion(binary) ?? "(version unknown)";

let running: RunningAgentApi;
try {
  running = await startAgentApi({ binary, port, thinkMs, transport, readyWhen: "answering", readyTimeoutMs: 20_000 });
} catch (error) {
  fail(error instanceof Error ? error.message : String(error), 1);
}
let stopping = false;
for (const name of ["SIGINT", "SIGTERM"] as const) {
  process.on(name, () => {
    if (stopping) return;
    stopping = true;
    void running.close().then(() => process.exit(0));
  });
}
running.exited.catch((error: unknown) => {
  const tail = running.output().trim().split("\n").slice(-5).join("\n");
  fail(`${error instanceof Error ? error.message : String(error)}\n${tail}`, 1);
});

const agent = transport === "acp" ? "fake ACP agent (--experimental-acp)" : "fake agent";
console.log(`real agentapi ${version} + ${agent} on http://localhost:${port} (think ${thinkMs} ms); Ctrl-C stops it`);
