import { getHeader } from '@presence/sip';
import { expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { startWorld } from './support/world.js';

it('ends a self subscription whose time ran out with NOTIFY terminated;reason=timeout (RFC 6665 §4.2.2)', async () => {
  const w = await startWorld({ mode: 'embedded', env: { SUBSCRIBE_MIN_EXPIRES: '1' } });
  const bob = await LyncClient.connect(w.ports.tcp, 'sip:bob@contoso.com', 'e1');
  try {
    await bob.register();
    expect((await bob.selfSubscribe({ expires: 1, benotify: false })).status).toBe(200);
    const n = await bob.nextNotify(5000, (m) => getHeader(m, 'subscription-state')?.startsWith('terminated') ?? false);
    expect(getHeader(n, 'subscription-state')).toBe('terminated;reason=timeout');
    expect((await w.store.list({ pool: w.pool, user: 'sip:bob@contoso.com' }, 'dia')).length).toBe(0);
  } finally {
    bob.close();
    await w.stop();
  }
});
