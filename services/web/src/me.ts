import { getRecord, publications, type Store } from '@presence/state';
import type { Pools } from '@presence/runtime';
import type { SipReply } from '@presence/bus';
import type { WebEndpoint, Sender } from './endpoint.js';
import { ConflictError, UpstreamError } from './problems.js';

/** Containers a state goes in: the aggregation inputs ([MS-PRES] §3.8.5.1.2: 2 self, 3 the others). */
const STATE_CONTAINERS = [2, 3] as const;
/** Containers a personal note goes in, as Lync publishes it ([MS-PRES] §4.2.1). */
const NOTE_CONTAINERS = [200, 300, 400] as const;

/** The blocked container and the categories a blocked watcher would otherwise see ([MS-PRES] §3.5.1). */
const BLOCKED = 32000;
const BLOCKED_CATEGORIES = ['state', 'note'] as const;

/** A 28-bit number from the endpoint id: instance ids of this endpoint's publications. */
function endpointHash(epid: string): number {
  let h = 2166136261;
  for (const ch of epid) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h & 0x0fffffff;
}

/** Instances of the web endpoint's own publications, distinct per endpoint ([MS-PRES] §2.2.2.2 instance). */
export const instancesOf = (epid: string) => {
  const h = endpointHash(epid);
  return { machine: String(0x30000000 + h), user: String(0x50000000 + h), note: String(0x60000000 + h) };
};

/** What the user sets from the browser. */
export interface OwnPresence {
  availability: number;
  activity?: string;
  /** Empty: the note is removed. Undefined: left as it is. */
  note?: string;
}

/**
 * The web endpoint's own publications: a machineState while signed in (the browser counts as an
 * active endpoint, §3.8.5.1.2.1) and, when the user sets one, a manual userState and a personal
 * note. All endpoint-bound, so they end with the web session. Versions are read from the store
 * (what the client would have learnt from its self subscription); a 409 is retried once.
 */
export class OwnPublisher {
  constructor(
    private readonly store: Store,
    private readonly pools: Pools,
    private readonly endpoint: WebEndpoint,
  ) {}

  private async version(user: string, container: number, category: string, instance: string): Promise<number> {
    const rec = await getRecord(this.store, { pool: await this.pools.home(user), user }, publications, `${container}:${category}:${instance}`);
    return rec?.version ?? 0;
  }

  private async publishWithRetry(make: () => Promise<SipReply>): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = await make();
      if (r.status === 200) return;
      if (r.status !== 409) throw new UpstreamError(`publication answered ${r.status} ${r.reason ?? ''}`.trim());
    }
    throw new ConflictError('the presence changed meanwhile; try again');
  }

  /**
   * Makes container 32000 (blocked) hold empty state and note instances, as Lync does at first
   * sign-in: without them a member of 32000 resolves to another container ([MS-PRES] §3.2.5.3).
   */
  async blockedPlaceholders(s: Sender): Promise<void> {
    const p = { pool: await this.pools.home(s.user), user: s.user };
    const missing: string[] = [];
    for (const c of BLOCKED_CATEGORIES) if (!(await getRecord(this.store, p, publications, `${BLOCKED}:${c}:0`))) missing.push(c);
    if (missing.length === 0) return;
    const r = await this.endpoint.publishEmpty(s, BLOCKED, missing);
    // 409: another endpoint published them meanwhile, which is what was wanted.
    if (r.status !== 200 && r.status !== 409) throw new UpstreamError(`publication answered ${r.status} ${r.reason ?? ''}`.trim());
  }

  async online(s: Sender): Promise<void> {
    const i = instancesOf(s.epid).machine;
    await this.publishWithRetry(async () =>
      this.endpoint.publish(
        s,
        await Promise.all(STATE_CONTAINERS.map(async (container) => ({ container, instance: i, version: await this.version(s.user, container, 'state', i), type: 'machineState' as const, availability: 3500 }))),
        [],
        '0',
      ),
    );
  }

  async set(s: Sender, p: OwnPresence): Promise<void> {
    const ids = instancesOf(s.epid);
    await this.publishWithRetry(async () => {
      const states = await Promise.all(
        STATE_CONTAINERS.map(async (container) => ({
          container,
          instance: ids.user,
          version: await this.version(s.user, container, 'state', ids.user),
          type: 'userState' as const,
          availability: p.availability,
          ...(p.activity ? { activity: p.activity } : {}),
        })),
      );
      const notes =
        p.note === undefined
          ? []
          : await Promise.all(NOTE_CONTAINERS.map(async (container) => ({ container, version: await this.version(s.user, container, 'note', ids.note), text: p.note! })));
      // Removing a note that was never published is nothing to do.
      return this.endpoint.publish(s, states, notes.filter((n) => n.text !== '' || n.version > 0), ids.note);
    });
  }
}
