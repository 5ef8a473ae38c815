/**
 * Puts the requests of one dialog back in CSeq order. Service instances take CSeqs in order (a
 * compare-and-set on the dialog) but may hand them to the edge out of order; each request names the
 * CSeq before it. A request whose predecessor went out (or that names none) goes now, then any
 * held ones that follow it; others wait, at most `holdMs`, after which the held ones go in CSeq
 * order (their predecessor is lost: the instance that took it died). A CSeq at or below the last one
 * sent is stale and dropped: a newer state already went out.
 */
export class DialogSequencer<T> {
  private last: number | undefined;
  private readonly held = new Map<number, { prev: number; item: T }>();
  private timer: unknown;

  constructor(
    private readonly send: (item: T) => void,
    private readonly timers: { set(fn: () => void, ms: number): unknown; clear(h: unknown): void },
    private readonly holdMs = 1000,
  ) {}

  offer(cseq: number, prev: number | undefined, item: T): 'sent' | 'held' | 'stale' {
    if (this.last !== undefined && cseq <= this.last) return 'stale';
    if (prev === undefined || (this.last !== undefined && prev <= this.last)) {
      this.emit(cseq, item);
      this.flush();
      return 'sent';
    }
    this.held.set(cseq, { prev, item });
    if (this.timer === undefined) this.timer = this.timers.set(() => this.expire(), this.holdMs);
    return 'held';
  }

  private emit(cseq: number, item: T): void {
    this.last = cseq;
    this.send(item);
  }

  private flush(): void {
    if (this.held.size === 0 && this.timer === undefined) return; // the usual case: nothing held
    for (;;) {
      const next = [...this.held].find(([, h]) => h.prev <= this.last!);
      if (!next) break;
      this.held.delete(next[0]);
      if (next[0] > this.last!) this.emit(next[0], next[1].item);
    }
    if (this.held.size === 0 && this.timer !== undefined) {
      this.timers.clear(this.timer);
      this.timer = undefined;
    }
  }

  private expire(): void {
    this.timer = undefined;
    for (const [cseq, h] of [...this.held].sort(([a], [b]) => a - b)) {
      this.held.delete(cseq);
      if (this.last === undefined || cseq > this.last) this.emit(cseq, h.item);
    }
  }
}
