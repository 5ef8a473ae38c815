import { buildCategories, buildContainers, buildDelegates, buildRoamingData, buildSubscribers, type RoamingType } from '@presence/documents';
import { allSelfViews, containerViews, delegateViews, selfViewsOf, subscriberViews, type CategoryKey } from '@presence/presence';
import { containers, delegates, getRecord, listRecords, publications, subscribers, type Partition, type Store } from '@presence/state';

/** What changed, as `presence-changed` says it; undefined parts did not change. */
export interface Changed {
  categories?: readonly CategoryKey[];
  containers?: readonly number[];
  subscribers?: boolean;
  delegates?: boolean;
}

/**
 * A `roamingData` document for a self dialog ([MS-PRES] §2.2.2.3.2, §3.3.5.2): with `changed`
 * undefined, everything in scope (a SUBSCRIBE's answer); otherwise only the changed documents in
 * scope, or undefined when none is.
 */
export async function selfDocument(store: Store, p: Partition, scope: ReadonlySet<RoamingType | string>, changed?: Changed): Promise<string | undefined> {
  const want = (t: RoamingType, part: unknown) => scope.has(t) && (changed === undefined || (part !== undefined && part !== false));
  const wantCategories = want('categories', changed?.categories);
  const wantContainers = want('containers', changed?.containers);
  const wantSubscribers = want('subscribers', changed?.subscribers);
  const wantDelegates = want('delegates', changed?.delegates);
  if (!wantCategories && !wantContainers && !wantSubscribers && !wantDelegates) return undefined;

  const pubs = wantCategories || wantContainers ? await listRecords(store, p, publications) : [];
  const parts: Parameters<typeof buildRoamingData>[0] = {};
  if (wantCategories) {
    const views = changed?.categories ? selfViewsOf(pubs, changed.categories) : allSelfViews(pubs);
    parts.categories = buildCategories(p.user, views);
  }
  if (wantContainers) {
    const sets = await listRecords(store, p, containers);
    parts.containers = buildContainers(containerViews(sets, pubs.map((r) => r.value.container), changed?.containers));
  }
  if (wantSubscribers) parts.subscribers = buildSubscribers(subscriberViews(await listRecords(store, p, subscribers)));
  if (wantDelegates) {
    const v = delegateViews(await getRecord(store, p, delegates, 'set'));
    parts.delegates = buildDelegates(v.version, v.list);
  }
  return buildRoamingData(parts);
}
