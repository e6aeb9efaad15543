// k6-series against k6's own expectations: the facts asserted here are restated from k6 v1.8.1's tests of its
// `experimental-prometheus-rw` output (grafana/k6 v1.8.1, internal/output/prometheusrw/…), each case naming the
// test it comes from; plus the wire format (protobuf + snappy) decoded back by an independent reader.
import { describe, expect, it } from "vitest";
import {
  bucketKey,
  encodeWriteRequest,
  k6RemoteWriteBatches,
  NativeHistogramSink,
  snappyCompress,
  spansAndDeltas,
  type K6Sample,
  type TimeSeries,
} from "../../tools/prometheus/index";
import { decodeWriteRequest, snappyDecompress } from "./helpers/wire";

const ZERO_THRESHOLD = 2.938735877055719e-39; // client_golang DefNativeHistogramZeroThreshold, 2^-128

const sample = (metric: string, type: K6Sample["type"], value: number, time: number, tags = {}): K6Sample => ({
  metric,
  type,
  value,
  time,
  tags,
});

const names = (series: readonly TimeSeries[]): string[] =>
  series.map((s) => s.labels.find((l) => l.name === "__name__")?.value ?? "").sort();

describe("native histograms as k6 builds them (remotewrite/trend_test.go)", () => {
  it("TestNativeHistogramSinkMapPrompb: 1.52 and 3.14 → schema 3, spans (5,1)(8,1), deltas 1,0, sum 4.66", () => {
    // Expected JSON in that test: countInt 2, positiveDeltas [1,0], positiveSpans [{offset 5, length 1},
    // {offset 8, length 1}], schema 3, sum 4.66, timestamp 3000, zeroCountInt 0, zeroThreshold 2.938735877055719e-39;
    // labels __name__=k6_test, tagk1=tagv1 (a Trend without a value type: no unit suffix, values as given).
    const sink = new NativeHistogramSink();
    sink.observe(1.52);
    sink.observe(3.14);
    expect(sink.snapshot(3000)).toEqual({
      count: 2,
      sum: 4.66,
      schema: 3,
      zeroThreshold: ZERO_THRESHOLD,
      zeroCount: 0,
      negativeSpans: [],
      negativeDeltas: [],
      positiveSpans: [
        { offset: 5, length: 1 },
        { offset: 8, length: 1 },
      ],
      positiveDeltas: [1, 0],
      timestamp: 3000,
    });
    // The same through the whole mapping: the test's MapPrompb(series, time.Unix(3, 0)) stamps 3000, which here is
    // the newest sample's time.
    const [batch] = k6RemoteWriteBatches(
      [
        sample("test", "trend", 1.52, 1000, { tagk1: "tagv1" }),
        sample("test", "trend", 3.14, 3000, { tagk1: "tagv1" }),
      ],
      { timeMetrics: [], staleMarkers: false, startMs: 3000 },
    );
    expect(batch?.series).toEqual([
      {
        labels: [
          { name: "__name__", value: "k6_test" },
          { name: "tagk1", value: "tagv1" },
        ],
        samples: [],
        histograms: [sink.snapshot(3000)],
      },
    ]);
  });

  it("TestNativeHistogramSinkAdd: a time trend's 3000 ms and 2000 ms observe 3 s and 2 s (sum 5, schema 3)", () => {
    const [batch] = k6RemoteWriteBatches([sample("m", "trend", 3000, 10), sample("m", "trend", 2000, 10)], {
      timeMetrics: ["m"],
      staleMarkers: false,
    });
    const h = batch?.series[0]?.histograms[0];
    expect(h?.sum).toBe(5);
    expect(h?.schema).toBe(3);
    expect(h?.count).toBe(2);
  });

  it("TestNativeHistogramSinkMapPrompbWithValueType / TestBaseUnit: a time trend is named k6_<name>_seconds", () => {
    const [batch] = k6RemoteWriteBatches([sample("test", "trend", 1.52, 1000)], {
      timeMetrics: ["test"],
      staleMarkers: false,
    });
    expect(names(batch?.series ?? [])).toEqual(["k6_test_seconds"]);
  });

  it("buckets are client_golang's: (2^((k−1)/8), 2^(k/8)], exact powers on the upper edge, ≤ 2^-128 in the zero bucket", () => {
    expect(bucketKey(1)).toBe(0);
    expect(bucketKey(1.0000001)).toBe(1);
    expect(bucketKey(2)).toBe(8);
    expect(bucketKey(2 * 0.5452538663326288)).toBe(1); // 2^(1/8) as client_golang's table has it
    expect(bucketKey(0.5)).toBe(-8);
    expect(bucketKey(0.001)).toBe(-79); // 1 ms in seconds: 2^(-80/8) < 0.001 ≤ 2^(-79/8)
    expect(bucketKey(Infinity)).toBe(8192 + 1); // MaxFloat64's bucket, one up
    const sink = new NativeHistogramSink();
    for (const v of [0, ZERO_THRESHOLD, 1e-40, -0.25, 1]) sink.observe(v);
    const h = sink.snapshot(1);
    expect([h.zeroCount, h.count, h.negativeSpans, h.negativeDeltas]).toEqual([
      3,
      5,
      [{ offset: -16, length: 1 }],
      [1],
    ]);
  });

  it("makeBuckets: gaps of one or two empty buckets are filled with zero deltas, wider gaps start a new span", () => {
    expect(
      spansAndDeltas(
        new Map([
          [0, 2],
          [2, 5],
          [5, 1],
          [9, 1],
        ]),
      ),
    ).toEqual({
      spans: [
        { offset: 0, length: 6 },
        { offset: 3, length: 1 },
      ],
      deltas: [2, -2, 5, -5, 0, 1, 0],
    });
  });
});

describe("series, values and flushes (remotewrite/remotewrite_test.go)", () => {
  const sept1 = Date.UTC(2022, 8, 1);
  const aug31 = Date.UTC(2022, 7, 31);
  const tagk1 = { tagk1: "tagv1" };

  it("TestOutputConvertToPbSeries: counter 3 + 4 → k6_metric1_total 7 at the newest time; rate of 7 → 1", () => {
    // Both samples arrive in one flush (the output was started on Sept 1): the cumulative sum, stamped with the
    // newest sample time (1661990400000), the older sample still counted.
    const [batch, ...rest] = k6RemoteWriteBatches(
      [
        sample("metric1", "counter", 3, sept1, tagk1),
        sample("metric1", "counter", 4, aug31, tagk1),
        sample("metric2", "counter", 2, sept1, tagk1),
        sample("metric3", "rate", 7, sept1, tagk1),
      ],
      { startMs: sept1, staleMarkers: false },
    );
    expect(rest).toEqual([]);
    const byName = new Map(batch?.series.map((s) => [s.labels[0]?.value, s]));
    expect(byName.get("k6_metric1_total")?.samples).toEqual([{ timestamp: 1661990400000, value: 7 }]);
    expect(byName.get("k6_metric2_total")?.samples).toEqual([{ timestamp: 1661990400000, value: 2 }]);
    expect(byName.get("k6_metric3_rate")?.samples).toEqual([{ timestamp: 1661990400000, value: 1 }]);
    expect(byName.get("k6_metric1_total")?.labels).toEqual([
      { name: "__name__", value: "k6_metric1_total" },
      { name: "tagk1", value: "tagv1" },
    ]);
  });

  it("TestOutputConvertToPbSeries (metric4): labels sort in byte order, so We_need < __name__ < a_long", () => {
    const tags = {
      ...tagk1,
      We_need: "value",
      a_long: "value",
      list_of: "value",
      tags_to: "value",
      reproduce_5175: "value",
    };
    const [batch] = k6RemoteWriteBatches([sample("metric4", "gauge", 55, sept1, tags)], { staleMarkers: false });
    expect(batch?.series[0]?.labels.map((l) => l.name)).toEqual([
      "We_need",
      "__name__",
      "a_long",
      "list_of",
      "reproduce_5175",
      "tagk1",
      "tags_to",
    ]);
    expect(batch?.series[0]?.samples).toEqual([{ timestamp: sept1, value: 55 }]);
  });

  it("TestOutputStaleMarkers: every series seen gets the marker at Stop + 1 ms; a histogram keeps its histogram", () => {
    const batches = k6RemoteWriteBatches([sample("metric1", "trend", 5, 400), sample("metric2", "counter", 1, 500)], {
      timeMetrics: [],
      stopMs: 1000,
    });
    const stale = batches.at(-1);
    expect(stale?.kind).toBe("stale");
    expect(names(stale?.series ?? [])).toEqual(["k6_metric1", "k6_metric2_total"]);
    for (const s of stale?.series ?? []) expect(s.samples).toEqual([{ timestamp: 1001, value: NaN, stale: true }]);
    expect(stale?.series.find((s) => s.histograms.length > 0)?.histograms[0]?.timestamp).toBe(400);
  });

  it("one point per series per flush: cumulative values, the newest sample's time, quiet series not re-sent", () => {
    const t0 = 1_000_000;
    const batches = k6RemoteWriteBatches(
      [
        sample("reqs", "counter", 1, t0),
        sample("vus", "gauge", 4, t0 + 100),
        sample("reqs", "counter", 1, t0 + 1200),
        sample("ok", "rate", 1, t0 + 4999),
        sample("reqs", "counter", 1, t0 + 5000), // on the tick: the next flush (buffered an instant after)
        sample("ok", "rate", 0, t0 + 7000),
        sample("reqs", "counter", 1, t0 + 12_000), // after two quiet ticks… the one at t0 + 10 s sends nothing
      ],
      { pushIntervalMs: 5000 },
    );
    const view = batches.map((b) => ({
      kind: b.kind,
      at: b.atMs - t0,
      points: b.series.map(
        (s) => `${s.labels[0]?.value}@${(s.samples[0]?.timestamp ?? 0) - t0}=${s.samples[0]?.value}`,
      ),
    }));
    expect(view).toEqual([
      { kind: "flush", at: 5000, points: ["k6_reqs_total@1200=2", "k6_vus@100=4", "k6_ok_rate@4999=1"] },
      { kind: "flush", at: 10_000, points: ["k6_reqs_total@5000=3", "k6_ok_rate@7000=0.5"] },
      { kind: "flush", at: 12_000, points: ["k6_reqs_total@12000=4"] },
      {
        kind: "stale",
        at: 12_001,
        points: ["k6_reqs_total@12001=NaN", "k6_vus@12001=NaN", "k6_ok_rate@12001=NaN"],
      },
    ]);
  });

  it("tags with an empty value are no labels (MapTagSet skips them)", () => {
    const [batch] = k6RemoteWriteBatches([sample("reqs", "counter", 1, 5, { group: "", testid: "t" })], {
      staleMarkers: false,
    });
    expect(batch?.series[0]?.labels).toEqual([
      { name: "__name__", value: "k6_reqs_total" },
      { name: "testid", value: "t" },
    ]);
  });
});

/**
 * The bytes k6 v1.8.1 itself produces for the samples below: each TimeSeries of one flush and of the stale markers,
 * proto.Marshal'ed, sorted. Generated once with a throwaway Go test inside k6's package
 * (internal/output/prometheusrw/remotewrite: Output{TrendAsNativeHistogram: true, now: base + 10 ms}, then
 * convertToPbSeries(samples) and staleMarkers(), go test -mod=vendor), not committed anywhere.
 */
const K6_BYTES = [
  "flush 0a120a085f5f6e616d655f5f12066b365f7675730a140a08656e64706f696e7412086d657373616765730a0b0a0674657374696412017412071082e0e3b2af30",
  "flush 0a1a0a085f5f6e616d655f5f120e6b365f636865636b735f726174650a140a08656e64706f696e7412086d657373616765730a0b0a06746573746964120174121009555555555555e53f1082e0e3b2af30",
  "flush 0a1b0a085f5f6e616d655f5f120f6b365f7061796c6f61645f73697a650a140a08656e64706f696e7412086d657373616765730a0b0a067465737469641201742237190000000000b8b140200629000000000000f0375a0508900110015a04080e10015a040818100162030200007886e0e3b2af3008033000",
  "flush 0a1e0a085f5f6e616d655f5f12126b365f687474705f726571735f746f74616c0a140a08656e64706f696e7412086d657373616765730a0b0a067465737469641201741210090000000000001c401085e0e3b2af30",
  "flush 0a280a085f5f6e616d655f5f121c6b365f687474705f7265715f6475726174696f6e5f7365636f6e64730a140a08656e64706f696e7412086d657373616765730a0b0a06746573746964120174223e191bc05b2041f10740200629000000000000f0375a0508b90110015a04085410015a04085210015a04082410016204020000007884e0e3b2af3008053001",
  "stale 0a120a085f5f6e616d655f5f12066b365f7675730a140a08656e64706f696e7412086d657373616765730a0b0a06746573746964120174121009020000000000f07f108be0e3b2af30",
  "stale 0a1a0a085f5f6e616d655f5f120e6b365f636865636b735f726174650a140a08656e64706f696e7412086d657373616765730a0b0a06746573746964120174121009020000000000f07f108be0e3b2af30",
  "stale 0a1b0a085f5f6e616d655f5f120f6b365f7061796c6f61645f73697a650a140a08656e64706f696e7412086d657373616765730a0b0a06746573746964120174121009020000000000f07f108be0e3b2af302237190000000000b8b140200629000000000000f0375a0508900110015a04080e10015a040818100162030200007886e0e3b2af3008033000",
  "stale 0a1e0a085f5f6e616d655f5f12126b365f687474705f726571735f746f74616c0a140a08656e64706f696e7412086d657373616765730a0b0a06746573746964120174121009020000000000f07f108be0e3b2af30",
  "stale 0a280a085f5f6e616d655f5f121c6b365f687474705f7265715f6475726174696f6e5f7365636f6e64730a140a08656e64706f696e7412086d657373616765730a0b0a06746573746964120174121009020000000000f07f108be0e3b2af30223e191bc05b2041f10740200629000000000000f0375a0508b90110015a04085410015a04085210015a04082410016204020000007884e0e3b2af3008053001",
];

describe("byte for byte what k6 marshals", () => {
  it("one flush and the stale markers of counter, gauge, rate, time and plain trends equal k6's protobuf", () => {
    const base = 1661990400000;
    const tags = { testid: "t", endpoint: "messages" };
    const at = (metric: string, type: K6Sample["type"], value: number, ms: number): K6Sample =>
      sample(metric, type, value, base + ms, tags);
    // The Go test's samples, in its order: metric, value, ms after base.
    const samples = [
      at("http_reqs", "counter", 3, 0),
      at("http_reqs", "counter", 4, 5),
      at("vus", "gauge", 7, 1),
      at("vus", "gauge", 0, 2),
      at("checks", "rate", 1, 0),
      at("checks", "rate", 0, 1),
      at("checks", "rate", 1, 2),
      ...[12.5, 0, 2500, 480, 0.3].map((v, i) => at("http_req_duration", "trend", v, i)),
      at("payload_size", "trend", 512, 0),
      at("payload_size", "trend", 1024, 6),
      at("payload_size", "trend", 3000, 6),
    ];
    const batches = k6RemoteWriteBatches(samples, {
      timeMetrics: ["http_req_duration"],
      startMs: base,
      stopMs: base + 10,
    });
    expect(batches.map((b) => b.kind)).toEqual(["flush", "stale"]);
    const ours = batches.flatMap((b) =>
      b.series.map((ts) => {
        // encodeWriteRequest wraps the series as field 1 of WriteRequest: skip that tag and its length varint.
        const bytes = encodeWriteRequest([ts]);
        let start = 1;
        while ((bytes[start] as number) >= 0x80) start++;
        return `${b.kind} ${Buffer.from(bytes.subarray(start + 1)).toString("hex")}`;
      }),
    );
    expect(ours.sort()).toEqual(K6_BYTES);
  });
});

describe("wire format: protobuf WriteRequest in a snappy block", () => {
  it("decodes back to the series, the stale marker's exact NaN bits included", () => {
    const batches = k6RemoteWriteBatches(
      [
        sample("http_req_duration", "trend", 12.5, 1_700_000_000_000, { testid: "t", endpoint: "messages" }),
        sample("http_req_duration", "trend", 0, 1_700_000_000_001, { testid: "t", endpoint: "messages" }),
        sample("http_req_duration", "trend", 2500, 1_700_000_000_002, { testid: "t", endpoint: "messages" }),
        sample("http_reqs", "counter", 1, 1_700_000_000_000, { testid: "t" }),
        sample("vus", "gauge", 0, 1_700_000_000_000, { testid: "t" }),
        sample("checks", "rate", 1, 1_700_000_000_000, { testid: "t", check: "status is 200" }),
      ],
      { timeMetrics: ["http_req_duration"] },
    );
    for (const batch of batches) {
      const wire = snappyCompress(encodeWriteRequest(batch.series));
      const back = decodeWriteRequest(snappyDecompress(wire));
      expect(back).toEqual(batch.series.map((s) => ({ ...s, samples: s.samples.map((p) => ({ ...p })) })));
    }
    const stale = decodeWriteRequest(snappyDecompress(snappyCompress(encodeWriteRequest(batches.at(-1)!.series))));
    expect(stale.every((s) => s.samples[0]?.stale === true)).toBe(true);
  });

  it("snappy: literals of every length form, copies near and far, and incompressible input all round-trip", () => {
    let seed = 7;
    const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    const cases: Uint8Array[] = [
      new Uint8Array(0),
      Uint8Array.of(1, 2, 3),
      new TextEncoder().encode("k6_http_req_duration_seconds ".repeat(500)),
      ...[59, 60, 61, 255, 256, 257, 65_535, 65_536, 70_000, 300_000].map((n) =>
        Uint8Array.from({ length: n }, random),
      ),
      Uint8Array.from({ length: 200_000 }, (_, i) => (i % 3000 < 1500 ? i % 251 : random())),
    ];
    // Buffer.equals, not toEqual: a deep equality over 300 000 elements takes seconds.
    for (const input of cases) expect(Buffer.from(snappyDecompress(snappyCompress(input))).equals(input)).toBe(true);
    expect(snappyCompress(cases[2] as Uint8Array).length).toBeLessThan((cases[2] as Uint8Array).length / 10);
  });
});
