import { planAddSubscriber, type SourceNetwork } from '@presence/presence';
import { commitAndAnnounce } from '@presence/runtime';
import { getRecord, listRecords, put, subscribers, type Partition } from '@presence/state';
import type { FedDeps } from './notify.js';
import { fedDialogs, fedWatchers, type FedDialogRecord } from './records.js';

/** An address compared as `sameAor` does: no scheme, no parameters, lower case. */
const bare = (uri: string) => uri.replace(/^sips?:/i, '').split(';')[0]!.toLowerCase();

/** §3.7.5.3: a PIDF or MSRTC subscriber enters the publisher's subscriber list, unacknowledged, unless listed already. */
export async function addToSubscriberList(d: FedDeps, pp: Partition, s: { user: string; network: SourceNetwork; displayName?: string }): Promise<void> {
  const displayName = s.displayName ?? d.directory?.get(s.user)?.displayName ?? '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const add = planAddSubscriber({ user: s.user, displayName, acknowledged: false, sourceNetwork: s.network }, await listRecords(d.store, pp, subscribers));
    if (!add) return;
    if ((await commitAndAnnounce(d, pp, [add], { subscribers: true })).ok) return;
  }
}

/**
 * [MS-PRES] §3.7.5.3: PIDF and MSRTC subscribers have no `context` to leave the list with, so the
 * server never removes them: a setSubscribers that acknowledged one (which removes a category
 * subscriber's entry, §3.6.5.1) leaves it listed with acknowledged "true". Run after the user's
 * subscriber list changed: every subscriber of a live PIDF/MSRTC dialog missing from it is put back.
 */
export async function keepLegacySubscribers(d: FedDeps, publisher: string): Promise<void> {
  const pp: Partition = { pool: d.pool, user: publisher };
  if ((await d.store.count(pp, fedWatchers.name)) === 0) return;
  const [watching, listed] = await Promise.all([listRecords(d.store, pp, fedWatchers), listRecords(d.store, pp, subscribers)]);
  const present = new Set(listed.map((s) => bare(s.value.user)));
  const missing = [...new Map(watching.filter((w) => !present.has(bare(w.value.subscriber))).map((w) => [w.value.subscriber, w.value])).values()];
  for (const w of missing) {
    const dialog = await getRecord<FedDialogRecord>(d.store, { pool: w.pool, user: w.subscriber }, fedDialogs, w.dialogId);
    if (!dialog || dialog.value.kind === 'winfo') continue;
    const entry = { user: w.subscriber, displayName: d.directory?.get(w.subscriber)?.displayName ?? '', acknowledged: true, sourceNetwork: dialog.value.network };
    // expect 0: a concurrent SUBSCRIBE that listed it first wins; nothing is lost either way.
    await commitAndAnnounce(d, pp, [put(subscribers, entry, { expect: 0 })], { subscribers: true });
  }
}
