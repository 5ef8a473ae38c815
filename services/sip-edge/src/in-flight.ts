/**
 * Counts what is in progress per key (requests of a connection or a user, connections of an
 * address) and refuses one over the key's limit.
 * A key leaves the table when its count drops to zero, so the table holds only keys with work.
 */
export class InFlight {
  private readonly counts = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Takes a slot for `key`; false (nothing taken) when it already has `max`. */
  tryAcquire(key: string): boolean {
    const n = this.counts.get(key) ?? 0;
    if (n >= this.max) return false;
    this.counts.set(key, n + 1);
    return true;
  }

  /** Whether `key` has all it may have. */
  full(key: string): boolean {
    return (this.counts.get(key) ?? 0) >= this.max;
  }

  release(key: string): void {
    const n = this.counts.get(key) ?? 0;
    if (n <= 1) this.counts.delete(key);
    else this.counts.set(key, n - 1);
  }

  get size(): number {
    return this.counts.size;
  }
}
