import { createHash } from 'node:crypto';
import type { CategoryView } from '@presence/documents';
import type { ContainerRecord, MemberType, PublicationRecord, StoredRecord } from '@presence/state';
import { PRIVATE_CATEGORIES } from './policy.js';

/** Where a subscriber comes from ([MS-PRES] §3.4.5.1.3; default sameEnterprise). */
export type SourceNetwork = 'sameEnterprise' | 'federated' | 'publicCloud';

export interface Watcher {
  /** The subscriber's address of record. */
  readonly uri: string;
  readonly network: SourceNetwork;
}

const bare = (uri: string) => uri.replace(/^sips?:/i, '').split(';')[0]!.toLowerCase();

/**
 * The container whose instances of `category` a subscriber sees ([MS-PRES] §3.2.5.3, §1.3.1.3.6-7),
 * or null ("blocked" or unpublished, which look the same to the subscriber). Only containers that
 * hold the category count. The member type decides first (user > domain > sameEnterprise >
 * federated > publicCloud > everyone), then the highest container id; container 0 is the fallback.
 */
export function resolveContainer(w: Watcher, category: string, pubs: readonly StoredRecord<PublicationRecord>[], sets: readonly StoredRecord<ContainerRecord>[]): number | null {
  return containerResolver(category, pubs, sets)(w);
}

/**
 * {@link resolveContainer} for many subscribers of one publisher: the publisher's containers are
 * indexed once (per member, the highest container holding the category), after which resolving a
 * subscriber is a few map look-ups. A change's fan-out resolves every watcher with one of these.
 */
export function containerResolver(category: string, pubs: readonly StoredRecord<PublicationRecord>[], sets: readonly StoredRecord<ContainerRecord>[]): (w: Watcher) => number | null {
  const holding = new Set<number>();
  for (const r of pubs) if (r.value.categoryName === category) holding.add(r.value.container);
  if (holding.size === 0) return () => null;
  const byUser = new Map<string, number>();
  const byDomain = new Map<string, number>();
  const byType = new Map<MemberType, number>();
  const raise = <K>(m: Map<K, number>, k: K, id: number) => {
    if (!(id <= (m.get(k) ?? -1))) m.set(k, id);
  };
  // The last set of an id wins, as a Map built from the list would.
  const members = new Map(sets.map((s) => [s.value.id, s.value.members]));
  for (const [id, list] of members) {
    if (id <= 0 || !holding.has(id)) continue;
    for (const m of list) {
      if (m.type === 'user') raise(byUser, bare(m.value ?? ''), id);
      else if (m.type === 'domain') raise(byDomain, bare(m.value ?? ''), id);
      else raise(byType, m.type, id);
    }
  }
  const fallback = holding.has(0) ? 0 : null;
  return (w) => {
    const user = bare(w.uri);
    const domain = user.split('@')[1] ?? '';
    return (
      byUser.get(user) ??
      byDomain.get(domain) ??
      (w.network === 'sameEnterprise' ? byType.get('sameEnterprise') : undefined) ??
      (w.network === 'federated' ? byType.get('federated') : undefined) ??
      (w.network === 'publicCloud' ? byType.get('publicCloud') : undefined) ??
      // §1.3.1.3.7 lists "everyone" as rule 6; §3.2.5.3 leaves it out (digest §1.5 takes the former).
      byType.get('everyone') ??
      fallback
    );
  };
}

/**
 * What a subscriber sees of one category: every instance in the resolved container with only name,
 * instance, publishTime and data (§3.2.5.3), or `<category name="…"/>` when it resolves to nothing.
 */
export function watcherViews(category: string, container: number | null, pubs: readonly StoredRecord<PublicationRecord>[]): CategoryView[] {
  if (container === null) return [{ name: category }];
  const inContainer = pubs
    .filter((r) => r.value.categoryName === category && r.value.container === container)
    .sort((a, b) => Number(a.value.instance) - Number(b.value.instance));
  if (inContainer.length === 0) return [{ name: category }];
  return inContainer.map((r) => ({ name: category, instance: r.value.instance, publishTime: r.value.publishTime, data: r.value.data }));
}

/** A short digest of what a subscriber sees of a category: equal digests mean nothing to notify. */
export function viewFingerprint(container: number | null, views: readonly CategoryView[]): string {
  return createHash('sha256').update(JSON.stringify([container, views])).digest('base64url').slice(0, 22);
}

/** The categories a subscriber may subscribe to: private ones are dropped silently (§3.4.5.1.3). */
export function subscribableCategories(requested: readonly string[]): string[] {
  return [...new Set(requested)].filter((c) => !PRIVATE_CATEGORIES.has(c));
}
