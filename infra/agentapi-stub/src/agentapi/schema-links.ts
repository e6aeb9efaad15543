// Upstream (huma's SchemaLinkTransformer) adds a `$schema` member and a `Link: </schemas/X.json>; rel="describedBy"`
// header to every JSON response; the link is absolute, http:// for localhost/127.0.0.1 hosts and https:// otherwise.
// Links depend only on the Host header, so they are cached per host (bounded, since `*` admits any host).

const MAX_CACHED_HOSTS = 256;

export function describedBy(component: string): string {
  return `</schemas/${component}.json>; rel="describedBy"`;
}

export class SchemaLinks {
  private readonly bases = new Map<string, string>();

  /** Absolute URL prefix (`http://host/schemas/`) for a Host header value. */
  base(host: string | undefined): string {
    const key = host ?? "";
    let base = this.bases.get(key);
    if (base === undefined) {
      const scheme = key.startsWith("localhost") || key.startsWith("127.0.0.1") ? "http" : "https";
      base = `${scheme}://${key}/schemas/`;
      if (this.bases.size >= MAX_CACHED_HOSTS) this.bases.clear();
      this.bases.set(key, base);
    }
    return base;
  }

  link(host: string | undefined, component: string): string {
    return `${this.base(host)}${component}.json`;
  }
}
