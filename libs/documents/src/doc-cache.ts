/**
 * A bounded memo of parsed documents keyed by their exact text. Aggregation re-reads every stored
 * state of a presentity on each publish ([MS-PRES] §3.8.5.1.2); the texts rarely change, so parsing
 * each distinct text once removes the repeated validate + parse. Values are deep-frozen before they
 * are shared, so no caller can change what a later lookup returns.
 */

/** Freezes an object graph of plain objects and arrays (parse results hold nothing else). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

/**
 * Least-recently-used cache: a Map keeps insertion order, so a hit is moved to the end and the
 * first key is the one to evict. Bounded in entries and, by skipping long texts, in memory.
 */
export class ParsedDocCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(
    private readonly maxEntries: number,
    /** Texts longer than this are parsed every time, so a few large documents cannot fill memory. */
    private readonly maxKeyLength: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached value for `key`, computing, freezing and storing it on a miss. */
  getOrParse(key: string, parse: (key: string) => V): V {
    if (this.entries.has(key)) {
      const hit = this.entries.get(key) as V;
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const value = deepFreeze(parse(key));
    if (key.length > this.maxKeyLength) return value;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, value);
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
