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
  const holding = new Set(pubs.filter((r) => r.value.categoryName === category).map((r) => r.value.container));
  if (holding.size === 0) return null;
  const members = new Map(sets.map((s) => [s.value.id, s.value.members]));
  const user = bare(w.uri);
  const domain = user.split('@')[1] ?? '';
  const best = (type: MemberType, value?: string): number | undefined => {
    const ids = [...holding].filter((id) => id > 0 && (members.get(id) ?? []).some((m) => m.type === type && (value === undefined || bare(m.value ?? '') === value)));
    return ids.length > 0 ? Math.max(...ids) : undefined;
  };
  const found =
    best('user', user) ??
    best('domain', domain) ??
    (w.network === 'sameEnterprise' ? best('sameEnterprise') : undefined) ??
    (w.network === 'federated' ? best('federated') : undefined) ??
    (w.network === 'publicCloud' ? best('publicCloud') : undefined) ??
    // §1.3.1.3.7 lists "everyone" as rule 6; §3.2.5.3 leaves it out (digest §1.5 takes the former).
    best('everyone');
  if (found !== undefined) return found;
  return holding.has(0) ? 0 : null;
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
