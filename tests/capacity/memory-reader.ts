// An InfluxReader over samples held in memory (a harness run's), answering as InfluxDB answers the real reader:
// the same filters by testid and tags, the same totals. The capacity verdict then reads them through the very
// store code (tools/store/influx.ts) it reads a real InfluxDB with.
import type { InfluxReader, Sample, Totals } from "../../tools/influx/index";
import type { MetricSample } from "../k6/harness/index";

const matches = (tags: Record<string, string>, filter: Record<string, string> = {}): boolean =>
  Object.entries(filter).every(([k, v]) => tags[k] === v);

export function memoryReader(samples: readonly MetricSample[]): InfluxReader {
  const ofRun = (testid: string, metric?: string) =>
    samples.filter((s) => s.tags.testid === testid && (metric === undefined || s.metric === metric));
  return {
    config: { url: "memory://harness", token: undefined, org: undefined, database: "k6" },
    query: () => Promise.reject(new Error("memoryReader answers no InfluxQL")),
    listTestIds: () => Promise.resolve([...new Set(samples.map((s) => s.tags.testid ?? ""))].sort()),
    runInfo(testid) {
      const run = ofRun(testid);
      if (run.length === 0) return Promise.reject(new Error(`unknown testid ${testid}`));
      const times = run.map((s) => s.time);
      const start = Math.min(...times);
      const end = Math.max(...times);
      const measurements = [...new Set(run.map((s) => s.metric))].sort();
      return Promise.resolve({ testid, start, end, durationMs: end - start, measurements, profile: null });
    },
    // An async generator as the real reader's (its pages come from queries); here the one page is at hand.
    async *samples(testid, metric, options = {}) {
      await Promise.resolve();
      const page: Sample[] = ofRun(testid, metric)
        .filter((s) => matches(s.tags, options.tags))
        .filter((s) => (options.start ?? -Infinity) <= s.time && s.time <= (options.end ?? Infinity))
        .map((s) => {
          const { testid: _id, ...tags } = s.tags;
          return { time: s.time, value: s.value, tags };
        });
      if (page.length > 0) yield page;
    },
    totals(testid, metric, options = {}) {
      const groups = new Map<string, Totals>();
      for (const s of ofRun(testid, metric).filter((x) => matches(x.tags, options.tags))) {
        const tags = Object.fromEntries((options.groupBy ?? []).flatMap((k) => (s.tags[k] ? [[k, s.tags[k]]] : [])));
        const key = JSON.stringify(tags);
        const g = groups.get(key) ?? { tags, count: 0, sum: 0, min: Infinity, max: -Infinity };
        g.count++;
        g.sum += s.value;
        g.min = Math.min(g.min, s.value);
        g.max = Math.max(g.max, s.value);
        groups.set(key, g);
      }
      return Promise.resolve([...groups.values()]);
    },
  };
}
