// The main-thread side of the harness: performs the real I/O for VU workers. A VU posts a request on its port and
// sleeps in Atomics.wait; this answers on the same port and wakes it. The main thread never blocks, so a target
// running in this same thread (the in-process stub) keeps serving while VUs wait.
import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { MessagePort } from "node:worker_threads";
import type {
  HostRequest,
  HttpRequestMessage,
  HttpResponseMessage,
  SseNextResult,
  SseOpenMessage,
  SseOpenResult,
} from "./types";

/** k6's error codes for the failures the harness can tell apart. */
const ERROR_CODES = { generic: 1000, timeout: 1050, refused: 1212, reset: 1220 } as const;

function joinHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function failure(error: Error & { code?: string }, url: string): Pick<HttpResponseMessage, "error" | "errorCode"> {
  if (error.message === "request timeout") return { error: "request timeout", errorCode: ERROR_CODES.timeout };
  if (error.code === "ECONNREFUSED") {
    return { error: `dial tcp ${new URL(url).host}: connect: connection refused`, errorCode: ERROR_CODES.refused };
  }
  if (error.code === "ECONNRESET") return { error: "connection reset by peer", errorCode: ERROR_CODES.reset };
  return { error: error.message, errorCode: ERROR_CODES.generic };
}

class XkSseParser {
  private pending = "";
  private event = { id: "", name: "", data: "", comment: "" };
  private data = "";

  constructor(private readonly push: (item: SseNextResult) => void) {}

  /** Line rules of xk6-sse's reader: each line keeps its "\n"; anything unrecognised is an "unknown event" error. */
  feed(chunk: string): void {
    this.pending += chunk;
    let newline = this.pending.indexOf("\n");
    while (newline >= 0) {
      const line = this.pending.slice(0, newline + 1);
      this.pending = this.pending.slice(newline + 1);
      this.line(line);
      newline = this.pending.indexOf("\n");
    }
  }

  private line(line: string): void {
    const rest = (n: number) => line.slice(n, -1);
    if (line.startsWith("id: ")) this.event.id = rest(4);
    else if (line.startsWith("id:")) this.event.id = rest(3);
    else if (line.startsWith(": ")) this.event.comment = rest(2);
    else if (line.startsWith(":")) this.event.comment = rest(1);
    else if (line.startsWith("event: ")) this.event.name = rest(7);
    else if (line.startsWith("event:")) this.event.name = rest(6);
    else if (line.startsWith("data: ")) this.data += line.slice(6);
    else if (line.startsWith("data:")) this.data += line.slice(5);
    else if (line.startsWith("retry:")) {
      // ignored, as xk6-sse does
    } else if (line === "\n") {
      this.push({ kind: "event", ...this.event, data: this.data.replace(/[\r\n]+$/, "") });
      this.event = { id: "", name: "", data: "", comment: "" };
      this.data = "";
    } else {
      this.push({ kind: "error", message: `unknown event: ${line}` });
    }
  }
}

interface Stream {
  request: http.ClientRequest;
  response: http.IncomingMessage | undefined;
  queue: SseNextResult[];
  ended: boolean;
  wake: (() => void) | undefined;
}

/** One HTTP request a VU made, as it completed: status 0 with k6's error code when it got no answer. */
export interface HttpAnswer {
  method: string;
  url: string;
  status: number;
  errorCode: number;
}

/** Serves one VU worker's requests. */
export class VuIo {
  private readonly agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 4 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 4 }),
  };
  private readonly streams = new Map<number, Stream>();
  private nextStream = 1;
  private readonly signal: Int32Array;
  /** Every request the VU made (method + URL), so tests can prove which hosts were (not) contacted. */
  readonly requested: string[] = [];

  constructor(
    private readonly port: MessagePort,
    signal: SharedArrayBuffer,
    /** Told of every answered or failed HTTP request as it completes (tests that act on what the VUs see). */
    private readonly onAnswer?: (answer: HttpAnswer) => void,
  ) {
    this.signal = new Int32Array(signal);
    port.on("message", (message: HostRequest) => {
      void this.serve(message).then((answer) => {
        this.port.postMessage(answer);
        Atomics.store(this.signal, 0, 1);
        Atomics.notify(this.signal, 0);
      });
    });
  }

  private serve(message: HostRequest): Promise<unknown> {
    switch (message.op) {
      case "http":
        return this.http(message).then((answer) => {
          this.onAnswer?.({
            method: message.method,
            url: message.url,
            status: answer.status,
            errorCode: answer.errorCode,
          });
          return answer;
        });
      case "sse-open":
        return this.sseOpen(message);
      case "sse-next":
        return this.sseNext(message.streamId, message.waitMs);
      case "sse-close":
        this.sseClose(message.streamId);
        return Promise.resolve({ closed: true });
    }
  }

  private transport(url: string) {
    return url.startsWith("https:") ? { mod: https, agent: this.agents.https } : { mod: http, agent: this.agents.http };
  }

  http(req: HttpRequestMessage): Promise<HttpResponseMessage> {
    this.requested.push(`${req.method} ${req.url}`);
    return new Promise((resolve) => {
      const t0 = performance.now();
      let tSocket = t0;
      let tConnected = t0;
      let tSent = t0;
      let tFirstByte = t0;
      let socket: Socket | undefined;
      let readAtStart = 0;
      let writtenAtStart = 0;
      let settled = false;
      const { mod, agent } = this.transport(req.url);

      const finish = (partial: Partial<HttpResponseMessage>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const end = performance.now();
        resolve({
          status: 0,
          statusText: "",
          headers: {},
          body: "",
          error: "",
          errorCode: 0,
          bytesSent: socket ? socket.bytesWritten - writtenAtStart : 0,
          bytesReceived: socket ? socket.bytesRead - readAtStart : 0,
          timings: {
            blocked: tSocket - t0,
            connecting: tConnected - tSocket,
            sending: Math.max(0, tSent - tConnected),
            waiting: Math.max(0, tFirstByte - tSent),
            receiving: Math.max(0, end - tFirstByte),
          },
          ...partial,
        });
      };

      let request: http.ClientRequest;
      try {
        const headers: Record<string, string> = { ...req.headers };
        if (req.body !== null) headers["Content-Length"] = String(Buffer.byteLength(req.body));
        request = mod.request(req.url, { method: req.method, headers, agent });
      } catch (error) {
        finish(failure(error as Error, req.url));
        return;
      }
      const timer = setTimeout(() => request.destroy(new Error("request timeout")), req.timeoutMs);

      request.on("socket", (s: Socket) => {
        socket = s;
        readAtStart = s.bytesRead;
        writtenAtStart = s.bytesWritten;
        tSocket = performance.now();
        tConnected = tSocket;
        if (s.connecting) s.once("connect", () => (tConnected = performance.now()));
      });
      request.on("finish", () => (tSent = performance.now()));
      request.on("response", (res) => {
        tFirstByte = performance.now();
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          finish({
            status,
            statusText: res.statusMessage ?? "",
            headers: joinHeaders(res.headers),
            body: Buffer.concat(chunks).toString("utf8"),
            errorCode: status >= 400 ? 1000 + status : 0,
          });
        });
        res.on("error", (error) => finish(failure(error, req.url)));
      });
      request.on("error", (error) => finish(failure(error, req.url)));
      request.end(req.body ?? undefined);
    });
  }

  private sseOpen(req: SseOpenMessage): Promise<SseOpenResult> {
    this.requested.push(`SSE ${req.method} ${req.url}`);
    return new Promise((resolve) => {
      const started = performance.now();
      const id = this.nextStream++;
      const { mod } = this.transport(req.url);
      // A dedicated connection per stream, as xk6-sse uses its own HTTP client.
      const request = mod.request(req.url, { method: req.method, headers: req.headers, agent: false });
      const stream: Stream = { request, response: undefined, queue: [], ended: false, wake: undefined };
      const push = (item: SseNextResult) => {
        stream.queue.push(item);
        stream.wake?.();
      };
      const parser = new XkSseParser(push);
      request.on("response", (res) => {
        stream.response = res;
        this.streams.set(id, stream);
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => parser.feed(chunk));
        const end = () => {
          stream.ended = true;
          stream.wake?.();
        };
        res.on("end", end);
        res.on("close", end);
        res.on("error", end);
        resolve({
          streamId: id,
          status: res.statusCode ?? 0,
          headers: joinHeaders(res.headers),
          error: "",
          connectMs: performance.now() - started,
        });
      });
      request.on("error", (error) => {
        if (stream.response === undefined) {
          resolve({ streamId: -1, status: 0, headers: {}, error: failure(error, req.url).error, connectMs: 0 });
        } else {
          stream.ended = true;
          stream.wake?.();
        }
      });
      request.end(req.body === "" ? undefined : req.body);
    });
  }

  private sseNext(id: number, waitMs: number): Promise<SseNextResult> {
    const stream = this.streams.get(id);
    if (!stream) return Promise.resolve({ kind: "end" });
    const take = (): SseNextResult | undefined => {
      const item = stream.queue.shift();
      if (item) return item;
      return stream.ended ? { kind: "end" } : undefined;
    };
    const now = take();
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        stream.wake = undefined;
        resolve(take() ?? { kind: "idle" });
      }, waitMs);
      stream.wake = () => {
        clearTimeout(timer);
        stream.wake = undefined;
        resolve(take() ?? { kind: "idle" });
      };
    });
  }

  private sseClose(id: number): void {
    const stream = this.streams.get(id);
    if (!stream) return;
    this.streams.delete(id);
    stream.response?.destroy();
    stream.request.destroy();
  }

  close(): void {
    for (const id of [...this.streams.keys()]) this.sseClose(id);
    this.agents.http.destroy();
    this.agents.https.destroy();
    this.port.close();
  }
}
