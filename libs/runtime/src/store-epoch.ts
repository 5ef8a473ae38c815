import { randomUUID } from 'node:crypto';
import type { Partition, Store } from '@presence/state';
import type { Logger } from '@presence/telemetry';

/** The epoch record lives in a partition of its own, outside every pool. */
const EPOCH: Partition = { pool: '_epoch', user: 'store' };
const COLLECTION = 'epoch';
const ID = 'current';

interface EpochRecord {
  readonly id: string;
  readonly since: string;
}

/**
 * Detects that the store lost its data (a Redis restart without persistence, a flush, a fail-over
 * to an empty replica): an epoch record is written at start, and read every `intervalMs`. When it
 * is gone, or another process has already replaced it, the data this process relied on is gone
 * too, and `onLost` runs once per loss. A store that does not answer decides nothing.
 */
export class StoreEpoch {
  private known: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly onLost: () => void,
  ) {}

  /** Adopts the current epoch, writing one if there is none. */
  async start(intervalMs: number): Promise<void> {
    // A store that is down at start: the first answer sets the epoch, without counting as a loss.
    this.known = await this.current().catch(() => undefined);
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One check; true when a loss was found. Exposed for tests. */
  async check(): Promise<boolean> {
    if (this.checking) return false;
    this.checking = true;
    try {
      const before = this.known;
      let now: string;
      try {
        now = await this.current();
      } catch (e) {
        this.logger.debug({ err: (e as Error).message }, 'store epoch not checked: store unavailable');
        return false;
      }
      this.known = now;
      if (before === undefined || before === now) return false;
      this.logger.error(
        { dependency: 'redis', previousEpoch: before, epoch: now },
        'STORE DATA LOST: the store no longer holds the data written before (restart without persistence?); making every client re-register and resubscribe',
      );
      this.onLost();
      return true;
    } finally {
      this.checking = false;
    }
  }

  /** The epoch in the store; a new one written when there is none (the first writer wins). */
  private async current(): Promise<string> {
    const rec = await this.store.get<EpochRecord>(EPOCH, COLLECTION, ID);
    if (rec) return rec.value.id;
    const fresh: EpochRecord = { id: randomUUID(), since: new Date().toISOString() };
    const r = await this.store.apply(EPOCH, [{ op: 'put', collection: COLLECTION, id: ID, value: fresh, expect: 0 }]);
    if (r.ok) return fresh.id;
    return (r.conflicts[0]!.current!.value as EpochRecord).id;
  }
}
