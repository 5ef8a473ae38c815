import { edgeDeliverMessage, pageMessage, type Bus, type BusSubscription } from '@presence/bus';
import { listRecords, registrations, type Store } from '@presence/state';

/**
 * Until federation serves `pageMessage` (issue 14 item 4, another branch), a stand-in that relays
 * a message to every endpoint of the recipient through the edge holding it, as the contract says.
 * Installed only when nothing answers `pageMessage`: with the real service present it stays out.
 */
export async function pageMessageDouble(bus: Bus, store: Store, pool: string): Promise<BusSubscription | undefined> {
  const answered = await bus.request(pageMessage, pool, { from: 'sip:probe@contoso.com', to: 'sip:nobody-probe@contoso.com', contentType: 'text/plain', body: 'probe' }, { timeoutMs: 1000 }).then(
    () => true,
    () => false,
  );
  if (answered) return undefined;
  return bus.handle(pageMessage, pool, async (m) => {
    const endpoints = (await listRecords(store, { pool, user: m.to }, registrations)).filter((r) => r.id !== m.fromEpid);
    let delivered = 0;
    for (const r of endpoints) {
      const reply = await bus.request(edgeDeliverMessage, r.value.edgeId, { ...m, connectionId: r.value.connectionId, epid: r.id }, { timeoutMs: 2000 }).catch(() => ({ delivered: false }));
      if (reply.delivered) delivered++;
    }
    return { status: endpoints.length === 0 ? 480 : delivered > 0 ? 200 : 480, delivered };
  });
}
