/**
 * Work on keyed items in batches, one batch at a time (so an instance never races itself): the
 * items submitted while a batch runs form the next one; an item whose key is already waiting joins
 * that key's entry, so a burst of one key (a thousand watchers subscribing to one user, each
 * changing the subscriber list) takes one place in a batch, not a thousand. A batch holds at most
 * `maxKeys` keys, and what waits is bounded by the callers (a bus consumer's concurrency).
 *
 * Each `submit` resolves once a batch that carried its item is done (nothing is acknowledged
 * before it is sent) or rejects with that batch's error (to be delivered again).
 */
export class KeyedBatcher<T> {
  private readonly waiting = new Map<string, { items: T[]; settle: ((err?: unknown) => void)[] }>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly keyOf: (item: T) => string,
    private readonly run: (batch: T[][]) => Promise<unknown>,
    private readonly maxKeys = 16,
  ) {}

  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const key = this.keyOf(item);
      let entry = this.waiting.get(key);
      if (!entry) this.waiting.set(key, (entry = { items: [], settle: [] }));
      entry.items.push(item);
      entry.settle.push((err) => (err === undefined ? resolve() : reject(err)));
      this.running ??= this.loop();
    });
  }

  private async loop(): Promise<void> {
    // Let the items delivered in this turn of the event loop join the first batch.
    await new Promise((r) => setImmediate(r));
    while (this.waiting.size > 0) {
      const batch = [...this.waiting].slice(0, this.maxKeys);
      for (const [key] of batch) this.waiting.delete(key);
      let failure: unknown;
      try {
        await this.run(batch.map(([, e]) => e.items));
      } catch (err) {
        failure = err ?? new Error('batch failed');
      }
      for (const [, e] of batch) for (const settle of e.settle) settle(failure);
    }
    this.running = undefined;
  }

  /** Resolves once every batch started or waiting has ended (shutdown). */
  async settle(): Promise<void> {
    await this.running;
  }
}

/**
 * Hand-offs to the edges that have not been answered yet. A fan-out does not wait for them (the
 * next batch can be worked on meanwhile; the edge keeps each dialog's CSeq order), but at most
 * `limit` are outstanding: beyond that it waits for the oldest, so the table stays bounded.
 */
export class HandOffs {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly limit = 256) {}

  async add(p: Promise<unknown>): Promise<void> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    while (this.pending.size > this.limit) await Promise.race(this.pending).catch(() => undefined);
  }

  /** Resolves once every hand-off made so far is answered (shutdown). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
