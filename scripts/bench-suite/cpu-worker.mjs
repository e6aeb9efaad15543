// Entry of every harness VU worker while `npm run bench:suite` runs: notes the worker thread's own CPU time (Linux
// /proc/thread-self/stat: user + system ticks of this thread only, not the process's), runs the bundle it was
// given, and when the thread exits appends one JSON line to the results file: { phase, scenario, vu, cpuMs, marks },
// marks being [HTTP requests so far, CPU ms so far] each time the VU hands a batch of samples to the main thread —
// so the bench can leave out a VU's warm-up (JIT) and read the steady cost per request.
// argv: [..., bundle path, results file].
import { appendFileSync, readFileSync } from "node:fs";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";

/** /proc reports times in USER_HZ ticks, 100 per second on Linux. */
const MS_PER_TICK = 10;

function threadCpuMs() {
  const stat = readFileSync("/proc/thread-self/stat", "utf8");
  // Fields after "(comm)": state is field 3, so utime (14) and stime (15) are at 11 and 12.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
}

const [bundle, results] = process.argv.slice(-2);
const started = threadCpuMs();
const marks = [];
let requests = 0;
if (parentPort) {
  const post = parentPort.postMessage.bind(parentPort);
  parentPort.postMessage = (message, transfer) => {
    if (message?.type === "samples") {
      for (const s of message.samples) if (s.metric === "http_reqs") requests++;
      marks.push([requests, threadCpuMs() - started]);
    }
    return post(message, transfer);
  };
}
process.on("exit", () => {
  const phase = workerData?.phase ?? {};
  const cpuMs = threadCpuMs() - started;
  marks.push([requests, cpuMs]);
  const line = { phase: phase.kind, scenario: phase.scenario ?? null, vu: workerData?.vuId, cpuMs, marks };
  appendFileSync(results, `${JSON.stringify(line)}\n`);
});
await import(pathToFileURL(bundle).href);
