// `npm run stub`: start both listeners from the environment, log JSON lines, and drain on SIGTERM/SIGINT
// (stop accepting, end event streams, let in-flight requests finish) before exiting 0.
// A bad environment is one line on stderr and exit 2; a listener that cannot start is one line and exit 1.
import { ConfigError, loadConfig, type StubConfig } from "./config";
import { logLine } from "./logger";
import { startStub, type RunningStub } from "./stub";

function fail(code: number, message: string): never {
  process.stderr.write(`agentapi-stub: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  // A closed log pipe (e.g. `npm run stub | head`) must not crash a draining server.
  process.stdout.on("error", () => undefined);
  let config: StubConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(2, error.message);
    throw error;
  }

  let stub: RunningStub;
  try {
    stub = await startStub(config);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const detail = error instanceof Error ? error.message : String(error);
    fail(1, code === "EADDRINUSE" ? `a port is already in use (${detail})` : `cannot start: ${detail}`);
  }

  logLine("info", config.logLevel, "agentapi-stub ready", {
    agentApiUrl: stub.agentApiUrl,
    brokerUrl: stub.brokerUrl,
    agentType: config.agentType,
    thinkMs: config.thinkMs,
    agents: config.agents,
    timing: config.timing,
    echoDelayMs: config.echoDelayMs ?? "off",
    allowedHosts: config.allowedHosts,
    allowedOrigins: config.allowedOrigins,
    faults: config.faults,
    // "random": tokens are signed with a per-process key, so they die with the process (set STUB_TOKEN_SECRET).
    tokenSecret: config.broker.tokenSecretSource,
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logLine("warn", config.logLevel, "second signal: exiting without waiting", { signal });
      process.exit(1);
    }
    stopping = true;
    logLine("info", config.logLevel, "draining", { signal });
    stub.close().then(
      () => {
        logLine("info", config.logLevel, "stopped", { signal });
        process.exit(0);
      },
      (error: unknown) => fail(1, `shutdown failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error: unknown) => fail(1, error instanceof Error ? error.message : String(error)));
