import type { SipReply } from '@presence/bus';
import type { NotifiedPresentity } from '@presence/documents';
import type { GatewayRequests, Sender, SubscriptionDialog } from './requests.js';

/**
 * The category subscriptions of one gateway connection: one batch dialog per pool its resources
 * are homed in, each reached at that pool (as a Lync client does after `resubscribe`, [MS-PRES]
 * §3.4.5.1.3.1), resources added and removed within it (§3.4.5.1.1 batch actions), refreshed with
 * all it watches, and forgotten when the services end it (then watched anew where they now live).
 */
export class CategoryWatch {
  private readonly dialogs = new Map<string, SubscriptionDialog>();
  /** What each pool's dialog watches: a refresh names them all again. */
  private readonly watching = new Map<string, Set<string>>();

  constructor(
    private readonly requests: GatewayRequests,
    private readonly sender: Sender,
    private readonly o: {
      readonly categories: readonly string[];
      readonly expiresS: number;
      /** Told of a pool's refusal (the resources stay unwatched there). */
      readonly onRefused?: (pool: string, reply: SipReply) => void;
    },
  ) {}

  /** Whether any dialog is held. */
  get active(): boolean {
    return this.dialogs.size > 0;
  }

  /**
   * Subscribes to (or unsubscribes from) `resources` at each pool they are homed in, within that
   * pool's dialog when there is one. Answers what the answers carried (the first notifications).
   */
  async change(action: 'subscribe' | 'unsubscribe', resources: Iterable<string>): Promise<NotifiedPresentity[]> {
    const out: NotifiedPresentity[] = [];
    for (const [pool, list] of await this.requests.byPool(resources)) {
      const existing = this.dialogs.get(pool);
      if (!existing && action === 'unsubscribe') continue;
      const r = await this.requests.subscribeCategories(this.sender, { pool, resources: list, categories: this.o.categories, expires: this.o.expiresS, dialog: existing, action });
      if (r.reply.status !== 200) {
        this.o.onRefused?.(pool, r.reply);
        continue;
      }
      if (!existing && r.dialog) this.dialogs.set(pool, r.dialog);
      const watched = this.watching.get(pool) ?? new Set<string>();
      for (const uri of list) {
        if (action === 'subscribe') watched.add(uri);
        else watched.delete(uri);
      }
      this.watching.set(pool, watched);
      out.push(...r.presentities);
    }
    return out;
  }

  /** Refreshes every dialog with all it watches (RFC 6665 §4.1.2.1); answers the worst status. */
  async refresh(): Promise<number | undefined> {
    let worst: number | undefined;
    for (const [pool, dialog] of this.dialogs) {
      const resources = [...(this.watching.get(pool) ?? [])];
      if (resources.length === 0) continue;
      const r = await this.requests.subscribeCategories(this.sender, { pool, resources, categories: this.o.categories, expires: this.o.expiresS, dialog });
      worst = Math.max(worst ?? 0, r.reply.status);
    }
    return worst;
  }

  /**
   * A dialog the services ended (a terminating NOTIFY, e.g. a user moved to another pool, [DESIGN]
   * Pools): forgotten here; answers the resources it watched, to be watched anew.
   */
  ended(callId: string): string[] {
    for (const [pool, dialog] of this.dialogs) {
      if (dialog.callId !== callId) continue;
      this.dialogs.delete(pool);
      const resources = [...(this.watching.get(pool) ?? [])];
      this.watching.delete(pool);
      return resources;
    }
    return [];
  }

  /** Every dialog is gone (the endpoint ended and was registered again): start afresh. */
  forget(): void {
    this.dialogs.clear();
    this.watching.clear();
  }

  /** Ends every dialog (RFC 6665 §4.1.2.3). */
  async close(): Promise<void> {
    const all = [...this.dialogs.values()];
    this.forget();
    await Promise.all(all.map((d) => this.requests.unsubscribe(this.sender, 'presence', d)));
  }
}
