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
  /** Settles when the session ends (DELETE, idle expiry, eviction, shutdown); in-flight requests race it. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

interface LiveSession extends McpSession {
  readonly id: string;
  readonly configId: string;
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
    let markClosed!: () => void;
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    let sessionId: string | undefined;
    const close = (): Promise<void> => server.close();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      enableJsonResponse: true,
      onsessioninitialized: async (id) => {
        sessionId = id;
        await this.add({ id, configId: access.configId, transport, closed, close, lastSeenAt: Date.now() }, access);
      },
    });
    // Chained by McpServer.connect: runs on every way a session can end.
    transport.onclose = () => {
      markClosed();
      if (sessionId !== undefined) this.forget(sessionId);
    };
    await server.connect(transport);
    return { transport, closed, close };
  }

  /** The session, if it exists and belongs to this access token's MCP config; marks it as used. */
  async find(sessionId: string, access: McpAccess): Promise<McpSession | undefined> {
    const { store, idleMs } = this.options;
    const record = await store.mcpSessions.get(sessionId);
    const session = this.live.get(sessionId);
    if (record === undefined || session === undefined) {
      // One side expired or was evicted before the other: end both.
      if (session !== undefined) await session.close();
      if (record !== undefined) await store.mcpSessions.delete(sessionId);
      return undefined;
    }
    if (record.configId !== access.configId) return undefined;
    await store.mcpSessions.touch(sessionId, idleMs);
    session.lastSeenAt = Date.now();
    this.live.delete(sessionId);
    this.live.set(sessionId, session);
    return session;
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
    for (const session of this.live.values()) {
      // Least recently used first: the first one still in use ends the scan.
      if (now - session.lastSeenAt < this.options.idleMs) break;
      this.expired++;
      closed++;
      this.live.delete(session.id);
      void session.close();
    }
    return closed;
  }

  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    const sessions = [...this.live.values()];
    this.live.clear();
    await Promise.allSettled(sessions.map((session) => session.close()));
  }

  private async add(session: LiveSession, access: McpAccess): Promise<void> {
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
      await oldest.value.close();
    }
    this.live.set(session.id, session);
    await store.mcpSessions.set(
      session.id,
      { sessionId: session.id, configId: access.configId, ownerId: access.userId, createdAt: Date.now() },
      idleMs,
    );
  }

  private forget(sessionId: string): void {
    this.live.delete(sessionId);
    void this.options.store.mcpSessions.delete(sessionId);
  }
}
