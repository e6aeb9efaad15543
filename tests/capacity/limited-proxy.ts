// A target with a KNOWN capacity: a loopback proxy in front of the reference target that serves at most
// `concurrency` requests at once, each holding its slot for `serviceMs` before it is forwarded (and until its answer
// is sent). So throughput ≤ concurrency / serviceMs, and past that requests queue (first come, first served) and
// their latency climbs without bound — the knee a capacity search must find.
import { startReverseProxy, type ReverseProxy } from "../support/reverse-proxy";

export interface LimitedProxy extends ReverseProxy {
  /** Requests per second it can serve at most. */
  readonly limitPerSecond: number;
  /** Most requests ever waiting for a slot. */
  readonly maxQueued: () => number;
}

export async function startLimitedProxy(
  targetUrl: string,
  concurrency: number,
  serviceMs: number,
): Promise<LimitedProxy> {
  let busy = 0;
  let maxQueued = 0;
  const queue: Array<() => void> = [];
  const release = () => {
    busy--;
    const next = queue.shift();
    if (next) next();
  };
  const proxy = await startReverseProxy(targetUrl, (_req, res, forward) => {
    const serve = () => {
      busy++;
      let released = false;
      res.on("close", () => {
        if (!released) {
          released = true;
          release();
        }
      });
      setTimeout(() => forward(), serviceMs);
    };
    if (busy < concurrency) serve();
    else {
      queue.push(serve);
      maxQueued = Math.max(maxQueued, queue.length);
    }
  });
  return { ...proxy, limitPerSecond: (concurrency * 1000) / serviceMs, maxQueued: () => maxQueued };
}
