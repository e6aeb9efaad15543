// The rollup against a real InfluxDB (Debian's 1.x; InfluxDB 2 answers the same v1 /query and /write APIs): a
// 20-minute run in xk6-output-influxdb's schema (the harness's series and sample mix, helpers/long-run.ts) is rolled
// up, and every row must equal what the raw percentile query returns for its window and selection — the whole run,
// one scenario, one endpoint, both — for every rolled-up trend. The live follower must end with the same rows while
// samples arrive over time, late ones included, and after a restart in the middle of a run.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INFLUX_DATABASE, INFLUX_RETENTION_POLICY } from "../../infra/grafana/src/datasource";
import { baseRow } from "../../infra/grafana/src/thresholds";
import { createInfluxReader, createInfluxWriter, type InfluxReader, type InfluxWriter } from "../../tools/influx/index";
import { createFollower } from "../../tools/rollup/follow";
import { rollupRange } from "../../tools/rollup/rollup";
import { ALL, ROLLUP_PERCENTILES, ROLLUP_WINDOW_MS, ROLLUPS, type RollupSpec } from "../../tools/rollup/spec";
import { withAgentSamples } from "../dashboards/helpers/agent-samples";
import { findInfluxd, startInfluxd, type RunningInfluxd } from "../dashboards/helpers/influxd";
import { recordRun, type MetricSample } from "../dashboards/helpers/journey-samples";
import { writeLongRun, type LongRunStats } from "../dashboards/helpers/long-run";
import { REPO_ROOT } from "../k6/harness/bundle";
import { runCli, type CliResult } from "../support/run-cli";
import { closedPortUrl } from "../k6/helpers";
import { until } from "../support/wait";

const INFLUXD = findInfluxd();
if (INFLUXD === undefined)
  console.warn("SKIP tests/rollup: no influxd (apt-get install influxdb); the rollup was NOT run");

const BACKFILLED = "20261201-110000-aaaa";
const FOLLOWED = "20261201-110000-bbbb";
const START_MS = Date.UTC(2026, 11, 1, 11, 0, 0);
const POINTS = 60_000;

type Selection = { scenario?: string; endpoint?: string };
type Row = (number | string | boolean | null)[];

const cli = (args: string[], env: Record<string, string>): CliResult => runCli("tools/rollup/cli.ts", args, env);

describe.skipIf(INFLUXD === undefined)("the latency rollup on a real InfluxDB", () => {
  let influx: RunningInfluxd;
  let reader: InfluxReader;
  let writer: InfluxWriter;
  let harness: MetricSample[];
  let stats: LongRunStats;
  let scenarios: string[];
  let endpoints: string[];

  const quote = (v: string): string => `'${v.replace(/'/g, "\\'")}'`;

  /** The raw percentile query, per 10 s window, for a selection: what the panels read before the rollup. */
  async function raw(spec: RollupSpec, testid: string, sel: Selection): Promise<Row[]> {
    const where = [
      `"testid" = ${quote(testid)}`,
      ...Object.entries(spec.where).map(([k, v]) => `"${k}" = ${quote(v)}`),
      ...Object.entries(sel).map(([k, v]) => `"${k}" = ${quote(v)}`),
      `time >= ${stats.startMs}ms AND time < ${stats.endMs + ROLLUP_WINDOW_MS}ms`,
    ].join(" AND ");
    const fields = [...ROLLUP_PERCENTILES.map((p) => `percentile("value", ${p})`), `max("value")`, `count("value")`];
    const series = await reader.query(
      `SELECT ${fields.join(", ")} FROM "${spec.source}" WHERE ${where} GROUP BY time(10s) fill(none)`,
    );
    return series.flatMap((s) => s.values);
  }

  /** The rollup's rows for the same selection. */
  async function rolled(spec: RollupSpec, testid: string, sel: Selection): Promise<Row[]> {
    const fields = [...ROLLUP_PERCENTILES.map((p) => `"p${p}"`), `"max"`, `"count"`];
    const series = await reader.query(
      `SELECT ${fields.join(", ")} FROM "${spec.measurement}" WHERE "testid" = ${quote(testid)} AND ` +
        `"scenario" = ${quote(sel.scenario ?? ALL)} AND "endpoint" = ${quote(sel.endpoint ?? ALL)}`,
    );
    return series.flatMap((s) => s.values);
  }

  function selections(): Selection[] {
    const out: Selection[] = [{}];
    for (const scenario of scenarios.slice(0, 3)) out.push({ scenario });
    for (const endpoint of endpoints.slice(0, 4)) out.push({ endpoint });
    out.push(
      { scenario: "agent_conversation", endpoint: "status" },
      { scenario: "mixed_workload", endpoint: "message" },
    );
    return out;
  }

  async function expectEqualToRaw(testid: string): Promise<void> {
    for (const spec of ROLLUPS) {
      let withSamples = 0;
      for (const sel of selections()) {
        // Some selections have no sample of a spec (GET /events is a stream, not a kind:call request): no rows either.
        const expected = await raw(spec, testid, sel);
        if (expected.length > 0) withSamples++;
        expect(await rolled(spec, testid, sel), `${spec.measurement} ${JSON.stringify(sel)}`).toEqual(expected);
      }
      expect(withSamples, spec.source).toBeGreaterThanOrEqual(selections().length - 2);
    }
  }

  beforeAll(async () => {
    influx = await startInfluxd(INFLUXD as string);
    await influx.query(`CREATE DATABASE "${INFLUX_DATABASE}" WITH NAME "${INFLUX_RETENTION_POLICY}"`);
    reader = createInfluxReader({ url: influx.url, envFile: null });
    writer = createInfluxWriter({ url: influx.url, envFile: null });
    harness = withAgentSamples(await recordRun(BACKFILLED), BACKFILLED);
    const write = (testid: string): Promise<LongRunStats> =>
      writeLongRun(influx, harness, {
        testid,
        startMs: START_MS,
        points: POINTS,
        db: INFLUX_DATABASE,
        rp: INFLUX_RETENTION_POLICY,
      });
    stats = await write(BACKFILLED);
    await write(FOLLOWED);
    const tagValues = async (key: string): Promise<string[]> =>
      (await reader.query(`SHOW TAG VALUES FROM "http_req_duration" WITH KEY = "${key}"`)).flatMap((s) =>
        s.values.map((row) => String(row[1])),
      );
    scenarios = await tagValues("scenario");
    endpoints = await tagValues("endpoint");
  }, 120_000);

  afterAll(async () => {
    await influx?.stop();
  });

  it("rolls up the trend the latency row's threshold judges, with its fixed tags", () => {
    const duration = ROLLUPS.find((r) => r.source === "http_req_duration");
    expect(duration?.where).toEqual(baseRow("http_req_duration").tags);
  });

  it("backfills a run: every row equals the raw percentile query of its window and selection", async () => {
    const result = await rollupRange(reader, writer, BACKFILLED, stats.startMs, stats.endMs + 1);
    expect(result.windows).toBe(121);
    expect(result.rows).toBeGreaterThan(120 * 4);
    await expectEqualToRaw(BACKFILLED);
  }, 60_000);

  it("writes the same rows again when a range is rolled up twice (overwrites, no duplicates)", async () => {
    const before = await rolled(ROLLUPS[0] as RollupSpec, BACKFILLED, {});
    await rollupRange(reader, writer, BACKFILLED, stats.startMs + 300_000, stats.startMs + 400_000);
    expect(await rolled(ROLLUPS[0] as RollupSpec, BACKFILLED, {})).toEqual(before);
  });

  it("follows a live run, counts a late sample that lands within the lookback, and survives a restart", async () => {
    let now = START_MS + 4 * 60_000;
    let follower = createFollower(reader, writer, { now: () => now });
    const first = await follower.tick();
    // The first sight of the run rolls it up from its first sample.
    expect(first.runs).toContain(FOLLOWED);
    expect(first.started.sort()).toEqual([...first.runs].sort());

    // A sample k6 flushed late: its window (6:20–6:30) was rolled up at the 6:30 tick without it.
    const lateAt = START_MS + 6 * 60_000 + 22_000;
    for (; now <= stats.endMs + 30_000; now += 15_000) {
      expect((await follower.tick()).started).toEqual([]);
      if (now === START_MS + 6 * 60_000 + 30_000) {
        await influx.write(
          [
            `http_req_duration,endpoint=status,kind=call,scenario=mixed_workload,testid=${FOLLOWED} value=9999 ${lateAt}000000`,
          ],
          INFLUX_DATABASE,
          INFLUX_RETENTION_POLICY,
        );
      }
      if (now === START_MS + 12 * 60_000 - 15_000) {
        // The rollup restarts: a fresh follower rolls the run up from its start again.
        follower = createFollower(reader, writer, { now: () => now + 15_000 });
        expect((await follower.tick()).started).toContain(FOLLOWED);
        follower = createFollower(reader, writer, { now: () => now });
        await follower.tick();
      }
    }
    await expectEqualToRaw(FOLLOWED);
    const late = await reader.query(
      `SELECT "max" FROM "rollup_http_req_duration" WHERE "testid" = '${FOLLOWED}' AND "scenario" = 'All' AND ` +
        `"endpoint" = 'All' AND time = ${lateAt - (lateAt % ROLLUP_WINDOW_MS)}ms`,
    );
    expect(late[0]?.values[0]?.[1]).toBe(9999);
  }, 120_000);

  it("drops a run that went quiet and picks it up from its start when it writes again", async () => {
    const follower = createFollower(reader, writer, { now: () => stats.endMs + 10 * 60_000 });
    expect((await follower.tick()).runs).toEqual([]);
  });

  it("CLI: backfills a run with one line, and refuses bad input and unknown runs with one line and exit 2", async () => {
    const env = { INFLUXDB_URL: influx.url };
    const ok = cli(["--testid", BACKFILLED], env);
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toMatch(
      new RegExp(
        `^rollup: ${BACKFILLED}: \\d+ windows, \\d+ rows written, summary: \\d+ rows \\(\\d+ metrics\\) in [\\d.]+ s\\n$`,
      ),
    );
    expect(ok.status).toBe(0);
    for (const [args, message] of [
      [[], /--testid or --follow is required/],
      [["--testid"], /--testid needs a value/],
      [["--follow", "--interval", "0"], /--interval must be a number of seconds from 1 to 60/],
      [["--follow", "--testid", "x"], /exclude each other/],
      [["--nope"], /unknown argument "--nope"/],
      [["--testid", "20991231-000000-ffff"], /unknown testid "20991231-000000-ffff"/],
    ] as const) {
      const bad = cli([...args], env);
      expect(bad.status, args.join(" ")).toBe(2);
      expect(bad.stdout).toBe("");
      expect(bad.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(bad.stderr).toMatch(message);
    }
    const closed = await closedPortUrl();
    const down = cli(["--testid", BACKFILLED], { INFLUXDB_URL: closed });
    expect(down.status).toBe(2);
    expect(down.stderr).toBe(
      `rollup: InfluxDB at ${closed} is unreachable (ECONNREFUSED): start the stack (make up) or set INFLUXDB_URL\n`,
    );
  }, 60_000);

  it("CLI --follow: keeps ticking through an InfluxDB outage (one line), and exits 0 on SIGTERM", async () => {
    // InfluxDB down behind its proxy: a loopback server that answers 503 and counts the follower's attempts, so the
    // test waits for ticks that happened rather than for a time in which they should have. (Not connections reset as
    // they open: Node 20's fetch sometimes leaves such a request unsettled until the reader's deadline.)
    let attempts = 0;
    const sink = createServer((_request, response) => {
      attempts += 1;
      response.writeHead(503, { "content-type": "text/plain" }).end("Service Unavailable");
    });
    await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
    const { port } = sink.address() as AddressInfo;
    const child = spawn(process.execPath, ["--import", "tsx", "tools/rollup/cli.ts", "--follow", "--interval", "1"], {
      cwd: REPO_ROOT,
      env: { ...process.env, INFLUXDB_URL: `http://127.0.0.1:${port}` },
    });
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    // "close", not "exit": stdout may still hold the last line when the process has exited.
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    try {
      await until(
        () => out.includes("following runs every 1 s"),
        () => `the start line (stdout: ${out})`,
        30_000,
      );
      // Three failed ticks, and the outage's line written: the follower stayed up and kept retrying.
      await until(
        () => attempts >= 3 && err.endsWith("\n"),
        () => `3 ticks (${attempts} so far; exit ${child.exitCode}; stderr: ${err})`,
        30_000,
      );
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
      sink.close();
    }
    expect(out).toMatch(/rollup: stopped\n$/);
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).toMatch(/answered 503 with no InfluxDB JSON: Service Unavailable \(retrying every 1 s\)\n$/);
  }, 60_000);
});
