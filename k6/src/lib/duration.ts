// k6 duration strings ("1m30s", "500ms", "2h") <-> seconds. Pure, so profiles can be measured in Node tests.

const UNIT_SECONDS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600 };

export function parseDuration(text: string): number {
  const parts = text.trim().match(/(\d+(?:\.\d+)?)(ms|s|m|h)/g);
  if (!parts || parts.join("") !== text.trim()) {
    throw new Error(`"${text}" is not a k6 duration (use forms like 30s, 2m, 1m30s)`);
  }
  let seconds = 0;
  for (const part of parts) {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(part);
    if (match && match[1] !== undefined && match[2] !== undefined) {
      seconds += Number(match[1]) * (UNIT_SECONDS[match[2]] ?? 0);
    }
  }
  return seconds;
}

export function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  if (minutes === 0) return `${rest}s`;
  return rest === 0 ? `${minutes}m` : `${minutes}m${rest}s`;
}
