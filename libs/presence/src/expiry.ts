import { publications, remove, type Change, type PublicationRecord, type StoredRecord } from '@presence/state';
import type { CategoryKey } from './publish.js';

/**
 * What ends when an endpoint's registration ends ([MS-PRES] §3.2.5.5): its `endpoint` instances,
 * and with the user's last endpoint every `user` instance (§3.2.5.5.1).
 */
export function planEndpointGone(current: readonly StoredRecord<PublicationRecord>[], epid: string, lastEndpoint: boolean): { changes: Change[]; touched: CategoryKey[] } {
  const ending = current.filter((r) => (r.value.expireType === 'endpoint' && r.value.epid === epid) || (lastEndpoint && r.value.expireType === 'user'));
  return {
    changes: ending.map((r) => remove(publications, r.id, { expect: r.version })),
    touched: uniqueKeys(ending),
  };
}

export function uniqueKeys(records: readonly StoredRecord<PublicationRecord>[]): CategoryKey[] {
  const m = new Map<string, CategoryKey>();
  for (const r of records) m.set(`${r.value.container}:${r.value.categoryName}`, { container: r.value.container, name: r.value.categoryName });
  return [...m.values()];
}
