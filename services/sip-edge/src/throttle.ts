/**
 * Failed sign-in attempts per user and per source address, in a sliding window (what Kamailio's
 * pike and fail2ban do): past the limit of either, attempts are refused without looking at the
 * password until the window frees a slot. Memory is bounded: a key keeps at most its limit of
 * times, and past `maxKeys` keys the oldest key is forgotten.
 */
export class FailureThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(
    private readonly o: { perUser: number; perSource: number; windowMs: number; maxKeys?: number; now?: () => number },
  ) {
    this.now = o.now ?? Date.now;
  }

  /** Records a failure of `user` (when known) from `source`. */
  failed(source: string, user: string | undefined): void {
    this.hit(`s:${source}`, this.o.perSource);
    if (user !== undefined) this.hit(`u:${user}`, this.o.perUser);
  }

  /** Milliseconds until `user` from `source` may try again; 0 when they may now. */
  retryAfterMs(source: string, user: string | undefined): number {
    return Math.max(this.wait(`s:${source}`, this.o.perSource), user === undefined ? 0 : this.wait(`u:${user}`, this.o.perUser));
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.o.windowMs;
    const times = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (times.length === 0) this.failures.delete(key);
    else this.failures.set(key, times);
    return times;
  }

  private hit(key: string, limit: number): void {
    const times = this.recent(key);
    times.push(this.now());
    // Refreshed keys move to the end: the first key is the one idle longest.
    this.failures.delete(key);
    this.failures.set(key, times.slice(-limit));
    if (this.failures.size > (this.o.maxKeys ?? 100_000)) this.failures.delete(this.failures.keys().next().value!);
  }

  private wait(key: string, limit: number): number {
    const times = this.recent(key);
    return times.length < limit ? 0 : times[times.length - limit]! + this.o.windowMs - this.now();
  }
}
