// `npm run stub`: start both listeners from the environment, log JSON lines, and drain on SIGTERM/SIGINT/SIGHUP
// (stop accepting, end event streams, let in-flight requests finish) before exiting 0. With STUB_STATE_FILE, as
// upstream's runServer: the state is saved first (the listeners still serve meanwhile), and SIGUSR1 saves it while
// the target keeps running.
// A bad environment is one line on stderr and exit 2; a listener that cannot start is one line and exit 1.
import { ConfigError, loadConfig, type StubConfig } from "./config";
import { logLine } from "./logger";
import { startStub, type RunningStub } from "./stub";
import type { SaveResult } from "./agent/state";

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
    state: config.state ?? "off",
    // "random": tokens are signed with a per-process key, so they die with the process (set STUB_TOKEN_SECRET).
    tokenSecret: config.broker.tokenSecretSource,
  });

  // Upstream's Server.SaveState and its log lines; a failed save is logged and changes nothing else.
  const SAVE_LOG: Record<SaveResult, string> = {
    saved: "State saved successfully",
    unchanged: "Skipping state save: no changes since last save",
    disabled: "State persistence is disabled",
  };
  const save = async (source: string): Promise<void> => {
    try {
      const result = await stub.saveState();
      logLine("info", config.logLevel, SAVE_LOG[result], {
        source,
        ...(result === "saved" && { path: config.state?.file }),
      });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      logLine("error", config.logLevel, "Failed to save conversation state", { source, error: detail });
    }
  };

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logLine("warn", config.logLevel, "second signal: exiting without waiting", { signal });
      process.exit(1);
    }
    stopping = true;
    logLine("info", config.logLevel, "Received shutdown signal", { signal });
    save("shutdown")
      .then(() => {
        logLine("info", config.logLevel, "draining", { signal });
        return stub.close();
      })
      .then(
        () => {
          logLine("info", config.logLevel, "stopped", { signal });
          process.exit(0);
        },
        (error: unknown) => fail(1, `shutdown failed: ${error instanceof Error ? error.message : String(error)}`),
      );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("SIGHUP", stop);
  // Upstream: save without exiting. Saves never overlap (the state file queues them); none once stopping.
  process.on("SIGUSR1", () => {
    if (stopping) return;
    logLine("info", config.logLevel, "Received SIGUSR1, saving state without exiting");
    void save("SIGUSR1");
  });
}

main().catch((error: unknown) => fail(1, error instanceof Error ? error.message : String(error)));
