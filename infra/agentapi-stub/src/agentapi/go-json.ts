// Go's encoding/json as upstream AgentAPI (huma v2 on Go's standard library) applies it to request bodies and to its
// error bodies, reproduced so that this target's messages and echoed values are upstream's byte for byte:
//
// - `goJsonError`: the message json.Unmarshal gives for a body it refuses (its scanner's syntax errors, "unexpected
//   end of JSON input", a number too large for a float64), or undefined for a valid document;
// - `parseGoJson`: the value json.Unmarshal decodes into `any` (invalid UTF-8 replaced byte by byte, lone surrogate
//   escapes replaced, objects as maps so `__proto__` is only a key);
// - `goJson`: how json.Encoder (HTML escaping off, as huma sets it) writes such a value: map keys sorted, `-0` kept,
//   U+2028/U+2029 escaped; `GoBytes` is a Go string built from raw bytes (huma echoes a refused body that way).

/** A decoded JSON value as Go holds it in `any`: nil, bool, float64, string, []any, map[string]any. */
export type GoValue = null | boolean | number | string | GoValue[] | Map<string, GoValue>;

/** A Go string made from raw request bytes (`string(body)`): encoded with each invalid UTF-8 byte as `\ufffd`. */
export class GoBytes {
  constructor(readonly bytes: Buffer) {}
}

// ---------------------------------------------------------------------------------------------------------------
// The scanner (encoding/json/scanner.go), state for state.

const enum S {
  BeginValueOrEmpty,
  BeginValue,
  BeginStringOrEmpty,
  BeginString,
  EndValue,
  EndTop,
  InString,
  InStringEsc,
  InStringEscU,
  InStringEscU1,
  InStringEscU12,
  InStringEscU123,
  Neg,
  One,
  Zero,
  Dot,
  Dot0,
  E,
  ESign,
  E0,
  T,
  Tr,
  Tru,
  F,
  Fa,
  Fal,
  Fals,
  N,
  Nu,
  Nul,
  Error,
}

const PARSE_OBJECT_KEY = 0;
const PARSE_OBJECT_VALUE = 1;
const PARSE_ARRAY_VALUE = 2;
const MAX_NESTING_DEPTH = 10_000;

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
const isNumberState = (s: S): boolean => s >= S.Neg && s <= S.E0;

/** Go's strconv.IsPrint for a rune up to U+00FF. */
const isPrintLatin1 = (r: number): boolean => (r >= 0x20 && r <= 0x7e) || (r >= 0xa1 && r <= 0xff && r !== 0xad);

/** encoding/json's quoteChar: `'x'`, with strconv.Quote's escapes for the byte taken as a rune. */
export function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return "'\"'";
  const short: Record<number, string> = { 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r" };
  const hex = (n: number, width: number): string => n.toString(16).padStart(width, "0");
  let quoted: string;
  if (c === 0x5c) quoted = "\\\\";
  else if (short[c] !== undefined) quoted = short[c];
  else if (c < 0x20 || c === 0x7f) quoted = `\\x${hex(c, 2)}`;
  else if (isPrintLatin1(c)) quoted = String.fromCharCode(c);
  else quoted = `\\u${hex(c, 4)}`;
  return `'${quoted}'`;
}

class Scanner {
  step = S.BeginValue;
  endTop = false;
  readonly parseState: number[] = [];
  err: string | undefined;
  /** Byte ranges of the number literals seen, in document order (for the float64 range check). */
  readonly numbers: [number, number][] = [];
  private numberStart = -1;

  private error(c: number, context: string): void {
    this.step = S.Error;
    this.err = `invalid character ${quoteChar(c)} ${context}`;
  }

  private push(c: number, state: number): void {
    this.parseState.push(state);
    if (this.parseState.length > MAX_NESTING_DEPTH) this.error(c, "exceeded max depth");
  }

  private pop(): void {
    this.parseState.pop();
    if (this.parseState.length === 0) {
      this.step = S.EndTop;
      this.endTop = true;
    } else {
      this.step = S.EndValue;
    }
  }

  /** Offset of the byte being fed (where a number literal starts). */
  private at = 0;

  /** One byte at offset `at`; false once an error is known. */
  feed(c: number, at: number): boolean {
    this.at = at;
    const wasNumber = isNumberState(this.step);
    this.dispatch(c);
    if (wasNumber && !isNumberState(this.step) && this.numberStart >= 0) {
      this.numbers.push([this.numberStart, at]);
      this.numberStart = -1;
    }
    return this.step !== S.Error;
  }

  private dispatch(c: number): void {
    switch (this.step) {
      case S.BeginValueOrEmpty:
        if (isSpace(c)) return;
        if (c === 0x5d) {
          this.endValue(c);
          return;
        }
        this.beginValue(c);
        return;
      case S.BeginValue:
        this.beginValue(c);
        return;
      case S.BeginStringOrEmpty:
        if (isSpace(c)) return;
        if (c === 0x7d) {
          this.parseState[this.parseState.length - 1] = PARSE_OBJECT_VALUE;
          this.endValue(c);
          return;
        }
        this.beginString(c);
        return;
      case S.BeginString:
        this.beginString(c);
        return;
      case S.EndValue:
        this.endValue(c);
        return;
      case S.EndTop:
        this.endTopState(c);
        return;
      case S.InString:
        if (c === 0x22) this.step = S.EndValue;
        else if (c === 0x5c) this.step = S.InStringEsc;
        else if (c < 0x20) this.error(c, "in string literal");
        return;
      case S.InStringEsc:
        if ([0x62, 0x66, 0x6e, 0x72, 0x74, 0x5c, 0x2f, 0x22].includes(c)) this.step = S.InString;
        else if (c === 0x75) this.step = S.InStringEscU;
        else this.error(c, "in string escape code");
        return;
      case S.InStringEscU:
      case S.InStringEscU1:
      case S.InStringEscU12:
      case S.InStringEscU123:
        if (!isHex(c)) this.error(c, "in \\u hexadecimal character escape");
        else this.step = this.step === S.InStringEscU123 ? S.InString : this.step + 1;
        return;
      case S.Neg:
        if (c === 0x30) this.step = S.Zero;
        else if (c >= 0x31 && c <= 0x39) this.step = S.One;
        else this.error(c, "in numeric literal");
        return;
      case S.One:
        if (isDigit(c)) return;
        this.zero(c);
        return;
      case S.Zero:
        this.zero(c);
        return;
      case S.Dot:
        if (isDigit(c)) this.step = S.Dot0;
        else this.error(c, "after decimal point in numeric literal");
        return;
      case S.Dot0:
        if (isDigit(c)) return;
        if (c === 0x65 || c === 0x45) this.step = S.E;
        else this.endValue(c);
        return;
      case S.E:
        if (c === 0x2b || c === 0x2d) {
          this.step = S.ESign;
          return;
        }
        this.eSign(c);
        return;
      case S.ESign:
        this.eSign(c);
        return;
      case S.E0:
        if (isDigit(c)) return;
        this.endValue(c);
        return;
      case S.T:
        this.literal(c, 0x72, S.Tr, "in literal true (expecting 'r')");
        return;
      case S.Tr:
        this.literal(c, 0x75, S.Tru, "in literal true (expecting 'u')");
        return;
      case S.Tru:
        this.literal(c, 0x65, S.EndValue, "in literal true (expecting 'e')");
        return;
      case S.F:
        this.literal(c, 0x61, S.Fa, "in literal false (expecting 'a')");
        return;
      case S.Fa:
        this.literal(c, 0x6c, S.Fal, "in literal false (expecting 'l')");
        return;
      case S.Fal:
        this.literal(c, 0x73, S.Fals, "in literal false (expecting 's')");
        return;
      case S.Fals:
        this.literal(c, 0x65, S.EndValue, "in literal false (expecting 'e')");
        return;
      case S.N:
        this.literal(c, 0x75, S.Nu, "in literal null (expecting 'u')");
        return;
      case S.Nu:
        this.literal(c, 0x6c, S.Nul, "in literal null (expecting 'l')");
        return;
      case S.Nul:
        this.literal(c, 0x6c, S.EndValue, "in literal null (expecting 'l')");
        return;
      case S.Error:
        return;
    }
  }

  private literal(c: number, expected: number, next: S, context: string): void {
    if (c === expected) this.step = next;
    else this.error(c, context);
  }

  private beginValue(c: number): void {
    if (isSpace(c)) return;
    switch (c) {
      case 0x7b:
        this.step = S.BeginStringOrEmpty;
        this.push(c, PARSE_OBJECT_KEY);
        return;
      case 0x5b:
        this.step = S.BeginValueOrEmpty;
        this.push(c, PARSE_ARRAY_VALUE);
        return;
      case 0x22:
        this.step = S.InString;
        return;
      case 0x2d:
        this.step = S.Neg;
        this.numberStart = this.at;
        return;
      case 0x30:
        this.step = S.Zero;
        this.numberStart = this.at;
        return;
      case 0x74:
        this.step = S.T;
        return;
      case 0x66:
        this.step = S.F;
        return;
      case 0x6e:
        this.step = S.N;
        return;
    }
    if (c >= 0x31 && c <= 0x39) {
      this.step = S.One;
      this.numberStart = this.at;
      return;
    }
    this.error(c, "looking for beginning of value");
  }

  private beginString(c: number): void {
    if (isSpace(c)) return;
    if (c === 0x22) this.step = S.InString;
    else this.error(c, "looking for beginning of object key string");
  }

  private endValue(c: number): void {
    const n = this.parseState.length;
    if (n === 0) {
      this.step = S.EndTop;
      this.endTop = true;
      this.endTopState(c);
      return;
    }
    if (isSpace(c)) {
      this.step = S.EndValue;
      return;
    }
    switch (this.parseState[n - 1]) {
      case PARSE_OBJECT_KEY:
        if (c === 0x3a) {
          this.parseState[n - 1] = PARSE_OBJECT_VALUE;
          this.step = S.BeginValue;
          return;
        }
        this.error(c, "after object key");
        return;
      case PARSE_OBJECT_VALUE:
        if (c === 0x2c) {
          this.parseState[n - 1] = PARSE_OBJECT_KEY;
          this.step = S.BeginString;
          return;
        }
        if (c === 0x7d) {
          this.pop();
          return;
        }
        this.error(c, "after object key:value pair");
        return;
      default:
        if (c === 0x2c) {
          this.step = S.BeginValue;
          return;
        }
        if (c === 0x5d) {
          this.pop();
          return;
        }
        this.error(c, "after array element");
    }
  }

  private endTopState(c: number): void {
    if (!isSpace(c)) this.error(c, "after top-level value");
  }

  private zero(c: number): void {
    if (c === 0x2e) this.step = S.Dot;
    else if (c === 0x65 || c === 0x45) this.step = S.E;
    else this.endValue(c);
  }

  private eSign(c: number): void {
    if (isDigit(c)) this.step = S.E0;
    else this.error(c, "in exponent of numeric literal");
  }

  /** scanner.eof: a trailing space ends a top-level number; anything still open is "unexpected end". */
  eof(length: number): string | undefined {
    if (this.err !== undefined) return this.err;
    if (this.endTop) return undefined;
    this.feed(0x20, length);
    if (this.endTop && this.err === undefined) return undefined;
    return this.err ?? "unexpected end of JSON input";
  }
}

/** What json.Unmarshal(body, &anyValue) returns as its error message, or undefined when it would succeed. */
export function goJsonError(body: Buffer): string | undefined {
  const scanner = new Scanner();
  for (let i = 0; i < body.length; i++) {
    if (!scanner.feed(body[i]!, i)) return scanner.err;
  }
  const syntax = scanner.eof(body.length);
  if (syntax !== undefined) return syntax;
  // Syntax is fine; decoding into `any` then fails on the first number outside float64's range.
  for (const [start, end] of scanner.numbers) {
    const literal = body.toString("latin1", start, end);
    if (!Number.isFinite(Number(literal))) {
      return `json: cannot unmarshal number ${literal} into Go value of type float64`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// UTF-8 as Go decodes it: every byte that does not start a valid sequence becomes one U+FFFD.

/** Length of the valid UTF-8 sequence at `i` (utf8.DecodeRune's rules), or 0 if the byte there is invalid. */
function sequenceLength(bytes: Buffer, i: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  const cont = (j: number, lo = 0x80, hi = 0xbf): boolean => {
    const b = bytes[i + j];
    return b !== undefined && b >= lo && b <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** Split bytes into valid UTF-8 text runs and invalid bytes (`null` entries), in order. */
function utf8Runs(bytes: Buffer): (string | null)[] {
  const runs: (string | null)[] = [];
  let start = 0;
  let i = 0;
  while (i < bytes.length) {
    const n = sequenceLength(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    if (i > start) runs.push(bytes.toString("utf8", start, i));
    runs.push(null);
    i += 1;
    start = i;
  }
  if (i > start) runs.push(bytes.toString("utf8", start, i));
  return runs;
}

/** Bytes as Go's decoder reads them into strings: each invalid byte is U+FFFD. */
export function decodeGoUtf8(bytes: Buffer): string {
  return utf8Runs(bytes)
    .map((run) => run ?? "\ufffd")
    .join("");
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A JS string as Go holds the same JSON string: a lone surrogate (from a `\ud800` escape) is U+FFFD. */
const goString = (s: string): string => s.replace(LONE_SURROGATE, "\ufffd");

/** JSON.parse's result as Go's `any` (iterative: Go accepts 10000 levels of nesting, more than JS recursion). */
function toGoValue(root: unknown): GoValue {
  const convert = (value: unknown): GoValue => {
    if (value === null || typeof value === "boolean" || typeof value === "number") return value;
    if (typeof value === "string") return goString(value);
    const target: GoValue = Array.isArray(value) ? [] : new Map<string, GoValue>();
    work.push([value as object, target]);
    return target;
  };
  const work: [object, GoValue[] | Map<string, GoValue>][] = [];
  const result = convert(root);
  for (let next = work.pop(); next !== undefined; next = work.pop()) {
    const [source, target] = next;
    if (Array.isArray(target)) for (const item of source as unknown[]) target.push(convert(item));
    else {
      for (const [key, item] of Object.entries(source as Record<string, unknown>)) {
        target.set(goString(key), convert(item));
      }
    }
  }
  return result;
}

/** Decode a body that goJsonError accepted into what Go's `any` would hold. */
export function parseGoJson(body: Buffer): GoValue {
  return toGoValue(JSON.parse(decodeGoUtf8(body)) as unknown);
}

/**
 * What json.NewDecoder(r).Decode reads from a stream holding `body` (upstream reads its state file that way): the
 * first JSON value, decoded as parseGoJson does (the bytes after it are never read), or Decode's error: `EOF` for
 * nothing but white space, `unexpected EOF` for a value cut short, or the scanner's syntax error.
 */
export function goDecodeFirst(body: Buffer): { value: GoValue } | { error: string } {
  const scanner = new Scanner();
  let end = body.length;
  for (let i = 0; i < body.length; i++) {
    // A complete value ends the read; so does the byte right after a string, literal or number ends one (Go's
    // scanner reports scanEnd there and only complains about a non-space byte on the next call, never made).
    if (scanner.endTop) {
      end = i;
      break;
    }
    if (!scanner.feed(body[i]!, i)) {
      if (!scanner.endTop) return { error: scanner.err ?? "invalid JSON" };
      end = i;
      break;
    }
  }
  if (!scanner.endTop && scanner.eof(body.length) !== undefined) {
    return { error: body.some((c) => !isSpace(c)) ? "unexpected EOF" : "EOF" };
  }
  return { value: parseGoJson(body.subarray(0, end)) };
}

// ---------------------------------------------------------------------------------------------------------------
// The encoder (json.Encoder with SetEscapeHTML(false)).

/** JSON text of a valid JS string the way Go writes it (JSON.stringify's escapes, plus U+2028/U+2029). */
function encodeString(s: string): string {
  return JSON.stringify(goString(s)).replace(/[\u2028\u2029]/g, (c) => (c === "\u2028" ? "\\u2028" : "\\u2029"));
}

function encodeBytes(bytes: Buffer): string {
  const inner = utf8Runs(bytes)
    .map((run) => (run === null ? "\\ufffd" : encodeString(run).slice(1, -1)))
    .join("");
  return `"${inner}"`;
}

/** Go sorts map keys by their UTF-8 bytes, which is code point order. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function scalarJson(value: unknown): string | undefined {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return "null";
    return Object.is(value, -0) ? "-0" : String(value);
  }
  if (typeof value === "string") return encodeString(value);
  if (value instanceof GoBytes) return encodeBytes(value.bytes);
  return undefined;
}

/**
 * A value as Go's encoder writes it. Maps (and plain objects standing for Go maps) are written with sorted keys; a
 * `GoStruct` keeps its field order. Iterative, so a 10000-level document (which Go accepts) is echoed too.
 */
export function goJson(root: unknown): string {
  const out: string[] = [];
  // Each frame: the remaining [key, value] pairs (key undefined in arrays) and the closing bracket.
  const stack: { items: [string | undefined, unknown][]; index: number; close: string }[] = [];
  const open = (value: unknown): void => {
    const scalar = scalarJson(value);
    if (scalar !== undefined) {
      out.push(scalar);
      return;
    }
    if (Array.isArray(value)) {
      out.push("[");
      stack.push({ items: value.map((item): [undefined, unknown] => [undefined, item]), index: 0, close: "]" });
      return;
    }
    let items: [string, unknown][];
    if (value instanceof GoStruct) items = value.fields;
    else {
      items = value instanceof Map ? [...(value as Map<string, unknown>)] : Object.entries(value as object);
      items.sort(([a], [b]) => compareKeys(a, b));
    }
    out.push("{");
    stack.push({ items, index: 0, close: "}" });
  };
  open(root);
  for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
    if (frame.index >= frame.items.length) {
      out.push(frame.close);
      stack.pop();
      continue;
    }
    const [key, item] = frame.items[frame.index]!;
    if (frame.index > 0) out.push(",");
    frame.index += 1;
    if (key !== undefined) out.push(`${encodeString(key)}:`);
    open(item);
  }
  return out.join("");
}

/** A Go struct for goJson: fields written in this order (omitempty is the caller's job: leave such fields out). */
export class GoStruct {
  constructor(readonly fields: [string, unknown][]) {}
}
