// Prometheus remote write 1.0 as k6's `experimental-prometheus-rw` output speaks it
// (internal/output/prometheusrw/remote/client.go, WriteClient.Store): a protobuf `prometheus.WriteRequest`,
// snappy-compressed (block format, not framed), POSTed with the three headers the spec requires.
//
// The protobuf is written by hand from prompb's types.proto / remote.proto (field numbers as in the buf.build Go code
// k6 vendors: buf.build/gen/go/prometheus/prometheus/protocolbuffers/go/types.pb.go) byte for byte as Go's
// proto.Marshal writes them for k6: fields in number order, oneofs last, a proto3 scalar at its zero value left out. Only what k6 sends is
// encodable: labels, float samples, integer native histograms (no exemplars, no metadata, no float histograms).
import { loadPrometheusConfig, type PrometheusConfig } from "./config";
import { firstLine, PrometheusError, unreachable } from "./errors";
import { fetchText, type TextReply } from "../influx/http";
import type { LoadConfigOptions } from "../influx/config";

export interface Label {
  name: string;
  value: string;
}

export interface FloatSample {
  /** epoch ms */
  timestamp: number;
  value: number;
  /**
   * A staleness marker (stale/stale.go: the NaN with bits 0x7ff0000000000002). JavaScript cannot be trusted to keep
   * a NaN's payload, so the marker is a flag and `value` is ignored; a plain NaN stays an ordinary NaN sample.
   */
  stale?: boolean;
}

export interface BucketSpan {
  /** Gap to the previous span's end, or the first bucket's index for the first span. */
  offset: number;
  length: number;
}

/** An integer-count native histogram (prompb.Histogram with count_int / zero_count_int), as client_golang writes it. */
export interface NativeHistogram {
  count: number;
  sum: number;
  /** Bucket boundaries are 2^(i × 2^-schema); client_golang's bucket factor 1.1 gives schema 3. */
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  negativeSpans: BucketSpan[];
  /** Each bucket's count minus the previous bucket's (the first's minus 0). */
  negativeDeltas: number[];
  positiveSpans: BucketSpan[];
  positiveDeltas: number[];
  /** epoch ms */
  timestamp: number;
}

export interface TimeSeries {
  /** Sorted by name (byte order), `__name__` among them: remote write requires it. */
  labels: Label[];
  samples: FloatSample[];
  histograms: NativeHistogram[];
}

/** The bits of Prometheus' staleness marker (value.StaleNaN, k6's stale.Marker). */
export const STALE_NAN_BITS = 0x7ff0000000000002n;

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;

/** A growable protobuf output buffer: just the wire types WriteRequest needs. */
class ProtoWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  /** An unsigned varint; a negative safe integer is written as its 64-bit two's complement, as int64 fields are. */
  varint(n: number): void {
    if (!Number.isSafeInteger(n)) throw new RangeError(`not an integer protobuf can carry exactly: ${n}`);
    if (n < 0) {
      let v = BigInt.asUintN(64, BigInt(n));
      while (v >= 0x80n) {
        this.byte(Number(v & 0x7fn) | 0x80);
        v >>= 7n;
      }
      this.byte(Number(v));
      return;
    }
    while (n >= 0x80) {
      this.byte((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.byte(n);
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  double(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.len, value, true);
    this.len += 8;
  }

  staleNaN(): void {
    this.reserve(8);
    this.view.setBigUint64(this.len, STALE_NAN_BITS, true);
    this.len += 8;
  }

  bytes(data: Uint8Array): void {
    this.varint(data.length);
    this.reserve(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  message(field: number, body: ProtoWriter): void {
    this.tag(field, LENGTH_DELIMITED);
    this.bytes(body.finish());
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

const utf8 = new TextEncoder();

/** sint32 / sint64 (zigzag), for integers within ±2^52. */
function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

/** proto3 leaves a double out when its bits are all zero (so -0 is written). */
function isZeroDouble(v: number): boolean {
  return Object.is(v, 0);
}

function encodeLabel(label: Label): ProtoWriter {
  const w = new ProtoWriter();
  if (label.name !== "") {
    w.tag(1, LENGTH_DELIMITED);
    w.bytes(utf8.encode(label.name));
  }
  if (label.value !== "") {
    w.tag(2, LENGTH_DELIMITED);
    w.bytes(utf8.encode(label.value));
  }
  return w;
}

function encodeSample(sample: FloatSample): ProtoWriter {
  const w = new ProtoWriter();
  if (sample.stale === true) {
    w.tag(1, FIXED64);
    w.staleNaN();
  } else if (!isZeroDouble(sample.value)) {
    w.tag(1, FIXED64);
    w.double(sample.value);
  }
  if (sample.timestamp !== 0) {
    w.tag(2, VARINT);
    w.varint(sample.timestamp);
  }
  return w;
}

function encodeSpan(span: BucketSpan): ProtoWriter {
  const w = new ProtoWriter();
  if (span.offset !== 0) {
    w.tag(1, VARINT);
    w.varint(zigzag(span.offset));
  }
  if (span.length !== 0) {
    w.tag(2, VARINT);
    w.varint(span.length);
  }
  return w;
}

function packedDeltas(w: ProtoWriter, field: number, deltas: readonly number[]): void {
  if (deltas.length === 0) return;
  const packed = new ProtoWriter();
  for (const d of deltas) packed.varint(zigzag(d));
  w.tag(field, LENGTH_DELIMITED);
  w.bytes(packed.finish());
}

function encodeHistogram(h: NativeHistogram): ProtoWriter {
  const w = new ProtoWriter();
  if (!isZeroDouble(h.sum)) {
    w.tag(3, FIXED64);
    w.double(h.sum);
  }
  if (h.schema !== 0) {
    w.tag(4, VARINT);
    w.varint(zigzag(h.schema));
  }
  if (!isZeroDouble(h.zeroThreshold)) {
    w.tag(5, FIXED64);
    w.double(h.zeroThreshold);
  }
  for (const span of h.negativeSpans) w.message(8, encodeSpan(span));
  packedDeltas(w, 9, h.negativeDeltas);
  for (const span of h.positiveSpans) w.message(11, encodeSpan(span));
  packedDeltas(w, 12, h.positiveDeltas);
  if (h.timestamp !== 0) {
    w.tag(15, VARINT);
    w.varint(h.timestamp);
  }
  // count and zero_count are oneof members: written even when 0, as Go writes a set oneof, and after the plain
  // fields, where protobuf-go's marshaller puts oneofs (the bytes match k6's, see tests/prometheus/k6-mapping).
  w.tag(1, VARINT);
  w.varint(h.count);
  w.tag(6, VARINT);
  w.varint(h.zeroCount);
  return w;
}

/** The protobuf bytes of a `prometheus.WriteRequest` holding these series (before snappy). */
export function encodeWriteRequest(series: readonly TimeSeries[]): Uint8Array {
  const req = new ProtoWriter();
  for (const ts of series) {
    const w = new ProtoWriter();
    for (const label of ts.labels) w.message(1, encodeLabel(label));
    for (const sample of ts.samples) w.message(2, encodeSample(sample));
    for (const histogram of ts.histograms) w.message(4, encodeHistogram(histogram));
    req.message(1, w);
  }
  return req.finish();
}

// --- snappy, block format (https://github.com/google/snappy/blob/main/format_description.txt) ---

const HASH_BITS = 14;
/** Copies reach back at most this far: the 2-byte-offset form, as the reference compressor's 64 KiB blocks do. */
const MAX_OFFSET = 0xffff;

/**
 * Snappy block compression: the uncompressed length as a varint, then literals and back-references found with a
 * 4-byte hash table (greedy, like the reference compressor). Any valid stream is accepted by every decoder, so the
 * ratio is all that a simpler scheme would lose; protobuf label sets repeat a lot, so copies pay off here.
 */
export function snappyCompress(input: Uint8Array): Uint8Array {
  // Snappy's MaxEncodedLen bound: 32 + n + n/6 covers the preamble and the worst case of all literals.
  const out = new Uint8Array(32 + input.length + Math.ceil(input.length / 6));
  let o = 0;
  const put = (...bytes: number[]): void => {
    for (const b of bytes) out[o++] = b;
  };
  let n = input.length;
  while (n >= 0x80) {
    put((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  put(n);

  const literal = (from: number, to: number): void => {
    const len = to - from;
    if (len === 0) return;
    const m = len - 1;
    if (m < 60) put(m << 2);
    else if (m < 0x100) put(60 << 2, m);
    else if (m < 0x10000) put(61 << 2, m & 0xff, m >>> 8);
    else if (m < 0x1000000) put(62 << 2, m & 0xff, (m >>> 8) & 0xff, m >>> 16);
    else put(63 << 2, m & 0xff, (m >>> 8) & 0xff, (m >>> 16) & 0xff, m >>> 24);
    out.set(input.subarray(from, to), o);
    o += len;
  };
  const copy = (offset: number, len: number): void => {
    // Lengths above 64 are split so that no piece is shorter than 4 (the 1-byte-offset form's minimum).
    while (len >= 68) {
      put((63 << 2) | 2, offset & 0xff, offset >>> 8);
      len -= 64;
    }
    if (len > 64) {
      put((59 << 2) | 2, offset & 0xff, offset >>> 8);
      len -= 60;
    }
    if (len >= 12 || offset >= 2048) put(((len - 1) << 2) | 2, offset & 0xff, offset >>> 8);
    else put(((offset >>> 8) << 5) | ((len - 4) << 2) | 1, offset & 0xff);
  };

  const table = new Int32Array(1 << HASH_BITS).fill(-1);
  const word = (i: number): number =>
    ((input[i] as number) |
      ((input[i + 1] as number) << 8) |
      ((input[i + 2] as number) << 16) |
      ((input[i + 3] as number) << 24)) >>>
    0;
  let pending = 0;
  let i = 0;
  while (i + 4 <= input.length) {
    const v = word(i);
    const h = Math.imul(v, 0x1e35a7bd) >>> (32 - HASH_BITS);
    const candidate = table[h] as number;
    table[h] = i;
    if (candidate >= 0 && i - candidate <= MAX_OFFSET && word(candidate) === v) {
      let len = 4;
      while (i + len < input.length && input[candidate + len] === input[i + len]) len++;
      literal(pending, i);
      copy(i - candidate, len);
      i += len;
      pending = i;
    } else {
      i++;
    }
  }
  literal(pending, input.length);
  return out.slice(0, o);
}

// --- the client ---

export interface RemoteWriter {
  /** The endpoint: <PROMETHEUS_URL>/api/v1/write. */
  readonly endpoint: string;
  /** One WriteRequest; resolves when Prometheus accepted it (2xx), else rejects with a PrometheusError. */
  write(series: readonly TimeSeries[]): Promise<void>;
}

export interface RemoteWriterOptions extends Partial<PrometheusConfig>, LoadConfigOptions {
  /** Per request; default 5 s, k6's K6_PROMETHEUS_RW_TIMEOUT default. */
  timeoutMs?: number;
}

export function createRemoteWriter(options: RemoteWriterOptions = {}): RemoteWriter {
  const base = (options.url ?? loadPrometheusConfig(options).url).replace(/\/+$/, "");
  const endpoint = `${base}/api/v1/write`;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const where = `Prometheus at ${base}`;
  return {
    endpoint,
    async write(series) {
      const body = snappyCompress(encodeWriteRequest(series));
      let res: TextReply;
      try {
        res = await fetchText(
          endpoint,
          {
            method: "POST",
            headers: {
              "content-encoding": "snappy",
              "content-type": "application/x-protobuf",
              "x-prometheus-remote-write-version": "0.1.0",
              "user-agent": "agentapi-load-remote-write",
            },
            body,
          },
          timeoutMs,
        );
      } catch (error) {
        throw unreachable(where, error);
      }
      if (res.ok) return;
      const reason = firstLine(res.text) || res.statusText;
      const hint =
        res.status === 404
          ? " (start Prometheus with --web.enable-remote-write-receiver)"
          : /native histograms are disabled/.test(reason)
            ? " (start Prometheus with --enable-feature=native-histograms)"
            : "";
      throw new PrometheusError(
        "rejected",
        `${where} rejected the remote write (${res.status}: ${reason})${hint}`,
        res.status,
      );
    },
  };
}

/** Sends the requests one after the other, in order (as k6 does: a series' points must arrive oldest first). */
export async function writeAll(
  writer: RemoteWriter,
  requests: Iterable<{ readonly series: readonly TimeSeries[] }>,
): Promise<void> {
  for (const request of requests) await writer.write(request.series);
}
