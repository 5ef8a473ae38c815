import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from '@presence/sip-edge';
import { afterEach, describe, expect, it } from 'vitest';
import { domainUsers, freeSipPort } from './federation-partners.suite.js';
import { registerInDomain, sendMessage, takeMessage } from './support/page-message.js';
import { PidfClient } from './support/pidf-client.js';
import { startWorld, type World } from './support/world.js';

/** One certificate for both test deployments (127.0.0.1 in its names), and the file a partner trusts it from. */
function certificateFiles(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'partners-tls-'));
  const pem = selfSignedCertificate('localhost', ['localhost', '127.0.0.1']);
  writeFileSync(join(dir, 'cert.pem'), pem.cert);
  writeFileSync(join(dir, 'key.pem'), pem.key);
  return { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
}

/** Issue 14 item 5: partners over TLS, with the partner's certificate checked (RFC 5922 host identity). */
describe('federation with a partner over TLS', () => {
  const worlds: World[] = [];
  const clients: PidfClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(worlds.splice(0).map((w) => w.stop()));
  });

  const deploy = async (trustPartner: boolean) => {
    const files = certificateFiles();
    const [a, b] = [{ sip: await freeSipPort(), tls: await freeSipPort() }, { sip: await freeSipPort(), tls: await freeSipPort() }];
    const env = (domain: string, users: string[], own: typeof a, other: string, theirs: typeof a) => ({
      PRESENCE_DOMAINS: domain,
      PRESENCE_USERS_FILE: domainUsers(domain, users),
      SIP_PORT: String(own.sip),
      SIP_TLS_PORT: String(own.tls),
      SIP_TLS_CERT_FILE: files.cert,
      SIP_TLS_KEY_FILE: files.key,
      PRESENCE_FEDERATION_PARTNERS: `${other}=sip:127.0.0.1:${theirs.tls};transport=tls`,
      ...(trustPartner ? { PRESENCE_FEDERATION_CA_FILE: files.cert } : {}),
    });
    worlds.push(await startWorld({ mode: 'embedded', env: env('contoso.com', ['alice'], a, 'fabrikam.com', b) }));
    worlds.push(await startWorld({ mode: 'embedded', env: env('fabrikam.com', ['bob'], b, 'contoso.com', a) }));
    const alice = await PidfClient.connect(a.sip, 'sip:alice@contoso.com');
    const bob = await PidfClient.connect(b.sip, 'sip:bob@fabrikam.com');
    clients.push(alice, bob);
    expect((await registerInDomain(alice)).status).toBe(200);
    expect((await registerInDomain(bob)).status).toBe(200);
    return { alice, bob };
  };

  it('relays MESSAGE both ways over TLS when the partner’s certificate is trusted', { timeout: 40_000 }, async () => {
    const { alice, bob } = await deploy(true);
    const out = sendMessage(alice, 'sip:bob@fabrikam.com', 'over tls');
    expect((await takeMessage(bob)).body.toString()).toBe('over tls');
    expect((await out).status).toBe(200);
    const back = sendMessage(bob, 'sip:alice@contoso.com', 'and back');
    expect((await takeMessage(alice)).body.toString()).toBe('and back');
    expect((await back).status).toBe(200);
  });

  it('does not talk to a partner whose certificate it cannot check: 503 Partner Unreachable', { timeout: 40_000 }, async () => {
    const { alice, bob } = await deploy(false);
    const res = await sendMessage(alice, 'sip:bob@fabrikam.com', 'untrusted');
    expect(res).toMatchObject({ status: 503, reason: 'Partner Unreachable' });
    expect(bob.sip.received.filter((m) => m.type === 'request')).toEqual([]);
  });
});
