// Live MCP sessions: one McpServer + Streamable HTTP transport per session, in a map bounded by the store's
// mcpSessions cap and closed after the configured idle time. The Store keeps each session's record (who may use
// it); this map keeps the objects that cannot leave the process. Map order is least recently used first.
import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { McpAccess } from "../broker/auth";
import type { Store } from "../store/types";
import { registerTools } from "./tools";

export const MCP_SERVER_INFO = { name: "agentapi-stub-mcp", version: "0.1.0" } as const;

// Each McpServer would otherwise build its own Ajv instance, the largest part of the cost of a new session.
// The validator only caches compiled schemas, so one instance serves every session.
const sharedValidator = new AjvJsonSchemaValidator();

export interface McpSession {
  readonly transport: WebStandardStreamableHTTPServerTransport;
  /**
   * `work`'s result, or undefined as soon as the session ends first (DELETE, idle expiry, eviction, shutdown), so a
   * request waiting on a tool never outlives its session.
   */
  unlessEnded<T>(work: Promise<T>): Promise<T | undefined>;
  /** Requests waiting in unlessEnded right now. */
  readonly inFlight: number;
  close(): Promise<void>;
}

/**
 * How a session's waiting requests learn that it ended. Each one is tracked only until it settles: racing every
 * request against one long-lived "closed" promise instead would leave a reaction (~0.5 KB) on that promise per
 * request for as long as the session lives.
 */
class EndSignal {
  private ended = false;
  private readonly waiting = new Set<() => void>();

  get inFlight(): number {
    return this.waiting.size;
  }

  end(): void {
    this.ended = true;
    for (const stop of this.waiting) stop();
    this.waiting.clear();
  }

  unlessEnded<T>(work: Promise<T>): Promise<T | undefined> {
    if (this.ended) {
      work.catch(() => undefined);
      return Promise.resolve(undefined);
    }
    return new Promise<T | undefined>((resolve, reject) => {
      const stop = (): void => resolve(undefined);
      this.waiting.add(stop);
      work.then(
        (value) => {
          this.waiting.delete(stop);
          resolve(value);
        },
        (error: unknown) => {
          this.waiting.delete(stop);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}

/** A session the SDK accepted, with what routing and the idle sweep need. */
interface LiveSession {
  readonly id: string;
  readonly configId: string;
  readonly session: McpSession;
  lastSeenAt: number;
}

export interface McpSessionsOptions {
  cap: number;
  idleMs: number;
  sweepIntervalMs: number;
  toolLatencyScale: number;
  store: Store;
  log: FastifyBaseLogger;
}

export class McpSessions {
  private readonly live = new Map<string, LiveSession>();
  private readonly timer: NodeJS.Timeout;
  private evicted = 0;
  private expired = 0;

  constructor(private readonly options: McpSessionsOptions) {
    this.timer = setInterval(() => this.sweep(), options.sweepIntervalMs);
    this.timer.unref();
  }

  /**
   * A server and transport for an initialize request. It joins the map only once the SDK accepts the initialize
   * (onsessioninitialized); the caller closes it if that never happens.
   */
  async open(access: McpAccess): Promise<McpSession> {
    const server = new McpServer(MCP_SERVER_INFO, { jsonSchemaValidator: sharedValidator });
    registerTools(server, this.options.toolLatencyScale);
    const ended = new EndSignal();
    let sessionId: string | undefined;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      enableJsonResponse: true,
      onsessioninitialized: async (id) => {
        sessionId = id;
        await this.add({ id, configId: access.configId, session, lastSeenAt: Date.now() }, access);
      },
    });
    const session: McpSession = {
      transport,
      unlessEnded: (work) => ended.unlessEnded(work),
      get inFlight() {
        return ended.inFlight;
      },
      close: () => server.close(),
    };
    // Chained by McpServer.connect: runs on every way a session can end.
    transport.onclose = () => {
      ended.end();
      if (sessionId !== undefined) this.forget(sessionId);
    };
    await server.connect(transport);
    return session;
  }

  /** The session, if it exists and belongs to this access token's MCP config; marks it as used. */
  async find(sessionId: string, access: McpAccess): Promise<McpSession | undefined> {
    const { store, idleMs } = this.options;
    const record = await store.mcpSessions.get(sessionId);
    const live = this.live.get(sessionId);
    if (record === undefined || live === undefined) {
      // One side expired or was evicted before the other: end both.
      if (live !== undefined) await live.session.close();
      if (record !== undefined) await store.mcpSessions.delete(sessionId);
      return undefined;
    }
    if (record.configId !== access.configId) return undefined;
    await store.mcpSessions.touch(sessionId, idleMs);
    live.lastSeenAt = Date.now();
    this.live.delete(sessionId);
    this.live.set(sessionId, live);
    return live.session;
  }

  get size(): number {
    return this.live.size;
  }

  stats(): { size: number; cap: number; evicted: number; expired: number } {
    return { size: this.live.size, cap: this.options.cap, evicted: this.evicted, expired: this.expired };
  }

  /** Close every session idle for longer than idleMs; returns how many. */
  sweep(now: number = Date.now()): number {
    let closed = 0;
    for (const live of this.live.values()) {
      // Least recently used first: the first one still in use ends the scan.
      if (now - live.lastSeenAt < this.options.idleMs) break;
      this.expired++;
      closed++;
      this.live.delete(live.id);
      void live.session.close();
    }
    return closed;
  }

  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    const sessions = [...this.live.values()];
    this.live.clear();
    await Promise.allSettled(sessions.map((live) => live.session.close()));
  }

  private async add(live: LiveSession, access: McpAccess): Promise<void> {
    const { cap, store, idleMs, log } = this.options;
    while (this.live.size >= cap) {
      const oldest = this.live.values().next();
      if (oldest.done === true) break;
      this.evicted++;
      this.live.delete(oldest.value.id);
      // Warn once; under sustained pressure every later eviction would flood the log.
      (this.evicted === 1 ? log.warn : log.debug).call(
        log,
        { sessionId: oldest.value.id, cap },
        "MCP session cap reached: closing the least recently used session",
      );
      await oldest.value.session.close();
    }
    this.live.set(live.id, live);
    await store.mcpSessions.set(
      live.id,
      { sessionId: live.id, configId: access.configId, ownerId: access.userId, createdAt: Date.now() },
      idleMs,
    );
  }

  private forget(sessionId: string): void {
    this.live.delete(sessionId);
    void this.options.store.mcpSessions.delete(sessionId);
  }
}
