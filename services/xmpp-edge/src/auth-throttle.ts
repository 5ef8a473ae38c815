const MAX_KEYS = 100_000;

/**
 * Failed sign-ins per user and per source address in a sliding window, as the SIP edge counts
 * failed digests (issue 12 item 5): past either limit a sign-in is refused even with the right
 * password, so guessing across many connections gains nothing. Bounded: the oldest keys go first.
 */
export class AuthThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly o: { perUser: number; perSource: number; windowMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  private recent(key: string): number[] {
    const since = this.now() - this.o.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  blocked(user: string | undefined, source: string): boolean {
    return this.recent(`s:${source}`).length >= this.o.perSource || (user !== undefined && this.recent(`u:${user}`).length >= this.o.perUser);
  }

  failed(user: string | undefined, source: string): void {
    for (const key of [`s:${source}`, ...(user !== undefined ? [`u:${user}`] : [])]) {
      const list = this.recent(key);
      list.push(this.now());
      this.failures.delete(key);
      this.failures.set(key, list.slice(-Math.max(this.o.perUser, this.o.perSource)));
      if (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value!);
    }
  }
}
