import { listRecords } from '@presence/state';
import { afterEach, describe, expect, it } from 'vitest';
import { PidfClient } from './support/pidf-client.js';
import { startWorld, type World } from './support/world.js';

describe('standard SIP clients: bounded tables (embedded)', () => {
  let w: World | undefined;
  const clients: PidfClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await w?.stop();
  });

  it('refuses a dialog beyond MAX_WATCHERS_PER_PUBLISHER on one user and beyond MAX_CATEGORY_SUBSCRIPTIONS_PER_USER of one user with 413', async () => {
    w = await startWorld({ mode: 'embedded', env: { MAX_WATCHERS_PER_PUBLISHER: '2', MAX_CATEGORY_SUBSCRIPTIONS_PER_USER: '2' } });
    const connect = async (user: string) => {
      const c = await PidfClient.connect(w!.ports.tcp, user);
      clients.push(c);
      return c;
    };
    const john = await connect('sip:john@contoso.com');
    const alice = await connect('sip:alice@contoso.com');
    const bob = await connect('sip:bob@contoso.com');
    expect((await john.subscribe('sip:carol@contoso.com')).res.status).toBe(200);
    expect((await alice.subscribe('sip:carol@contoso.com')).res.status).toBe(200);
    const third = await bob.subscribe('sip:carol@contoso.com');
    expect(third.res.status).toBe(413);
    expect((await bob.subscribe('sip:carol@contoso.com', { expires: 0 })).res.status).toBe(200); // a poll keeps nothing
    expect((await john.subscribe('sip:alice@contoso.com')).res.status).toBe(200);
    expect((await john.subscribe('sip:bob@contoso.com')).res.status).toBe(413);
    expect(await listRecords(w.store, { pool: w.pool, user: 'sip:john@contoso.com' }, { name: 'fdia', idOf: () => '' })).toHaveLength(2);
    expect(await listRecords(w.store, { pool: w.pool, user: 'sip:carol@contoso.com' }, { name: 'fwat', idOf: () => '' })).toHaveLength(2);
  });
});
