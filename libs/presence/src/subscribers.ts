import type { SubscriberView } from '@presence/documents';
import { put, remove, subscribers, type Change, type StoredRecord, type SubscriberRecord } from '@presence/state';
import { sameAor } from './publish.js';

export type SubscriberOutcome = { readonly ok: true; readonly changes: readonly Change[] } | { readonly ok: false; readonly status: number; readonly reason: string };

/**
 * setSubscribers ([MS-PRES] §3.6.5.1): the subscriber must be in the list (400 otherwise). An
 * acknowledged entry is removed (the server SHOULD, keeping the list small); an unacknowledged one
 * is kept with the flag cleared.
 */
export function planSetSubscribers(user: string, acknowledged: boolean, current: readonly StoredRecord<SubscriberRecord>[]): SubscriberOutcome {
  const entry = current.find((s) => sameAor(s.value.user, user));
  if (!entry) return { ok: false, status: 400, reason: `${user} is not in the subscriber list` };
  if (acknowledged) return { ok: true, changes: [remove(subscribers, entry.id, { expect: entry.version })] };
  return { ok: true, changes: [put(subscribers, { ...entry.value, acknowledged: false }, { expect: entry.version })] };
}

/**
 * A category subscription with a `context` element ([MS-PRES] §1.3.1.4, §3.4.5.1.3): adds the
 * subscriber, unacknowledged, unless already listed (then nothing changes and nobody is notified).
 */
export function planAddSubscriber(entry: SubscriberRecord, current: readonly StoredRecord<SubscriberRecord>[]): Change | undefined {
  if (current.some((s) => sameAor(s.value.user, entry.user))) return undefined;
  return put(subscribers, { ...entry, acknowledged: false }, { expect: 0 });
}

/** The `subscribers` view (§2.2.2.6.1): users written without `sip:`, as the examples do. */
export function subscriberViews(current: readonly StoredRecord<SubscriberRecord>[]): SubscriberView[] {
  return [...current]
    .sort((a, b) => a.value.user.localeCompare(b.value.user))
    .map((s) => ({
      user: s.value.user.replace(/^sips?:/i, ''),
      displayName: s.value.displayName ?? '',
      acknowledged: s.value.acknowledged,
      ...(s.value.sourceNetwork ? { type: s.value.sourceNetwork } : {}),
      ...(s.value.context ? { context: s.value.context } : {}),
    }));
}
