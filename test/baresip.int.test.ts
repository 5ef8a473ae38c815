import { getHeader, getHeaders } from '@presence/sip';
import { listRecords, publications } from '@presence/state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Baresip, baresipPath, BARESIP_MISSING } from './support/baresip.js';
import { LyncClient } from './support/lync-client.js';
import { authorize, buildRequest } from './support/sip-client.js';
import { startWorld, type World } from './support/world.js';

const BOB = 'sip:bob@contoso.com';
const PUBLISH = 'application/msrtc-category-publish+xml';
const STATE_NS = 'xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
/** What Lync publishes when the user sets Busy: the endpoint's machine state (active) and the user's manual state. */
const busy = () =>
  `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${BOB}">` +
  `<publication categoryName="state" instance="1000" container="2" version="0" expireType="endpoint"><state ${STATE_NS} manual="false" xsi:type="machineState"><availability>3500</availability></state></publication>` +
  `<publication categoryName="state" instance="536870912" container="2" version="0" expireType="static"><state ${STATE_NS} manual="true" xsi:type="userState"><availability>6500</availability><activity token="busy"/></state></publication>` +
  `</publications></publish>`;

/**
 * Issue 14 item 6: a stock Debian client (baresip 1.0) against the DEFAULT configuration (digest
 * auth, default PRESENCE_DIGEST_ALGORITHMS, default subscription lifetimes): it registers, subscribes
 * to an MS-PRES user's presence, and shows the state a Lync-style client publishes.
 */
describe('baresip from Debian with the default configuration', () => {
  let w: World;
  let b: Baresip | undefined;
  const clients: LyncClient[] = [];
  beforeEach(async () => {
    // Only what a test world must set (ports, ids); digest and the defaults of everything else.
    w = await startWorld({ mode: 'embedded', env: { PRESENCE_AUTH: 'digest', PRESENCE_USERS_FILE: 'config/dev-users.json', SUBSCRIBE_MIN_EXPIRES: '1200' } });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await b?.stop();
    b = undefined;
    await w.stop();
  });

  it('is installed (the test fails rather than skips without it)', () => {
    expect(baresipPath(), BARESIP_MISSING).toBeDefined();
  });

  it('registers (MD5, offered alone to baresip 1.x), subscribes to bob, shows bob’s published state and takes bob’s MESSAGE', { timeout: 60_000 }, async () => {
    b = await Baresip.start({ serverPort: w.ports.tcp, user: 'alice', password: 'alice-dev-password', domain: 'contoso.com', watch: [BOB] });
    // RFC 8760: baresip 1.0 fails on any non-MD5 challenge; the default offers it MD5 alone.
    await b.waitFor(/alice@contoso\.com: \{0\/TCP\/v4\} 200 OK \(presence-server\/0\.1\) \[1 binding\]/, 20_000);
    expect(b.output).not.toMatch(/Function not implemented/);
    const challenge = /SIP\/2\.0 401 Unauthorized\r?\n(?:[^\r\n]+\r?\n)*?\r?\n/.exec(b.output)![0];
    expect(challenge.match(/WWW-Authenticate: [^\r\n]+/g)).toEqual([expect.stringMatching(/algorithm=MD5/)]);
    // Its SUBSCRIBE (600 s) gets 423 with the default Min-Expires, it retries, and bob is offline at first.
    await b.waitFor(/NOTIFY sip:[^\r\n]+ SIP\/2\.0[\s\S]*?<basic>closed<\/basic>/, 20_000);

    // Bob signs in as a Lync-style client (SHA-256: a named client is offered it first) and sets Busy.
    const bob = await LyncClient.connect(w.ports.tcp, BOB);
    clients.push(bob);
    const reg = buildRequest(bob.sip, {
      method: 'REGISTER',
      user: BOB,
      epid: bob.epid,
      headers: [
        { name: 'User-Agent', value: 'UCCAPI/16.0.4849.1000 OC/16.0.4849.1000 (Skype for Business)' },
        { name: 'Supported', value: 'gruu-10, adhoclist, msrtc-event-categories' },
      ],
    });
    const ch = await bob.sip.request(reg);
    expect(ch.status).toBe(401);
    expect(getHeaders(ch, 'WWW-Authenticate').map((h) => /algorithm=([\w-]+)/.exec(h)?.[1])).toEqual(['SHA-256', 'MD5']);
    expect((await bob.sip.request(authorize(reg, ch, 'bob', 'bob-dev-password', 'SHA-256'))).status).toBe(200);
    bob.cseq = 10;
    // As Lync does at its first sign-in: colleagues (same enterprise) in container 200 ([MS-PRES] §3.7.5.1).
    await expect.poll(async () => (await listRecords(w.store, { pool: w.pool, user: BOB }, publications)).length, { timeout: 5000 }).toBeGreaterThanOrEqual(8);
    const members = '<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management"><container id="200" version="0"><member action="add" type="sameEnterprise"/></container></setContainerMembers>';
    expect((await bob.service('application/msrtc-setcontainermembers+xml', members)).status).toBe(200);
    const published = await bob.service(PUBLISH, busy());
    expect(published.status, getHeader(published, 'Content-Type')).toBe(200);

    // baresip gets the PIDF NOTIFY ([MS-PRES] §3.7.5.4: open, activity busy) and changes bob's status
    // itself (its presence module's own line). baresip 1.0 maps only RFC 4480 <rpid:busy/> elements to
    // "Busy"; §3.7.5.4's document carries the activity as <ep:activity>busy</ep:activity>, so it shows Online.
    const bodies = () => [...b!.output.matchAll(/NOTIFY sip:[^\r\n]+ SIP\/2\.0[\s\S]*?(<presence [\s\S]*?<\/presence>)/g)].map((m) => m[1]!);
    await expect.poll(() => bodies().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(bodies()[0]).toContain('<basic>closed</basic>');
    expect(bodies()[1]).toMatch(/<basic>open<\/basic><ep:activities><ep:activity>busy<\/ep:activity><\/ep:activities>.*<ci:display-name>Bob<\/ci:display-name>/);
    const changed = await b.waitFor(/<sip:bob@contoso\.com> changed status from (\w+) to (\w+)/, 10_000);
    expect([changed[1], changed[2]]).toEqual(['Offline', 'Online']);
    // Page-mode MESSAGE (RFC 3428) from the Lync-style bob reaches the stock client.
    const msg = await bob.sip.request(
      buildRequest(bob.sip, { method: 'MESSAGE', user: BOB, epid: bob.epid, to: 'sip:alice@contoso.com', uri: 'sip:alice@contoso.com', cseq: 20, headers: [{ name: 'Content-Type', value: 'text/plain' }], body: 'Hello from Lync' }),
      15_000,
    );
    expect(msg.status).toBe(200);
    // baresip got it on its registered Contact and took it itself (its own 200, Server: baresip).
    expect(b.output).toMatch(/MESSAGE sip:alice-[^@\s]+@127\.0\.0\.1:\d+;transport=tcp SIP\/2\.0\r?\n[^]*?From: <sip:bob@contoso\.com>;tag=[^]*?\r?\n\r?\nHello from Lync/);
    expect(b.output).toMatch(/SIP\/2\.0 200 OK\r?\n[^]*?CSeq: 1 MESSAGE\r?\nServer: baresip/);
    // And it answered the NOTIFYs 200 (it keeps the subscription).
    expect(b.output).toMatch(/SIP\/2\.0 200 OK\r?\n[^]*?CSeq: 2 NOTIFY/);
  });
});
