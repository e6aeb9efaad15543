// A loopback reverse proxy in front of the target's AgentAPI listener that makes a run look like one against a
// struggling server, deterministically (so every error panel gets data from real journey code paths):
//  - every GET /events answers 200 text/event-stream and ends at once, before the initial state: the journeys
//    count that as an SSE timeout (timeout_count{endpoint:events});
//  - every third GET /messages is forwarded with the target's own fault header `X-Fault-Status: 503`, so the
//    target answers a real injected 503 (failed request, failed check).
// Everything else is forwarded unchanged.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export interface FlakyProxy {
  url: string;
  close(): Promise<void>;
}

export async function startFlakyProxy(targetUrl: string): Promise<FlakyProxy> {
  const target = new URL(targetUrl);
  let messagesSeen = 0;

  const forward = (req: IncomingMessage, res: ServerResponse, extraHeaders: Record<string, string>): void => {
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, ...extraHeaders },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/events") {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.end();
      return;
    }
    if (req.method === "GET" && path === "/messages" && ++messagesSeen % 3 === 0) {
      forward(req, res, { "x-fault-status": "503" });
      return;
    }
    forward(req, res, {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
