// Independent readers for what tools/prometheus/remote-write.ts writes: a snappy block decoder and a protobuf
// WriteRequest decoder, straight from the format descriptions, so the encoder can be checked without a Prometheus.
import type { BucketSpan, NativeHistogram, TimeSeries } from "../../../tools/prometheus/index";

/** Decodes the snappy block format (format_description.txt): preamble varint, then literals and copies. */
export function snappyDecompress(input: Uint8Array): Uint8Array {
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    const b = input[pos++] as number;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  const out = new Uint8Array(length);
  let o = 0;
  const le = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++) v += (input[pos + i] as number) * 2 ** (8 * i);
    pos += n;
    return v;
  };
  while (pos < input.length) {
    const tag = input[pos++] as number;
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) len = le(len - 59);
      len += 1;
      out.set(input.subarray(pos, pos + len), o);
      pos += len;
      o += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | (input[pos++] as number);
    } else {
      len = (tag >>> 2) + 1;
      offset = le(kind === 2 ? 2 : 4);
    }
    if (offset === 0 || offset > o) throw new Error(`snappy: bad copy offset ${offset} at output ${o}`);
    for (let i = 0; i < len; i++, o++) out[o] = out[o - offset] as number;
  }
  if (o !== length) throw new Error(`snappy: decoded ${o} bytes, preamble said ${length}`);
  return out;
}

/** A protobuf message's fields in order: varints as bigint, fixed64 as raw 8 bytes, length-delimited as bytes. */
type Field = { field: number; varint?: bigint; fixed64?: DataView; bytes?: Uint8Array };

function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = buf[pos++] as number;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    switch (key & 7) {
      case 0:
        out.push({ field, varint: varint() });
        break;
      case 1:
        out.push({ field, fixed64: new DataView(buf.buffer, buf.byteOffset + pos, 8) });
        pos += 8;
        break;
      case 2: {
        const len = Number(varint());
        out.push({ field, bytes: buf.subarray(pos, pos + len) });
        pos += len;
        break;
      }
      default:
        throw new Error(`protobuf: unexpected wire type ${key & 7} for field ${field}`);
    }
  }
  return out;
}

const text = new TextDecoder();
const unzigzag = (v: bigint): number => Number(v & 1n ? -((v + 1n) >> 1n) : v >> 1n);

function packed(bytes: Uint8Array): bigint[] {
  const values: bigint[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = bytes[pos++] as number;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    values.push(v);
  }
  return values;
}

function span(bytes: Uint8Array): BucketSpan {
  const s: BucketSpan = { offset: 0, length: 0 };
  for (const f of fields(bytes)) {
    if (f.field === 1) s.offset = unzigzag(f.varint as bigint);
    if (f.field === 2) s.length = Number(f.varint);
  }
  return s;
}

function histogram(bytes: Uint8Array): NativeHistogram {
  const h: NativeHistogram = {
    count: 0,
    sum: 0,
    schema: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    negativeSpans: [],
    negativeDeltas: [],
    positiveSpans: [],
    positiveDeltas: [],
    timestamp: 0,
  };
  for (const f of fields(bytes)) {
    if (f.field === 1) h.count = Number(f.varint);
    else if (f.field === 3) h.sum = (f.fixed64 as DataView).getFloat64(0, true);
    else if (f.field === 4) h.schema = unzigzag(f.varint as bigint);
    else if (f.field === 5) h.zeroThreshold = (f.fixed64 as DataView).getFloat64(0, true);
    else if (f.field === 6) h.zeroCount = Number(f.varint);
    else if (f.field === 8) h.negativeSpans.push(span(f.bytes as Uint8Array));
    else if (f.field === 9) h.negativeDeltas.push(...packed(f.bytes as Uint8Array).map(unzigzag));
    else if (f.field === 11) h.positiveSpans.push(span(f.bytes as Uint8Array));
    else if (f.field === 12) h.positiveDeltas.push(...packed(f.bytes as Uint8Array).map(unzigzag));
    else if (f.field === 15) h.timestamp = Number(f.varint);
    else throw new Error(`protobuf: unexpected Histogram field ${f.field}`);
  }
  return h;
}

/** A WriteRequest back to series; a stale marker comes back as `stale: true` (checked by its exact NaN bits). */
export function decodeWriteRequest(bytes: Uint8Array): TimeSeries[] {
  return fields(bytes).map((req) => {
    if (req.field !== 1) throw new Error(`protobuf: unexpected WriteRequest field ${req.field}`);
    const ts: TimeSeries = { labels: [], samples: [], histograms: [] };
    for (const f of fields(req.bytes as Uint8Array)) {
      if (f.field === 1) {
        const label = { name: "", value: "" };
        for (const l of fields(f.bytes as Uint8Array)) {
          if (l.field === 1) label.name = text.decode(l.bytes);
          if (l.field === 2) label.value = text.decode(l.bytes);
        }
        ts.labels.push(label);
      } else if (f.field === 2) {
        const sample: TimeSeries["samples"][number] = { timestamp: 0, value: 0 };
        for (const s of fields(f.bytes as Uint8Array)) {
          if (s.field === 1) {
            const view = s.fixed64 as DataView;
            if (view.getBigUint64(0, true) === 0x7ff0000000000002n) sample.stale = true;
            sample.value = view.getFloat64(0, true);
          }
          if (s.field === 2) sample.timestamp = Number(s.varint);
        }
        ts.samples.push(sample);
      } else if (f.field === 4) {
        ts.histograms.push(histogram(f.bytes as Uint8Array));
      } else {
        throw new Error(`protobuf: unexpected TimeSeries field ${f.field}`);
      }
    }
    return ts;
  });
}
