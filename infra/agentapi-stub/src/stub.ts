// Starts the whole target in-process: the AgentAPI listener and the broker listener (OAuth broker, user tokens,
// MCP server). Used by main.ts (the CLI), by tests, by the k6 harness and by the benchmark.
import Fastify, { LogController, type FastifyInstance } from "fastify";
import { loadConfig, type FaultDefaults, type StubConfig } from "./config";
import { createFaultStep, type FaultStep } from "./faults";
import { drainingProblem, installHealthz, isHealthz } from "./health";
import { clientErrorHandler, frameworkErrorHandler, installProblemHandling } from "./problem";
import { loggerOptions } from "./logger";
import { AgentFleet } from "./agentapi/fleet";
import { StateFile, type SaveResult } from "./agent/state";
import { addErrorSchemaLink, links, registerAgentApi } from "./agentapi/routes";
import { installRequestGate } from "./agentapi/request-gate";
import { registerBroker } from "./broker/index";
import { registerMcp } from "./mcp/index";
import { createMemoryStore } from "./store/index";

export interface RunningStub {
  agentApiUrl: string;
  brokerUrl: string;
  /** The agents behind the AgentAPI listener (for tests and the benchmark). */
  fleet: AgentFleet;
  /** Resolves once every agent has booted: its start-up screen still for the stability length, as upstream. */
  agentsStable(): Promise<void>;
  /** Requests an injected fault (X-Fault-Delay-Ms) holds right now on either listener: tests wait on it. */
  faultsHolding(): number;
  /**
   * Upstream's SaveState into `state.file` (the CLI runs it on SIGTERM/SIGINT/SIGHUP before close(), and on SIGUSR1).
   * A restart in-process: `await stub.saveState(); await stub.close();` then startStub with the same `state`.
   */
  saveState(): Promise<SaveResult>;
  /** Stops both listeners (drain); it does not save. */
  close(): Promise<void>;
}

/** Limits shared by both listeners (headers and bodies a client may send). */
const BODY_LIMIT_BYTES = 1024 * 1024;
const MAX_HEADER_BYTES = 16 * 1024;
const CLOSE_GRACE_MS = 5_000;

function isVerbose(config: StubConfig): boolean {
  return config.logLevel === "debug" || config.logLevel === "trace";
}

function baseApp(config: StubConfig, listener: "agentapi" | "broker"): FastifyInstance {
  const verbose = isVerbose(config);
  return Fastify({
    // Strict validation on both listeners: no type coercion, unknown properties refused (fastify's default would
    // silently remove them), and (AgentAPI, like upstream) every problem listed.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: listener === "agentapi" } },
    logger: loggerOptions(config.logLevel, listener),
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: 200 },
    // Oversized headers are refused by node:http before fastify sees them; clientErrorHandler answers 431.
    // A missing Host is left to the AgentAPI Host rule (a problem+json 400) instead of node's bare 400.
    http: { maxHeaderSize: MAX_HEADER_BYTES, requireHostHeader: false },
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    // Keep-alive sockets would hold close() open; fastify ends idle ones on close.
    forceCloseConnections: "idle",
    // fastify's closing answer is not problem+json: each listener's request hook refuses new work itself (health.ts).
    return503OnClosing: false,
    // Upstream's router (chi) answers HEAD on a GET route with 405; a HEAD /events would otherwise hold an event
    // stream open with nothing to send. /healthz opts back in for probes.
    exposeHeadRoutes: listener === "broker",
    // Per-request lines only at debug/trace: at info a load test would drown the log.
    logController: new LogController({ disableRequestLogging: !verbose }),
    // A pino child logger per request is a measurable share of GET /status CPU. Below debug nothing logs per request, so
    // requests share the listener's logger (error lines carry reqId explicitly).
    childLoggerFactory: (logger, bindings, options) => (verbose ? logger.child(bindings, options) : logger),
  });
}

function urlOf(host: string, port: number): string {
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
}

/** The broker listener's one onRequest hook: new work is refused while the target drains, then fault injection. */
function installBrokerGate(app: FastifyInstance, faults: FaultDefaults, isDraining: () => boolean): FaultStep {
  const step = createFaultStep(faults);
  app.addHook("onRequest", (request, reply, done) => {
    if (isDraining() && !isHealthz(request.url)) done(drainingProblem());
    else if (step.applies(request)) step.run(request, reply, done);
    else done();
  });
  return step;
}

/**
 * Start both listeners. Defaults are the documented environment defaults (the in-process stub does not read
 * process.env and logs nothing unless `logLevel` is given); pass `{ agentApiPort: 0, brokerPort: 0 }` for random ports.
 */
export async function startStub(overrides: Partial<StubConfig> = {}): Promise<RunningStub> {
  const config: StubConfig = { ...loadConfig({ STUB_LOG_LEVEL: "silent" }), ...overrides };
  let draining = false;
  const isDraining = (): boolean => draining;

  // AgentAPI surface.
  const agentApi = baseApp(config, "agentapi");
  if (config.state !== undefined && config.transport === "acp" && (config.state.load || config.state.save)) {
    throw new Error("ACP mode doesn't support state persistence");
  }
  const fleet = new AgentFleet(config.agents, {
    agentType: config.agentType,
    timing: config.timing,
    behaviour: {
      thinkMs: config.thinkMs,
      echoDelayMs: config.echoDelayMs,
      reactDelayMs: config.reactDelayMs,
      redrawMs: config.redrawMs,
    },
    maxMessages: config.maxMessages,
    transport: config.transport,
    acpChunkMs: config.acpChunkMs,
    state: config.state && new StateFile(config.state, config.agents, agentApi.log),
    streams: { open: 0, max: config.maxSseClients },
    links,
    log: agentApi.log,
  });
  installProblemHandling(agentApi, { validationStatus: 422, decorate: addErrorSchemaLink });
  // One onRequest hook for the whole listener: the drain check, faults, then upstream's Host and CORS rules.
  const agentApiFaults = installRequestGate(agentApi, {
    allowedHosts: config.allowedHosts,
    allowedOrigins: config.allowedOrigins,
    faults: config.faults,
    exempt: isHealthz,
    isDraining,
  });
  installHealthz(agentApi, isDraining);
  await registerAgentApi(agentApi, { config, fleet });

  // Broker surface.
  const store = createMemoryStore(config.broker.store);
  const broker = baseApp(config, "broker");
  installProblemHandling(broker, { validationStatus: 400 });
  const brokerFaults = installBrokerGate(broker, config.faults, isDraining);
  installHealthz(broker, isDraining);
  await registerBroker(broker, { settings: config.broker, store, log: broker.log });
  await registerMcp(broker, { settings: config.broker, store, log: broker.log });

  try {
    await agentApi.listen({ host: config.host, port: config.agentApiPort });
    await broker.listen({ host: config.host, port: config.brokerPort });
  } catch (error) {
    fleet.close();
    await Promise.allSettled([agentApi.close(), broker.close()]);
    await store.close();
    throw error;
  }

  const agentApiPort = (agentApi.server.address() as { port: number }).port;
  const brokerPort = (broker.server.address() as { port: number }).port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      draining = true;
      // Stop the agents' work in progress and end the open event streams (also the AgentAPI app's preClose hook),
      // so the listeners' close() waits neither for clients that never leave nor for timers.
      fleet.close();
      const closed = Promise.allSettled([agentApi.close(), broker.close()]);
      // Keep-alive sockets that finish their last response after close() began would hold it open: close
      // them as soon as they turn idle. After the grace period, whatever is left is destroyed.
      const sweeper = setInterval(() => {
        agentApi.server.closeIdleConnections();
        broker.server.closeIdleConnections();
      }, 25);
      const deadline = setTimeout(() => {
        agentApi.server.closeAllConnections();
        broker.server.closeAllConnections();
      }, CLOSE_GRACE_MS);
      await closed;
      clearInterval(sweeper);
      clearTimeout(deadline);
      await store.close();
    })();
    return closing;
  };

  return {
    agentApiUrl: urlOf(config.host, agentApiPort),
    brokerUrl: urlOf(config.host, brokerPort),
    fleet,
    agentsStable: () => fleet.stable(),
    faultsHolding: () => agentApiFaults.holding + brokerFaults.holding,
    saveState: () => fleet.saveState(),
    close,
  };
}
