// The clients without a Prometheus: where the URL comes from, and the one-line errors when nothing answers or the
// answer is not Prometheus'.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createQueryClient,
  createRemoteWriter,
  loadPrometheusConfig,
  parseFloatString,
  PrometheusError,
} from "../../tools/prometheus/index";
import { closedPortUrl } from "../k6/helpers";

describe("configuration", () => {
  it("PROMETHEUS_URL from the environment wins, trailing slashes dropped; else the loopback default", () => {
    expect(loadPrometheusConfig({ env: { PROMETHEUS_URL: "http://prom:9090/" }, envFile: null })).toEqual({
      url: "http://prom:9090",
    });
    expect(loadPrometheusConfig({ env: {}, envFile: null })).toEqual({ url: "http://127.0.0.1:9090" });
  });

  it("the API's float spellings", () => {
    expect([parseFloatString("+Inf"), parseFloatString("-Inf"), parseFloatString("0.25")]).toEqual([
      Infinity,
      -Infinity,
      0.25,
    ]);
    expect(parseFloatString("NaN")).toBeNaN();
  });
});

describe("errors", () => {
  let notPrometheus: Server;
  let notPrometheusUrl: string;

  beforeAll(async () => {
    // Answers everything with an HTML 404, as a wrong URL (another service) would.
    notPrometheus = createServer((_req, res) =>
      res.writeHead(404, { "content-type": "text/html" }).end("<h1>nope</h1>"),
    );
    await new Promise<void>((resolve) => notPrometheus.listen(0, "127.0.0.1", resolve));
    notPrometheusUrl = `http://127.0.0.1:${(notPrometheus.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => notPrometheus.close(() => resolve())));

  it("nothing listening: `unreachable`, one line naming the URL and the fix", async () => {
    const url = await closedPortUrl();
    const write = await createRemoteWriter({ url })
      .write([])
      .catch((e: unknown) => e);
    expect(write).toBeInstanceOf(PrometheusError);
    expect((write as PrometheusError).kind).toBe("unreachable");
    expect((write as PrometheusError).message).toBe(
      `Prometheus at ${url} is unreachable (ECONNREFUSED): start Prometheus or set PROMETHEUS_URL`,
    );
    const query = await createQueryClient({ url })
      .query("up")
      .catch((e: unknown) => e);
    expect((query as PrometheusError).kind).toBe("unreachable");
  });

  it("a 404 from the write endpoint says how to turn the receiver on; a non-JSON query answer is `bad-response`", async () => {
    const write = await createRemoteWriter({ url: notPrometheusUrl })
      .write([])
      .catch((e: unknown) => e);
    expect((write as PrometheusError).message).toBe(
      `Prometheus at ${notPrometheusUrl} rejected the remote write (404: <h1>nope</h1>) ` +
        "(start Prometheus with --web.enable-remote-write-receiver)",
    );
    expect((write as PrometheusError).status).toBe(404);
    const query = await createQueryClient({ url: notPrometheusUrl })
      .query("up")
      .catch((e: unknown) => e);
    expect((query as PrometheusError).kind).toBe("bad-response");
    expect((query as PrometheusError).message).toBe(
      `Prometheus at ${notPrometheusUrl} answered 404 with no API JSON: <h1>nope</h1>`,
    );
  });
});
