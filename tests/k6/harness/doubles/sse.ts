// Double of `k6/x/sse` (xk6-sse v0.1.x): sse.open() blocks the VU while the stream is open, runs the setup
// callback, emits "open", then hands each parsed event to the "event" handlers (and parse problems to "error")
// until client.close() or the end of the stream. Samples as xk6-sse emits them: sse_event per event, and
// http_reqs / http_req_duration / http_req_sending for the connection, tagged with the VU's tags, the params'
// tags, url and status. The main thread parses the stream with xk6-sse's own line rules (see host.ts).
import { runtime } from "./runtime";

interface SseParams {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  tags?: Record<string, string>;
}

interface SseEvent {
  id: string;
  name: string;
  data: string;
  comment: string;
}

type Handler = (arg?: unknown) => void;

interface SseResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  error: string;
}

export function open(
  url: string,
  paramsOrSetup: SseParams | ((client: unknown) => void),
  maybeSetup?: (client: unknown) => void,
): SseResponse {
  const rt = runtime();
  const params: SseParams = typeof paramsOrSetup === "function" ? {} : paramsOrSetup;
  const setup = typeof paramsOrSetup === "function" ? paramsOrSetup : maybeSetup;
  if (typeof setup !== "function") throw new Error("last argument to sse.open must be a function");

  const tags: Record<string, string> = { ...rt.stateTags(), ...params.tags, url };
  const started = Date.now();
  const opened = rt.sseOpen({
    url,
    method: params.method ?? "GET",
    headers: { "User-Agent": "k6-harness", ...params.headers, Accept: "text/event-stream" },
    body: params.body ?? "",
  });
  if (opened.status !== 0) tags.status = String(opened.status);
  rt.emit("http_req_sending", "trend", opened.connectMs, tags);
  if (opened.error !== "") {
    // xk6-sse reports a failed connection to the (not yet registered) handlers, then returns the error.
    return { url, status: 0, headers: {}, error: opened.error };
  }

  const handlers = new Map<string, Handler[]>();
  let closed = false;
  const client = {
    on(event: string, handler: Handler) {
      handlers.set(event, [...(handlers.get(event) ?? []), handler]);
    },
    close() {
      closed = true;
    },
  };
  const fire = (event: string, arg?: unknown) => {
    for (const h of handlers.get(event) ?? []) h(arg);
  };

  setup(client);
  fire("open");
  let closedByScript = false;
  const deadline = started + rt.sseLimitMs;
  for (;;) {
    if (closed) {
      closedByScript = true;
      break;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      fire("error", { error: () => `harness: stream still open after ${rt.sseLimitMs} ms` });
      break;
    }
    const next = rt.sseNext({ streamId: opened.streamId, waitMs: Math.min(left, 1000) });
    if (next.kind === "event") {
      rt.emit("sse_event", "counter", 1, tags);
      const event: SseEvent = { id: next.id, name: next.name, data: next.data, comment: next.comment };
      fire("event", event);
    } else if (next.kind === "error") {
      fire("error", { error: () => next.message });
    } else if (next.kind === "end") {
      break;
    }
  }
  rt.sseClose({ streamId: opened.streamId });
  if (closedByScript) {
    // In xk6-sse, close() makes the reader goroutine fail on the closed body and the VU loop may deliver that
    // error to the handlers before it notices the close (a select race). The double always delivers it, so a
    // script that would count its own close as a stream error fails here too.
    fire("error", { error: () => "http: read on closed response body" });
  }

  const total = Date.now() - started;
  rt.emit("http_reqs", "counter", 1, tags);
  rt.emit("http_req_sending", "trend", opened.connectMs, tags);
  rt.emit("http_req_duration", "trend", total, tags);
  return { url, status: opened.status, headers: opened.headers, error: "" };
}

export default { open };
