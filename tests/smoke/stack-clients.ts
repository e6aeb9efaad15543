// Thin HTTP clients for the running stack, as the smoke test needs them: InfluxDB 2's v1-compatible /query with
// the operator token, and Grafana's HTTP API (datasource health, dashboard by uid, /api/ds/query).
import { createServer } from "node:net";

/** A free TCP port on loopback (the stack publishes its ports there). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

interface InfluxResponse {
  results?: { series?: { values?: unknown[][] }[]; error?: string }[];
  error?: string;
}

/** Number of points of `measurement` tagged with `testid`, through InfluxQL on InfluxDB 2's v1 API. */
export async function countPoints(
  influx: { url: string; token: string; database: string },
  measurement: string,
  testid: string,
): Promise<number> {
  return queryNumber(influx, `SELECT count("value") FROM "${measurement}" WHERE "testid" = '${testid}'`);
}

/** The first value of the first row of an InfluxQL answer (0 when there is none). */
export async function queryNumber(
  influx: { url: string; token: string; database: string },
  query: string,
): Promise<number> {
  const url = `${influx.url}/query?${new URLSearchParams({ db: influx.database, q: query }).toString()}`;
  const response = await fetch(url, { headers: { Authorization: `Token ${influx.token}` } });
  const body = (await response.json()) as InfluxResponse;
  const error = body.error ?? body.results?.[0]?.error;
  if (!response.ok || error) throw new Error(`InfluxDB ${response.status}: ${error ?? "no body"}`);
  const row = body.results?.[0]?.series?.[0]?.values?.[0];
  return typeof row?.[1] === "number" ? row[1] : 0;
}

export class GrafanaClient {
  constructor(
    private readonly baseUrl: string,
    private readonly user: string,
    private readonly password: string,
  ) {}

  private async request<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const auth = Buffer.from(`${this.user}:${this.password}`).toString("base64");
    const response = await fetch(`${this.baseUrl}${path}`, {
      ...init,
      headers: { Authorization: `Basic ${auth}`, "Content-Type": "application/json", ...init.headers },
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  datasourceHealth(uid: string) {
    return this.request<{ status?: string; message?: string }>(`/api/datasources/uid/${uid}/health`);
  }

  dashboard(uid: string) {
    return this.request<{ dashboard?: { uid?: string; title?: string } }>(`/api/dashboards/uid/${uid}`);
  }

  /** Runs one raw InfluxQL target the way a panel does; Grafana's backend expands $timeFilter and $__interval. */
  async query(
    target: { refId: string; datasourceUid: string; query: string },
    range: { fromMs: number; toMs: number },
  ) {
    const { status, body } = await this.request<DsQueryResponse>("/api/ds/query", {
      method: "POST",
      body: JSON.stringify({
        from: String(range.fromMs),
        to: String(range.toMs),
        queries: [
          {
            refId: target.refId,
            datasource: { type: "influxdb", uid: target.datasourceUid },
            query: target.query,
            rawQuery: true,
            resultFormat: "time_series",
            intervalMs: 1000,
            maxDataPoints: 1000,
          },
        ],
      }),
    });
    const result = body.results?.[target.refId];
    const values = (result?.frames ?? []).flatMap((frame) => (frame.data?.values ?? []).slice(1).flat());
    return { status, error: result?.error, nonNullValues: values.filter((v) => v !== null).length };
  }
}

interface DsQueryResponse {
  results?: Record<string, { error?: string; frames?: { data?: { values?: unknown[][] } }[] }>;
}
