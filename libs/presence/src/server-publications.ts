import { buildContactCard, buildLegacyInterop, buildUserProperties, telUri } from '@presence/documents';
import { publications, put, type Change, type PublicationRecord, type StoredRecord } from '@presence/state';
import type { CategoryKey } from './publish.js';
import { publicationId } from './publish.js';
import { publishTime } from './time.js';

/** What the directory knows of a user. */
export interface DirectoryEntry {
  readonly displayName: string;
  readonly email?: string;
  /** The user's phone number as the directory holds it: their userProperties line. */
  readonly phone?: string;
}

/** Containers the server publishes contactCard into (§3.2.6.2). */
export const CONTACT_CARD_CONTAINERS: readonly number[] = [0, 100, 200, 300, 400, 32000];

const telephoneOf = (phone: string | undefined): { telephone?: string } => {
  const tel = phone === undefined ? undefined : telUri(phone);
  return tel ? { telephone: tel } : {};
};

/** The server's own publications for a user ([MS-PRES] §3.2.6.2): category, container, data. */
export function serverPublicationSet(entry: DirectoryEntry): { name: string; container: number; data: string }[] {
  return [
    ...CONTACT_CARD_CONTAINERS.map((container) => ({ name: 'contactCard', container, data: buildContactCard(entry.displayName, entry.email) })),
    { name: 'legacyInterop', container: 32000, data: buildLegacyInterop() },
    // The user's own line, from the directory's phone number (§3.2.6.2 userProperties).
    { name: 'userProperties', container: 1, data: buildUserProperties(telephoneOf(entry.phone)) },
  ];
}

/**
 * The changes that bring the server publications up to date. A publish that would not change the
 * data is skipped (§3.2.6.2 SHOULD), so an unchanged directory produces no new versions.
 */
export function planServerPublications(entry: DirectoryEntry, current: readonly StoredRecord<PublicationRecord>[], now: Date): { changes: Change[]; touched: CategoryKey[] } {
  const byId = new Map(current.map((r) => [r.id, r]));
  const changes: Change[] = [];
  const touched: CategoryKey[] = [];
  for (const p of serverPublicationSet(entry)) {
    const cur = byId.get(publicationId(p.container, p.name, '0'));
    if (cur && cur.value.data === p.data && cur.value.expireType === 'static') continue;
    const rec: PublicationRecord = { categoryName: p.name, instance: '0', container: p.container, expireType: 'static', publishTime: publishTime(now, cur?.value.publishTime), data: p.data };
    changes.push(put(publications, rec, { expect: cur?.version ?? 0 }));
    touched.push({ container: p.container, name: p.name });
  }
  return { changes, touched };
}
