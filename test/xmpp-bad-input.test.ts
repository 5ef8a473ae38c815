import { listRecords, registrations } from '@presence/state';
import { beforeEach, describe, expect, it } from 'vitest';
import { header, type RawXmpp } from './xmpp-support/raw-client.js';
import { useRawXmppWorld } from './xmpp-support/raw-world.js';

const STREAM_ERROR = (condition: string) => new RegExp(`<stream:error><${condition} xmlns="urn:ietf:params:xml:ns:xmpp-streams"/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">[^<]*</text></stream:error>(</stream:stream>)?$`);

describe('XMPP bad input: RFC 6120 §4.9 stream errors; nothing else affected', () => {
  const x = useRawXmppWorld({ XMPP_MAX_STANZA_BYTES: '4096' });
  const secure = () => x.secure();
  /** A signed-in bystander on the same edge: it must keep working after every other stream's error. */
  let bystander: RawXmpp;
  const bystanderWorks = async () => {
    const id = `p${Math.random().toString(36).slice(2, 8)}`;
    bystander.write(`<iq type="get" id="${id}"><ping xmlns="urn:xmpp:ping"/></iq>`);
    await bystander.until(new RegExp(`<iq type="result" id="${id}"`));
  };
  const aliceEndpoints = async () => (await listRecords(x.w.store, { pool: x.w.pool, user: 'sip:alice@contoso.com' }, registrations)).map((r) => r.value.transport);

  beforeEach(async () => {
    bystander = await secure();
    await bystander.signIn('bob', 'bob-dev-password');
  });

  it('answers malformed XML in a bound stream with not-well-formed, ends that stream and its endpoint only', async () => {
    const c = await secure();
    await c.signIn('alice', 'alice-dev-password');
    await expect.poll(aliceEndpoints).toEqual(['xmpp']);
    c.write('<message to="bob@contoso.com"><body>hi</message>');
    await c.until(STREAM_ERROR('not-well-formed'));
    await c.whenClosed();
    await expect.poll(aliceEndpoints).toEqual([]);
    await bystanderWorks();
  });

  it('ends the stream on a stanza over XMPP_MAX_STANZA_BYTES with policy-violation, before the stanza is handled', async () => {
    const c = await secure();
    await c.signIn('alice', 'alice-dev-password');
    c.write(`<message to="bob@contoso.com" type="chat"><body>${'x'.repeat(5000)}</body></message>`);
    await c.until(STREAM_ERROR('policy-violation'));
    await c.whenClosed();
    await bystanderWorks();
    expect(bystander.received).not.toContain('xxxxx');
  });

  it('refuses DOCTYPE and entity declarations (RFC 6120 §11.1) with restricted-xml, before and after sign-in', async () => {
    const before = await x.plain();
    before.write(`<?xml version='1.0'?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>` + header());
    await before.until(STREAM_ERROR('restricted-xml'));
    await before.whenClosed();

    const after = await secure();
    await after.signIn('alice', 'alice-dev-password');
    after.write('<message to="bob@contoso.com" type="chat"><body>&xxe;</body></message>');
    await after.until(STREAM_ERROR('restricted-xml'));
    await after.whenClosed();
    const comment = await secure();
    comment.write('<!-- hello -->');
    await comment.until(STREAM_ERROR('restricted-xml'));
    await bystanderWorks();
  });

  it('fails bad passwords with SASL not-authorized, then ends the stream after 3 with policy-violation; no endpoint is made', async () => {
    const c = await secure();
    for (let i = 0; i < 3; i++) {
      c.write(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${Buffer.from('\0alice\0wrong').toString('base64')}</auth>`);
      await c.until(new RegExp(`(<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><not-authorized/></failure>[\\s\\S]*){${i + 1}}`));
    }
    await c.until(STREAM_ERROR('policy-violation'));
    await c.whenClosed();
    const scram = await secure();
    // SCRAM with a proof that cannot be right: not-authorized at the final message.
    scram.write(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="SCRAM-SHA-1">${Buffer.from('n,,n=alice,r=abcdefgh').toString('base64')}</auth>`);
    const ch = await scram.until(/<challenge xmlns="urn:ietf:params:xml:ns:xmpp-sasl">([^<]+)<\/challenge>/);
    const nonce = /r=([^,]+)/.exec(Buffer.from(ch[1]!, 'base64').toString())![1]!;
    scram.write(`<response xmlns="urn:ietf:params:xml:ns:xmpp-sasl">${Buffer.from(`c=biws,r=${nonce},p=${Buffer.alloc(20).toString('base64')}`).toString('base64')}</response>`);
    await scram.until(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><not-authorized\/><\/failure>/);
    expect(await aliceEndpoints()).toEqual([]);
    await bystanderWorks();
  });

  it('requires STARTTLS: no PLAIN before TLS, SASL before TLS ends the stream; unknown host → host-unknown; wrong namespace → invalid-namespace', async () => {
    const plain = await x.plain();
    plain.write(header());
    const features = await plain.until(/<stream:features>[\s\S]*<\/stream:features>/);
    expect(features[0]).toBe('<stream:features><starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required/></starttls></stream:features>');
    plain.write(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${Buffer.from('\0alice\0alice-dev-password').toString('base64')}</auth>`);
    await plain.until(STREAM_ERROR('policy-violation'));

    const tls = await secure();
    expect(tls.received).toMatch(/<mechanism>SCRAM-SHA-256<\/mechanism><mechanism>SCRAM-SHA-1<\/mechanism><mechanism>PLAIN<\/mechanism>/);

    const host = await x.plain();
    host.write(header('example.org'));
    await host.until(STREAM_ERROR('host-unknown'));
    const ns = await x.plain();
    ns.write(`<stream:stream to="contoso.com" xmlns="jabber:client" xmlns:stream="urn:not-streams" version="1.0">`);
    await ns.until(STREAM_ERROR('invalid-namespace'));
    await bystanderWorks();
  });
});

describe('XMPP limits: sign-in time, stanza rate, failed sign-ins across connections', () => {
  const x = useRawXmppWorld({ XMPP_AUTH_TIMEOUT_MS: '1500', XMPP_STANZAS_PER_S: '1', XMPP_STANZA_BURST: '5', XMPP_AUTH_MAX_FAILURES_PER_USER: '2', XMPP_AUTH_MAX_FAILURES_PER_SOURCE: '1000' });
  const secure = () => x.secure();

  it('ends a stream that has not signed in and bound within XMPP_AUTH_TIMEOUT_MS with connection-timeout', async () => {
    const c = await secure();
    await c.until(STREAM_ERROR('connection-timeout'), 5000);
    await c.whenClosed();
  });

  it('ends a stream sending stanzas faster than XMPP_STANZAS_PER_S after the burst with policy-violation; the burst itself is served', async () => {
    const c = await secure();
    await c.signIn('alice', 'alice-dev-password');
    for (let i = 0; i < 12; i++) c.write(`<iq type="get" id="r${i}"><ping xmlns="urn:xmpp:ping"/></iq>`);
    await c.until(STREAM_ERROR('policy-violation'));
    for (let i = 0; i < 5; i++) expect(c.received).toContain(`<iq type="result" id="r${i}"`);
    expect(c.received).not.toContain('id="r11"');
  });

  it('refuses even the right password once a user has XMPP_AUTH_MAX_FAILURES_PER_USER failures, on any connection', async () => {
    for (let i = 0; i < 2; i++) {
      const c = await secure();
      c.write(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${Buffer.from('\0alice\0wrong').toString('base64')}</auth>`);
      await c.until(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><not-authorized\/><\/failure>/);
    }
    const right = await secure();
    right.write(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${Buffer.from('\0alice\0alice-dev-password').toString('base64')}</auth>`);
    await right.until(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><temporary-auth-failure\/><\/failure>/);
    // Another user is not affected.
    const bob = await secure();
    await bob.signIn('bob', 'bob-dev-password');
  });
});
