// Tiny URL helpers: k6 (before the jslib) has no URL class, and stock k6 must not fetch one.

/** Query parameters of a URL or a `Location` header value; the first value wins for repeated keys. */
export function queryParams(url: string): Record<string, string> {
  const params: Record<string, string> = {};
  const start = url.indexOf("?");
  if (start < 0) return params;
  const end = url.indexOf("#", start);
  const query = url.slice(start + 1, end < 0 ? undefined : end);
  for (const pair of query.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : decodeComponent(pair.slice(eq + 1));
    if (!(key in params)) params[key] = value;
  }
  return params;
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}
