// Which k6 instance of a distributed run this is. k6-operator starts runner k of N with
// `--execution-segment=(k-1)/N:k/N --execution-segment-sequence=0,1/N,…,1`; k6 reports both in
// exec.test.options (executionSegment "from:to", executionSegmentSequence "0,…,1"; null when not given). The
// instance's number is its segment's position in the sequence, which is k6-operator's runner index (its
// `instance_id` tag and the `-k` of the runner's Job). Pure: Node tests call it directly.

export interface Instance {
  /** 1-based position of the segment in the sequence. */
  readonly index: number;
  /** How many segments the sequence has (the run's instances). */
  readonly count: number;
  /** The segment, as k6 prints it ("1/4:1/2"). */
  readonly segment: string;
  /** This instance's report sub-folder: `instance-<index>` (`segment-<from>-<to>` without a sequence). */
  readonly folder: string;
}

/** "1/3" → 1/3, "0.5" → 0.5, "1" → 1; NaN when it is none of them. */
function fraction(text: string): number {
  const parts = text.trim().split("/");
  if (parts.length === 2) return Number(parts[0]) / Number(parts[1]);
  if (parts.length === 1 && parts[0] !== "") return Number(parts[0]);
  return NaN;
}

const same = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;

/**
 * The instance a segment names, or null for the whole test (no segment, "0:1", or a one-segment sequence). A
 * segment without a sequence is named after itself: without the sequence its position is ambiguous.
 */
export function instanceOf(executionSegment: unknown, executionSegmentSequence: unknown): Instance | null {
  if (typeof executionSegment !== "string" || executionSegment.trim() === "") return null;
  const text = executionSegment.trim();
  const colon = text.indexOf(":");
  const from = colon < 0 ? 0 : fraction(text.slice(0, colon));
  const to = fraction(colon < 0 ? text : text.slice(colon + 1));
  if (!Number.isFinite(from) || !Number.isFinite(to) || (same(from, 0) && same(to, 1))) return null;

  if (typeof executionSegmentSequence === "string" && executionSegmentSequence.trim() !== "") {
    const points = executionSegmentSequence.split(",").map(fraction);
    for (let i = 0; i + 1 < points.length; i++) {
      if (same(points[i] ?? NaN, from) && same(points[i + 1] ?? NaN, to)) {
        const count = points.length - 1;
        return count < 2 ? null : { index: i + 1, count, segment: text, folder: `instance-${i + 1}` };
      }
    }
  }
  const name = text.split("/").join("_").split(":").join("-");
  const padded = [...(same(from, 0) ? [] : [0]), from, to, ...(same(to, 1) ? [] : [1])];
  return {
    index: padded.indexOf(from) + 1,
    count: padded.length - 1,
    segment: text,
    folder: `segment-${colon < 0 ? `0-${name}` : name}`,
  };
}

/** Where an instance writes its reports: REPORT_DIR itself for a whole run, else a sub-folder per instance. */
export function instanceReportDir(reportDir: string, instance: Instance | null): string {
  return instance === null ? reportDir : `${reportDir}/${instance.folder}`;
}
