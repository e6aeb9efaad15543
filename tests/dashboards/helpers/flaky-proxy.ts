// A loopback reverse proxy in front of the target's AgentAPI listener that makes a run look like one against a
// struggling server, deterministically (so every error panel gets data from real journey code paths):
//  - every GET /events answers 200 text/event-stream and ends at once, before the initial state: the journeys
//    count that as an SSE timeout (timeout_count{endpoint:events});
//  - every third GET /messages is forwarded with the target's own fault header `X-Fault-Status: 503`, so the
//    target answers a real injected 503 (failed request, failed check).
// Everything else is forwarded unchanged.
import { startReverseProxy, type ReverseProxy } from "../../support/reverse-proxy";

export function startFlakyProxy(targetUrl: string): Promise<ReverseProxy> {
  let messagesSeen = 0;
  return startReverseProxy(targetUrl, (req, res, forward) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/events") {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.end();
      return;
    }
    if (req.method === "GET" && path === "/messages" && ++messagesSeen % 3 === 0) {
      forward({ "x-fault-status": "503" });
      return;
    }
    forward();
  });
}
