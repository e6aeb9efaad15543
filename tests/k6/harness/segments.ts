// k6's execution segments, as the harness models them (a port of the arithmetic in k6's lib/execution_segment.go):
// a segment (from, to] of the whole test, a sequence of segments that tile (0, 1], the striping that gives every
// segment its own non-overlapping share of any sequence of numbers (VU ids, iterations), and the scaling of a VU
// count to one segment. Equal-width segments interleave: for 0,1/3,2/3,1 and 10 VUs the three instances get
// idInTest {1,4,7,10}, {2,5,8}, {3,6,9}, each numbering its own VUs 1..n (idInInstance).

/** A rational number in lowest terms, denominator > 0. */
export interface Rat {
  readonly n: bigint;
  readonly d: bigint;
}

const gcd = (a: bigint, b: bigint): bigint => {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
};

function rat(n: bigint, d: bigint): Rat {
  if (d === 0n) throw new Error("division by zero in an execution segment");
  const sign = d < 0n ? -1n : 1n;
  const g = gcd(n, d) || 1n;
  return { n: (sign * n) / g, d: (sign * d) / g };
}

const sub = (a: Rat, b: Rat): Rat => rat(a.n * b.d - b.n * a.d, a.d * b.d);
const cmp = (a: Rat, b: Rat): number => {
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
};
const ZERO = rat(0n, 1n);
const ONE = rat(1n, 1n);

/** k6's stringToRat: "50%", "0.25", "1/3" or "1". */
export function parseRat(text: string): Rat {
  const s = text.trim();
  if (s.endsWith("%")) {
    const body = s.slice(0, -1);
    if (!/^\d+$/.test(body)) throw new Error(`'${text}' is not a valid percentage`);
    return rat(BigInt(body), 100n);
  }
  const fraction = /^(\d+)\/(\d+)$/.exec(s);
  if (fraction) return rat(BigInt(fraction[1]!), BigInt(fraction[2]!));
  const decimal = /^(\d+)(?:\.(\d+))?$/.exec(s);
  if (decimal) {
    const digits = decimal[2] ?? "";
    return rat(BigInt(decimal[1]! + digits), 10n ** BigInt(digits.length));
  }
  throw new Error(`'${text}' is not a valid percentage, decimal, fraction or interval value`);
}

/** big.Rat's RatString: "a/b", or "a" for a whole number. */
export function ratString(r: Rat): string {
  return r.d === 1n ? String(r.n) : `${r.n}/${r.d}`;
}

export interface Segment {
  readonly from: Rat;
  readonly to: Rat;
}

function segment(from: Rat, to: Rat): Segment {
  if (cmp(from, ZERO) < 0) throw new Error(`segment start value must be at least 0`);
  if (cmp(from, to) >= 0)
    throw new Error(`segment start(${ratString(from)}) must be less than its end(${ratString(to)})`);
  if (cmp(to, ONE) > 0) throw new Error(`segment end value can't be more than 1`);
  return { from, to };
}

/** "1/4:1/2" (from:to), or "1/4" (= 0:1/4), or "" (the whole test); as k6's --execution-segment. */
export function parseSegment(text: string): Segment {
  const s = text.trim() === "" ? "1" : text.trim();
  const colon = s.indexOf(":");
  return colon < 0 ? segment(ZERO, parseRat(s)) : segment(parseRat(s.slice(0, colon)), parseRat(s.slice(colon + 1)));
}

/** "0,1/3,2/3,1": consecutive segments without gaps; as k6's --execution-segment-sequence. */
export function parseSequence(text: string): Segment[] {
  const points = text.split(",").map(parseRat);
  if (points.length < 2) throw new Error(`at least 2 points are needed for an execution segment sequence`);
  return points.slice(1).map((to, i) => segment(points[i]!, to));
}

/** k6's ExecutionSegment.String(): "from:to". */
export const segmentString = (s: Segment): string => `${ratString(s.from)}:${ratString(s.to)}`;
/** k6's ExecutionSegmentSequence.String(): "start,end1,end2,…". */
export const sequenceString = (seq: ReadonlyArray<Segment>): string =>
  [seq[0]!.from, ...seq.map((s) => s.to)].map(ratString).join(",");

/** k6's GetFilledExecutionSegmentSequence: the sequence (or the lone segment) padded to cover (0, 1]. */
export function filledSequence(sequence: ReadonlyArray<Segment> | undefined, fallback: Segment | undefined): Segment[] {
  let result: Segment[];
  if (sequence === undefined || sequence.length === 0) {
    if (fallback === undefined || (cmp(fallback.from, ZERO) === 0 && cmp(fallback.to, ONE) === 0)) {
      return [segment(ZERO, ONE)];
    }
    result = [fallback];
  } else {
    result = [...sequence];
  }
  if (cmp(result[0]!.from, ZERO) !== 0) result = [segment(ZERO, result[0]!.from), ...result];
  if (cmp(result[result.length - 1]!.to, ONE) !== 0) result = [...result, segment(result[result.length - 1]!.to, ONE)];
  return result;
}

/** The repeating pattern of the numbers (0-based) that belong to one segment: first `start`, then the gaps. */
export interface Stripe {
  readonly start: number;
  readonly offsets: ReadonlyArray<number>;
  readonly lcd: number;
}

/** k6's NewExecutionSegmentSequenceWrapper: the striped offsets of every segment of a full sequence. */
export function stripes(sequence: ReadonlyArray<Segment>): Stripe[] {
  const lengths = sequence.map((s) => sub(s.to, s.from));
  let lcdBig = lengths[0]!.d;
  for (const l of lengths.slice(1)) lcdBig = (lcdBig * l.d) / gcd(lcdBig, l.d);
  const lcd = Number(lcdBig);
  const sorted = lengths
    .map((l, originalIndex) => ({ norm: Number(l.n * (lcdBig / l.d)), originalIndex }))
    .sort((a, b) => b.norm - a.norm); // stable, biggest segments first
  const offsets: number[][] = sequence.map(() => []);
  const prev = sequence.map(() => 0);
  const chosen = sequence.map(() => 0);
  for (let i = 0; i < lcd; i++) {
    for (let sortedIndex = 0; sortedIndex < chosen.length; sortedIndex++) {
      const num = chosen[sortedIndex]! * lcd;
      const denom = sorted[sortedIndex]!.norm;
      const quotient = Math.floor(num / denom);
      if (i > quotient || (i === quotient && num % denom === 0)) {
        chosen[sortedIndex]!++;
        const index = sorted[sortedIndex]!.originalIndex;
        const own = offsets[index]!;
        own.push(i - prev[index]!);
        prev[index] = i;
        if (own.length === denom) own.push(own[0]! + lcd - i);
        break;
      }
    }
  }
  return offsets.map((o) => ({ start: o[0]!, offsets: o.slice(1), lcd }));
}

/** The unscaled (run-wide, 1-based) number of this segment's k-th element (k 1-based): SegmentedIndex.Next k times. */
export function unscaledAt(stripe: Stripe, k: number): number {
  if (k < 1) throw new Error("unscaledAt counts from 1");
  const steps = k - 1;
  const cycles = Math.floor(steps / stripe.offsets.length);
  let value = stripe.start + 1 + cycles * stripe.lcd;
  for (let i = 0; i < steps % stripe.offsets.length; i++) value += stripe.offsets[i]!;
  return value;
}

/** k6's SegmentedIndex: the segment's elements one after another, as (scaled, unscaled), both from 1. */
export class SegmentedIndex {
  private scaled = 0;
  constructor(private readonly stripe: Stripe) {}

  next(): { scaled: number; unscaled: number } {
    this.scaled++;
    return { scaled: this.scaled, unscaled: unscaledAt(this.stripe, this.scaled) };
  }
}

/** k6's ExecutionSegmentSequenceWrapper.ScaleInt64: how many of the numbers 1..value fall in the segment's stripe. */
export function scaleInt64(stripe: Stripe, value: number): number {
  let result = Math.floor(value / stripe.lcd) * stripe.offsets.length;
  for (let gi = 0, i = stripe.start; i < value % stripe.lcd; i += stripe.offsets[gi]!, gi++) result++;
  return result;
}

/** One instance's place in a run: its segment in the full sequence and the stripe it draws numbers from. */
export interface ExecutionTuple {
  readonly segment: Segment;
  readonly sequence: ReadonlyArray<Segment>;
  /** 0-based position of the segment in the (filled) sequence. */
  readonly index: number;
  readonly stripe: Stripe;
  /** What exec.test.options shows (k6 marshals unset values as null). */
  readonly executionSegment: string | null;
  readonly executionSegmentSequence: string | null;
  /** This instance's share of a count (VUs of a scenario); the count itself when the run is not segmented. */
  scale(value: number): number;
}

/** k6's NewExecutionTuple from the CLI strings (both optional: without them, the whole test on one instance). */
export function executionTuple(executionSegment?: string, executionSegmentSequence?: string): ExecutionTuple {
  const seg = executionSegment === undefined ? undefined : parseSegment(executionSegment);
  const given =
    executionSegmentSequence === undefined || executionSegmentSequence.trim() === ""
      ? undefined
      : parseSequence(executionSegmentSequence);
  const sequence = filledSequence(given, seg);
  const own = seg ?? segment(ZERO, ONE);
  const index = sequence.findIndex((s) => cmp(s.from, own.from) === 0 && cmp(s.to, own.to) === 0);
  if (index < 0) {
    throw new Error(`couldn't find segment ${segmentString(own)} in sequence ${sequenceString(sequence)}`);
  }
  const stripe = stripes(sequence)[index]!;
  return {
    segment: own,
    sequence,
    index,
    stripe,
    executionSegment: seg === undefined ? null : segmentString(seg),
    executionSegmentSequence: given === undefined ? null : sequenceString(given),
    scale: (value) => (sequence.length === 1 ? value : scaleInt64(stripe, value)),
  };
}

/**
 * The flags k6-operator gives runner `index` (1-based) of `count` (pkg/segmentation NewCommandFragments): the
 * sequence 0,1/N,…,(N-1)/N,1 and the runner's own slice of it. No flags at all for a single runner.
 */
export function operatorSegment(
  index: number,
  count: number,
): { executionSegment: string; executionSegmentSequence: string } | undefined {
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 1 || index > count) {
    throw new Error(`runner ${index} of ${count}: node index exceeds configured parallelism`);
  }
  if (count === 1) return undefined;
  const point = (i: number) => (i === 0 ? "0" : i === count ? "1" : `${i}/${count}`);
  const points = Array.from({ length: count + 1 }, (_, i) => point(i));
  return {
    executionSegment: `${point(index - 1)}:${point(index)}`,
    executionSegmentSequence: points.join(","),
  };
}
