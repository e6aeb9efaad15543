// One HTTP exchange with InfluxDB under a deadline. The deadline runs on an ordinary (ref'd) timer: with
// AbortSignal.timeout's unref'd one, a request whose socket was reset mid-write can stay unsettled on Node 20 with
// nothing left to keep the process alive, and a CLI (the rollup follower) then exits 0 in silence.

export interface TextReply {
  status: number;
  statusText: string;
  ok: boolean;
  text: string;
}

/** fetch, then read the body as text, both within `timeoutMs`; rejects as fetch does (a TimeoutError past it). */
export async function fetchText(url: string, init: RequestInit, timeoutMs: number): Promise<TextReply> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError")),
    timeoutMs,
  );
  try {
    const res = await fetch(url, { ...init, signal: controller.signal });
    return { status: res.status, statusText: res.statusText, ok: res.ok, text: await res.text() };
  } finally {
    clearTimeout(timer);
  }
}
