import { applyVirtually, planAggregation, type CategoryKey } from '@presence/presence';
import type { Change, PublicationRecord, StoredRecord } from '@presence/state';

/**
 * Adds to a change of the user's publications the computed instances it triggers ([MS-PRES] §3.8),
 * so that both commit in one atomic apply: the publish 200 can carry the computed instances (§4.3.x),
 * a failed batch leaves no computed change behind, and two endpoints publishing at once serialize on
 * the versions of the computed instances (the loser plans again from the winner's result).
 */
export function withAggregation(
  current: readonly StoredRecord<PublicationRecord>[],
  changes: readonly Change[],
  touched: readonly CategoryKey[],
  now: Date,
): { changes: Change[]; touched: CategoryKey[]; clientChanges: number } {
  const after = applyVirtually(current, changes);
  const agg = planAggregation(after, touched, now, new Set(changes.map((c) => c.id)));
  const keys = new Map([...touched, ...agg.touched].map((k) => [`${k.container}:${k.name}`, k]));
  return { changes: [...changes, ...agg.changes], touched: [...keys.values()], clientChanges: changes.length };
}
