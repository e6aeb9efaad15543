// A loopback reverse proxy in front of a target listener, for tests that need the target to misbehave in one
// deterministic way. `route` sees every request and either answers it itself or forwards it, optionally with extra
// headers (the target's own X-Fault-* headers make it fail or slow down for real).
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";

export interface ReverseProxy {
  url: string;
  close(): Promise<void>;
}

/** Forwards the request to the target with these headers added; the target's answer is streamed back. */
export type Forward = (extraHeaders?: Record<string, string>) => void;

export async function startReverseProxy(
  targetUrl: string,
  route: (req: IncomingMessage, res: ServerResponse, forward: Forward) => void,
): Promise<ReverseProxy> {
  const target = new URL(targetUrl);
  const server = createServer((req, res) => {
    const forward: Forward = (extraHeaders = {}) => {
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
    route(req, res, forward);
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
