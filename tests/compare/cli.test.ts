// `npm run compare` without InfluxDB: the aggregate-only path on summary.json files (verdict rules, tolerances,
// new/gone, too few samples), the outputs, the bad inputs (exit 2 with one line, InfluxDB unreachable or refusing
// the token included), baselines, and the reader's configuration.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SummaryData, SummaryMetric } from "../../k6/src/reports/summary-data";
import { STYLE } from "../../k6/src/reports/html";
import { loadInfluxConfig, parseDotEnv } from "../../tools/influx/index";
import { recordBaseline } from "../../tools/compare/baseline";
import { runCli } from "../../tools/compare/cli";
import type { Row } from "../../tools/compare/compare";
import { BadInput } from "../../tools/compare/sources";
import { closedPortUrl } from "../k6/helpers";

const root = mkdtempSync(join(tmpdir(), "agentapi-load-compare-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const trend = (p95: number, count = 100): SummaryMetric => ({
  type: "trend",
  contains: "time",
  values: {
    avg: p95 / 2,
    min: 1,
    med: p95 / 2,
    max: p95 * 2,
    "p(90)": p95 * 0.9,
    "p(95)": p95,
    "p(99)": p95 * 1.2,
    count,
  },
});
const rate = (passes: number, fails: number): SummaryMetric => ({
  type: "rate",
  contains: "default",
  values: { rate: passes / (passes + fails), passes, fails },
});
const counter = (count: number): SummaryMetric => ({
  type: "counter",
  contains: "default",
  values: { count, rate: count / 60 },
});

function summary(metrics: Record<string, SummaryMetric>, profile = "local"): SummaryData {
  return {
    metrics: {
      http_reqs: counter(2000),
      "http_req_duration{endpoint:status}": trend(10),
      "http_req_duration{endpoint:messages}": trend(20),
      http_req_failed: { ...rate(2, 1998), thresholds: { "rate<0.01": { ok: true } } },
      checks: rate(1998, 2),
      timeout_count: counter(0),
      ...metrics,
    },
    root_group: { name: "", path: "", groups: [], checks: [] },
    state: { testRunDurationMs: 60_000 },
    // No testid in the config line: these summaries never try InfluxDB.
    setup_data: { startedAt: 0, config: `profile=${profile} scenarios=all vus_factor=1` },
  };
}

function write(name: string, data: unknown): string {
  const dir = join(root, "reports", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "summary.json"), typeof data === "string" ? data : JSON.stringify(data));
  return dir;
}

async function compare(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const result = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env, root });
  const row = (section: Row["section"], label: string) =>
    result.comparison?.rows.find((r) => r.section === section && r.label === label);
  return { ...result, stdout: out.join("\n"), stderr: err, row };
}

describe("aggregate-only comparison of two summary.json files", () => {
  const base = write("base", summary({}));

  it("a run against itself: nothing changes, exit 0, and it says it is aggregate-only", async () => {
    const o = await compare([base, base]);
    expect(o.status).toBe(0);
    expect(o.comparison?.mode).toBe("aggregate-only");
    expect(o.comparison?.rows.filter((r) => !["unchanged", "info"].includes(r.verdict))).toEqual([]);
    const md = readFileSync(join(root, "reports", "compare-base-vs-base", "compare.md"), "utf8");
    expect(md).toContain("✅ no regression");
    expect(md).toContain("Aggregate-only");
    expect(o.stdout).toMatch(
      /no regression: 0 regressed, 0 improved, \d+ unchanged, 0 new, 0 gone.*\(aggregate-only\)/,
    );
  });

  it("a slower endpoint and a higher error rate regress (exit 1); small changes and thin rows do not", async () => {
    const cand = write(
      "slow",
      summary({
        "http_req_duration{endpoint:messages}": trend(100),
        "http_req_duration{endpoint:status}": trend(13), // +3 ms: 30 % but under 5 ms
        "http_req_duration{endpoint:upload}": trend(500, 5), // new, 5 samples
        http_req_failed: { ...rate(40, 1960), thresholds: { "rate<0.01": { ok: false } } }, // 0.1 % → 2 %
        checks: rate(1999, 1),
      }),
    );
    const o = await compare([base, cand]);
    expect(o.status).toBe(1);
    expect(o.row("endpoint", "messages")).toMatchObject({ verdict: "regressed", method: "tolerance", delta: 80 });
    expect(o.row("endpoint", "messages")?.deltaText).toBe("+80.00ms (+400.0%)");
    expect(o.row("endpoint", "status")?.verdict).toBe("unchanged");
    expect(o.row("endpoint", "upload")?.verdict).toBe("new");
    expect(o.row("metric", "http_req_failed")).toMatchObject({ verdict: "regressed", kind: "proportion" });
    expect(o.row("metric", "http_req_failed")?.deltaText).toMatch(/^\+1\.90pp/);
    expect(o.row("metric", "checks")?.verdict).toBe("unchanged"); // 99.90 % → 99.95 %: under 0.5 pp
    const threshold = o.row("threshold", "http_req_failed rate<0.01");
    expect(threshold).toMatchObject({ verdict: "regressed", thresholdOk: { baseline: true, candidate: false } });
    const html = readFileSync(join(root, "reports", "compare-base-vs-slow", "compare.html"), "utf8");
    expect(html).toContain(STYLE.trim().slice(0, 60));
    expect(html).toContain('<tr class="bad"><td>messages</td>');
    expect(html).not.toMatch(/<script|<link /);
    const json = JSON.parse(readFileSync(join(root, "reports", "compare-base-vs-slow", "compare.json"), "utf8")) as {
      verdict: string;
      mode: string;
      counts: Record<string, number>;
    };
    expect(json).toMatchObject({ verdict: "regressed", mode: "aggregate-only" });
    expect(json.counts.regressed).toBe(3);
  });

  it("the other way round it is improved (exit 0); a row the candidate lacks is gone; too few samples are not judged", async () => {
    const cand = write(
      "fast",
      summary({
        "http_req_duration{endpoint:messages}": trend(100),
        "http_req_duration{endpoint:events}": trend(900, 3),
      }),
    );
    const faster = write("faster", summary({ "http_req_duration{endpoint:events}": trend(100, 3) }));
    const o = await compare([cand, faster]);
    expect(o.status).toBe(0);
    expect(o.row("endpoint", "messages")?.verdict).toBe("improved");
    expect(o.row("endpoint", "events")).toMatchObject({ verdict: "unchanged", judged: false });
    expect(o.row("endpoint", "events")?.note).toMatch(/fewer than 20 values/);
    const gone = await compare([cand, base]);
    expect(gone.row("endpoint", "events")?.verdict).toBe("gone");
  });

  it("tolerances per metric or key, from flags or a config file; flags win", async () => {
    const cand = write("slow2", summary({ "http_req_duration{endpoint:messages}": trend(100) }));
    expect((await compare([base, cand, "--tolerance", "http_req_duration=500%,10ms"])).status).toBe(0);
    expect((await compare([base, cand, "--tolerance", "http_req_duration{endpoint:messages}=90ms"])).status).toBe(0);
    expect((await compare([base, cand, "--tolerance", "http_req_duration{endpoint:status}=90ms"])).status).toBe(1);
    const config = join(root, "tolerance.json");
    writeFileSync(config, JSON.stringify({ tolerance: { http_req_duration: "500%" }, minSamples: 10 }));
    const o = await compare([base, cand, "--config", config]);
    expect(o.status).toBe(0);
    expect(o.comparison?.options.minSamples).toBe(10);
    expect((await compare([base, cand, "--config", config, "--tolerance", "http_req_duration=10%"])).status).toBe(1);
  });
});

describe("bad input: exit 2 and one line", () => {
  let server: Server;
  let unauthorized: string;
  beforeAll(async () => {
    // What InfluxDB 2 answers a wrong token.
    server = createServer((_req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "unauthorized", message: "unauthorized access" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    unauthorized = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const base = write("ok", summary({}));
  const notJson = write("broken", "{ nope");
  const notSummary = join(root, "other.json");
  writeFileSync(notSummary, JSON.stringify({ hello: 1 }));
  const smoke = write("smoke-run", summary({}, "smoke"));
  const empty = join(root, "empty-folder");
  mkdirSync(empty, { recursive: true });

  it.each([
    [
      [join(root, "missing", "summary.json"), base],
      /^compare: cannot read .*missing\/summary\.json: no such file or folder$/,
    ],
    [[empty, base], /^compare: .*empty-folder is a folder without a summary\.json$/],
    [[notJson, base], /^compare: .*broken\/summary\.json is not JSON/],
    [[notSummary, base], /^compare: .*other\.json is neither a k6 summary\.json nor a baseline file$/],
    [[base], /^compare: needs a baseline and a candidate, got 1 argument\(s\)/],
    [[base, base, "--bogus"], /^compare: unknown option --bogus/],
    [[base, base, "--tolerance", "http_req_duration=fast"], /^compare: tolerance part "fast" must be/],
    [[base, base, "--tolerance", "checks=5ms"], /^compare: tolerance "5ms" for checks is in a time/],
    [[base, base, "--alpha", "2"], /^compare: --alpha must be a number in \(0, 0\.5\)/],
    [[base, base, "--config", join(root, "nope.json")], /^compare: --config .*nope\.json: ENOENT$/],
    [[base, smoke], /^compare: profiles differ: baseline ok ran "local", candidate smoke-run ran "smoke"/],
    [["bad id!", base], /^compare: "bad id!" is neither a file, a report folder nor a testid$/],
  ] as const)("%j", async (args, message) => {
    const o = await compare([...args]);
    expect(o.status).toBe(2);
    expect(o.stderr).toEqual([expect.stringMatching(message)]);
    expect(o.stdout).toBe("");
  });

  it("InfluxDB unreachable, or refusing the token, for a testid", async () => {
    const closed = await closedPortUrl();
    const down = await compare(["20260101-000000-abcd", base], { INFLUXDB_URL: closed });
    expect(down.status).toBe(2);
    expect(down.stderr).toEqual([
      `compare: InfluxDB at ${closed} is unreachable (ECONNREFUSED): start the stack (make up) or set INFLUXDB_URL`,
    ]);
    const refused = await compare(["20260101-000000-abcd", base], {
      INFLUXDB_URL: unauthorized,
      INFLUXDB_TOKEN: "wrong",
    });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toEqual([
      expect.stringMatching(
        /^compare: InfluxDB at http:\/\/127\.0\.0\.1:\d+ refused the token \(401 Unauthorized\): check INFLUXDB_TOKEN/,
      ),
    ]);
  });

  it("--help prints the usage with the exit codes and exits 0", async () => {
    const o = await compare(["--help"]);
    expect(o.status).toBe(0);
    expect(o.stdout).toContain("Exit status: 0 nothing regressed, 1 something regressed, 2 bad input");
  });
});

describe("baselines (make baseline)", () => {
  it("records a run's testid and summary as baselines/<profile>.json", () => {
    const data = summary({});
    data.setup_data = {
      startedAt: 0,
      config: "profile=staging scenarios=all testid=20260102-030405-beef",
      testId: "20260102-030405-beef",
    };
    const dir = write("20260102-030405-beef", data);
    const { path, baseline } = recordBaseline("20260102-030405-beef", { root, now: new Date("2026-01-02T04:00:00Z") });
    expect(path).toBe(join(root, "baselines", "staging.json"));
    expect(baseline).toMatchObject({
      kind: "agentapi-load-baseline",
      version: 1,
      profile: "staging",
      testid: "20260102-030405-beef",
      recordedAt: "2026-01-02T04:00:00.000Z",
    });
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual(baseline);
    expect(recordBaseline(dir, { root }).path).toBe(path);
  });

  it("refuses what it cannot record", () => {
    expect(() => recordBaseline("no-such-run", { root })).toThrow(BadInput);
    const unnamed = summary({});
    unnamed.setup_data = undefined;
    write("unnamed", unnamed);
    expect(() => recordBaseline("unnamed", { root })).toThrow(/does not say its profile.*--profile NAME/);
    expect(recordBaseline("unnamed", { root, profile: "smoke" }).baseline.profile).toBe("smoke");
  });
});

describe("tools/influx configuration", () => {
  it("the environment wins over .env; the URL defaults to the stack's published port", () => {
    const file = join(root, "dotenv");
    writeFileSync(file, "# comment\nINFLUXDB_TOKEN='from-file'\nexport INFLUXDB_ORG=org-file\nINFLUXDB_PORT=18086\n\n");
    expect(parseDotEnv(readFileSync(file, "utf8"))).toEqual({
      INFLUXDB_TOKEN: "from-file",
      INFLUXDB_ORG: "org-file",
      INFLUXDB_PORT: "18086",
    });
    expect(loadInfluxConfig({ env: {}, envFile: file })).toEqual({
      url: "http://localhost:18086",
      token: "from-file",
      org: "org-file",
      database: "k6",
    });
    expect(
      loadInfluxConfig({ env: { INFLUXDB_URL: "http://influx:8086/", INFLUXDB_TOKEN: "env" }, envFile: file }),
    ).toMatchObject({
      url: "http://influx:8086",
      token: "env",
    });
    expect(loadInfluxConfig({ env: {}, envFile: null })).toEqual({
      url: "http://localhost:8086",
      token: undefined,
      org: undefined,
      database: "k6",
    });
  });
});
