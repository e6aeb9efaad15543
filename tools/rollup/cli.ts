// `npm run rollup -- --testid <id>`: rolls a finished (or running) run up from its first to its last sample.
// `npm run rollup -- --follow [--interval <s>]`: the live rollup the stack runs (compose service `rollup`): every
// interval, the runs that wrote samples in the last 2 minutes are rolled up over their last 30 s.
// Exits 0 when done (--follow: on SIGTERM/SIGINT), 2 on bad input or when InfluxDB cannot be used (one line on
// stderr). --follow keeps running through InfluxDB outages: one line per outage, retried every interval. With
// ROLLUP_HEARTBEAT_FILE set, --follow touches that file after every tick that reached InfluxDB (the container's
// healthcheck reads its age).
import { writeFileSync } from "node:fs";
import { createInfluxReader, createInfluxWriter, InfluxError } from "../influx/index";
import { createFollower } from "./follow";
import { rollupRange } from "./rollup";
import { summarizeRun } from "./summary";

const USAGE = "usage: npm run rollup -- --testid <id> | --follow [--interval <seconds>]";

function fail(message: string): never {
  process.stderr.write(`rollup: ${message}\n`);
  process.exit(2);
}

type Args = { mode: "backfill"; testid: string } | { mode: "follow"; intervalMs: number };

export function parseArgs(argv: readonly string[]): Args {
  let testid: string | undefined;
  let follow = false;
  let interval: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--follow") {
      follow = true;
      continue;
    }
    if (arg !== "--testid" && arg !== "--interval") fail(`unknown argument "${arg}" (${USAGE})`);
    const value = argv[++i];
    if (value === undefined || value.startsWith("--")) fail(`${arg} needs a value (${USAGE})`);
    if (arg === "--testid") testid = value;
    else interval = value;
  }
  if (follow && testid !== undefined) fail(`--follow and --testid exclude each other (${USAGE})`);
  if (follow) {
    const seconds = Number(interval ?? "5");
    if (!Number.isFinite(seconds) || seconds < 1 || seconds > 60) {
      fail(`--interval must be a number of seconds from 1 to 60, got "${interval}"`);
    }
    return { mode: "follow", intervalMs: seconds * 1000 };
  }
  if (interval !== undefined) fail(`--interval only applies to --follow (${USAGE})`);
  if (testid === undefined) fail(`--testid or --follow is required (${USAGE})`);
  return { mode: "backfill", testid };
}

async function backfill(testid: string): Promise<void> {
  const reader = createInfluxReader();
  const writer = createInfluxWriter();
  const started = performance.now();
  try {
    const info = await reader.runInfo(testid);
    const result = await rollupRange(reader, writer, testid, info.start, info.end + 1);
    const summary = await summarizeRun(reader, writer, testid);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    await new Promise<void>((resolve) =>
      process.stdout.write(
        `rollup: ${testid}: ${result.windows} windows, ${result.rows} rows written, ` +
          `summary: ${summary.rows} rows (${summary.metrics} metrics) in ${seconds} s\n`,
        () => resolve(),
      ),
    );
  } catch (error) {
    if (error instanceof InfluxError) fail(error.message);
    throw error;
  }
}

async function follow(intervalMs: number): Promise<void> {
  const follower = createFollower(createInfluxReader(), createInfluxWriter());
  let stopping = false;
  let wake: (() => void) | undefined;
  const stop = (): void => {
    stopping = true;
    wake?.();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stdout.write(`rollup: following runs every ${intervalMs / 1000} s\n`);
  let lastError = "";
  while (!stopping) {
    try {
      const tick = await follower.tick();
      for (const testid of tick.started) process.stdout.write(`rollup: following ${testid}\n`);
      for (const testid of tick.ended) process.stdout.write(`rollup: ${testid} ended: summary written\n`);
      if (lastError !== "") process.stdout.write("rollup: InfluxDB reachable again\n");
      lastError = "";
      const heartbeat = process.env.ROLLUP_HEARTBEAT_FILE;
      if (heartbeat !== undefined && heartbeat !== "") writeFileSync(heartbeat, `${new Date().toISOString()}\n`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // One line per outage, not one per tick.
      if (message !== lastError) process.stderr.write(`rollup: ${message} (retrying every ${intervalMs / 1000} s)\n`);
      lastError = message;
    }
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, intervalMs);
    });
  }
  await new Promise<void>((resolve) => process.stdout.write("rollup: stopped\n", () => resolve()));
}

const args = parseArgs(process.argv.slice(2));
const run = args.mode === "follow" ? follow(args.intervalMs) : backfill(args.testid);
run.then(
  () => process.exit(0),
  (error: unknown) => fail(error instanceof Error ? error.message : String(error)),
);
