// Values built on first use. k6 evaluates the script's top level once per VU (every VU its own runtime), and each
// object it builds there costs every VU memory whether or not the VU reads it: the profiles, the threshold table and
// the run's plan are read by the options context (VU 0: options, setup, handleSummary) and by Node tools, seldom or
// never by a VU, so they are built by a function the first caller runs (k6/README.md "What a VU costs").

/** `build()` on the first call, its result on every later one. */
export function once<T>(build: () => T): () => T {
  let built = false;
  let value: T;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value;
  };
}

/** A record whose values are built on first read, each on its own (an unread key costs nothing but its getter). */
export function lazyRecord<K extends string, V>(builders: Readonly<Record<K, () => V>>): Readonly<Record<K, V>> {
  const record = {} as Record<K, V>;
  for (const key of Object.keys(builders) as K[]) {
    const value = once(builders[key]);
    Object.defineProperty(record, key, { get: value, enumerable: true });
  }
  return record;
}
