import { dialogs, dialogSubscriptions, listRecords, remove, watchers, type DialogRecord, type Partition, type Store } from '@presence/state';

/**
 * Ends a dialog and frees everything it holds: its record, and for a category dialog the
 * per-publisher records beside it and the watcher records in each publisher's partition.
 */
export async function endDialog(store: Store, p: Partition, dialogId: string): Promise<void> {
  const subs = (await listRecords(store, p, dialogSubscriptions)).filter((s) => s.value.dialogId === dialogId);
  await store.apply(p, [remove(dialogs, dialogId), ...subs.map((s) => remove(dialogSubscriptions, s.id))]);
  for (const s of subs) {
    await store.apply({ pool: p.pool, user: s.value.publisher }, [remove(watchers, watchers.idOf({ pool: p.pool, subscriber: p.user, dialogId } as never))]);
  }
}

/** The dialogs of a subscriber matching `pick`. */
export async function dialogsOf(store: Store, p: Partition, pick: (d: DialogRecord) => boolean): Promise<{ id: string; value: DialogRecord }[]> {
  return (await listRecords(store, p, dialogs)).filter((d) => pick(d.value));
}
