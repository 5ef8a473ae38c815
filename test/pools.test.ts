import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resubscribeAcrossPools, type TwoPools } from './pools.suite.js';
import { adminHeaders, startWorld, type World } from './support/world.js';

describe('two pools in one process (embedded, PRESENCE_POOLS=pool1,pool2)', () => {
  let w: World;
  beforeAll(async () => {
    // The development accounts are homed: alice and bob in pool1, carol and john in pool2.
    w = await startWorld({ mode: 'embedded', env: { PRESENCE_POOLS: 'pool1,pool2', POOL_ID: 'pool1' } });
  });
  afterAll(async () => {
    await w.stop();
  });
  resubscribeAcrossPools((): TwoPools => ({ edges: [w.ports.tcp], poolA: 'pool1', poolB: 'pool2', gruuB: 'sip:pool2.contoso.com@contoso.com;gruu;opaque=srvr:HomeServer:pool2' }));
});

describe('moving a user to another pool (admin operation)', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ mode: 'embedded', env: { PRESENCE_POOLS: 'pool1,pool2', POOL_ID: 'pool1' } });
  });
  afterAll(async () => {
    await w.stop();
  });

  it('moves the user’s data, ends the dialogs watching them with a terminating NOTIFY, and serves them from the new pool', async () => {
    const { LyncClient } = await import('./support/lync-client.js');
    const { parts } = await import('./support/multipart.js');
    const { getHeader } = await import('@presence/sip');
    const note = (v: number, text: string) =>
      `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:carol@contoso.com"><publication categoryName="note" instance="0" container="0" version="${v}" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">${text}</body></note></publication></publications></publish>`;
    const alice = await LyncClient.connect(w.ports.tcp, 'sip:alice@contoso.com', 'a1');
    const carol = await LyncClient.connect(w.ports.tcp, 'sip:carol@contoso.com', 'c1');
    try {
      await alice.register();
      await carol.register();
      expect((await carol.service('application/msrtc-category-publish+xml', note(0, 'before the move'))).status).toBe(200);
      const gruu2 = 'sip:pool2.contoso.com@contoso.com;gruu;opaque=srvr:HomeServer:pool2';
      expect((await alice.categorySubscribe([{ uri: 'sip:carol@contoso.com' }], { categories: ['note'], requestUri: gruu2 })).status).toBe(200);
      const oldDialog = alice.categoryDialog!;

      const res = await fetch(`http://127.0.0.1:${w.proc.httpPort}/admin/users/move`, {
        method: 'POST',
        headers: adminHeaders,
        body: JSON.stringify({ user: 'sip:carol@contoso.com', pool: 'pool1' }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { from: string; to: string; moved: Record<string, number>; dialogsEnded: number };
      expect(body).toMatchObject({ from: 'pool2', to: 'pool1' });
      expect(body.moved.pub).toBeGreaterThan(0);
      expect(body.dialogsEnded).toBeGreaterThanOrEqual(1);
      const end = await alice.nextNotify(5000, (m) => getHeader(m, 'Call-ID') === oldDialog.callId);
      expect(getHeader(end, 'subscription-state')).toBe('terminated;reason=deactivated');

      // Alice resubscribes at home: Carol now lives in pool1 and is served from there, data and all.
      alice.categoryDialog = undefined;
      const again = await alice.categorySubscribe([{ uri: 'sip:carol@contoso.com' }], { categories: ['note'] });
      const [rlmi, carolPart] = parts(again);
      expect(rlmi!.body).not.toContain('resubscribe');
      expect(carolPart!.body).toContain('before the move');
      expect((await carol.service('application/msrtc-category-publish+xml', note(1, 'after the move'))).status).toBe(200);
      await alice.nextNotify(5000, (m) => m.body.toString().includes('after the move'));

      const bad = await fetch(`http://127.0.0.1:${w.proc.httpPort}/admin/users/move`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ user: 'carol', pool: 'pool9' }) });
      expect(bad.status).toBe(400);
    } finally {
      alice.close();
      carol.close();
    }
  });
  it('ends a signed-out endpoint’s dialogs in the other pools too (endpoint-gone reaches only its home pool)', async () => {
    const { LyncClient } = await import('./support/lync-client.js');
    const { dialogs, listRecords } = await import('@presence/state');
    const bob = await LyncClient.connect(w.ports.tcp, 'sip:bob@contoso.com', 'b-gone');
    try {
      await bob.register();
      const gruu2 = 'sip:pool2.contoso.com@contoso.com;gruu;opaque=srvr:HomeServer:pool2';
      expect((await bob.categorySubscribe([{ uri: 'sip:john@contoso.com' }], { categories: ['note'], requestUri: gruu2 })).status).toBe(200);
      const inPool2 = async () => (await listRecords(w.store, { pool: 'pool2', user: 'sip:bob@contoso.com' }, dialogs)).filter((d) => d.value.epid === 'b-gone').length;
      expect(await inPool2()).toBe(1);
      expect((await bob.request('REGISTER', { headers: [{ name: 'Expires', value: '0' }] })).status).toBe(200);
      const until = Date.now() + 3000;
      while ((await inPool2()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(await inPool2()).toBe(0);
    } finally {
      bob.close();
    }
  });
});
