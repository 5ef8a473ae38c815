import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { adminHeaders, startWorld, type World } from './support/world.js';
import { ScramClient } from './xmpp-support/scram-client.js';

const BOB = 'sip:bob@contoso.com';
const HTTPBIND = 'xmlns="http://jabber.org/protocol/httpbind"';
const SASL = 'xmlns="urn:ietf:params:xml:ns:xmpp-sasl"';
const STATE_NS = 'xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const publish = (pubs: string) => `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${BOB}">${pubs}</publications></publish>`;
const state = (type: string, instance: number, availability: number, expireType: string) =>
  `<publication categoryName="state" instance="${instance}" container="2" version="0" expireType="${expireType}"><state ${STATE_NS} manual="${type === 'userState'}" xsi:type="${type}"><availability>${availability}</availability></state></publication>`;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString();

describe('BOSH (XEP-0124, XEP-0206) on /http-bind with a scripted HTTP client', () => {
  let w: World;
  let bob: LyncClient | undefined;
  let rid = 4000;
  const post = async (body: string) => {
    const res = await fetch(`http://127.0.0.1:${w.proc.httpPort}/http-bind`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8' }, body });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    return res.text();
  };
  const inSession = (sid: string, inner = '', attrs = '') => post(`<body rid="${++rid}" sid="${sid}" ${HTTPBIND}${attrs}>${inner}</body>`);

  beforeEach(async () => {
    w = await startWorld({ mode: 'embedded' });
  });
  afterEach(async () => {
    bob?.close();
    await w.stop();
  });

  it('logs in with SCRAM-SHA-256, restarts, binds, fetches the roster, gets a contact presence by long poll, terminates', async () => {
    await fetch(`http://127.0.0.1:${w.proc.httpPort}/admin/users/contacts`, { method: 'PUT', headers: adminHeaders, body: JSON.stringify({ user: 'sip:alice@contoso.com', groups: [], contacts: [{ uri: BOB, name: 'Bob' }] }) });
    bob = await LyncClient.connect(w.ports.tcp, BOB, 'b1');
    await bob.register();
    expect((await bob.service('application/msrtc-setcontainermembers+xml', '<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management"><container id="200" version="0"><member type="sameEnterprise"/></container></setContainerMembers>')).status).toBe(200);
    expect((await bob.service('application/msrtc-category-publish+xml', publish(state('machineState', 5, 3500, 'endpoint')))).status).toBe(200);

    // XEP-0124 §7 session request; XEP-0206 §5: the features come in the first answer. No PLAIN without TLS.
    const created = await post(`<body content="text/xml; charset=utf-8" hold="1" rid="${rid}" to="contoso.com" ver="1.6" wait="5" xml:lang="en" xmpp:version="1.0" ${HTTPBIND} xmlns:xmpp="urn:xmpp:xbosh"/>`);
    const sid = /sid="([^"]+)"/.exec(created)![1]!;
    expect(created).toMatch(/ wait="5" inactivity="\d+" polling="1" requests="2" hold="1" ver="1\.11" from="contoso\.com" xmpp:version="1\.0"/);
    expect(created).toContain('<stream:features><mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>');

    const scram = new ScramClient('sha256', 'alice', 'alice-dev-password');
    const challenge = await inSession(sid, `<auth ${SASL} mechanism="SCRAM-SHA-256">${b64(scram.first())}</auth>`);
    const serverFirst = unb64(/<challenge [^>]*>([^<]+)<\/challenge>/.exec(challenge)![1]!);
    const success = await inSession(sid, `<response ${SASL}>${b64(scram.final(serverFirst))}</response>`);
    expect(scram.verify(unb64(/<success [^>]*>([^<]+)<\/success>/.exec(success)![1]!))).toBe(true);

    const restarted = await inSession(sid, '', ' to="contoso.com" xml:lang="en" xmpp:restart="true" xmlns:xmpp="urn:xmpp:xbosh"');
    expect(restarted).toContain('<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/>');
    const bound = await inSession(sid, '<iq type="set" id="bind_1" xmlns="jabber:client"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>web</resource></bind></iq>');
    expect(bound).toContain('<jid>alice@contoso.com/web</jid>');

    const roster = await inSession(sid, '<iq type="get" id="r1" xmlns="jabber:client"><query xmlns="jabber:iq:roster"/></iq>');
    expect(roster).toContain('<query xmlns="jabber:iq:roster"><item jid="bob@contoso.com" name="Bob" subscription="both"/></query>');

    const online = await inSession(sid, '<presence xmlns="jabber:client"/>');
    expect(online).toContain('<presence from="bob@contoso.com" to="alice@contoso.com/web"/>');

    // An empty request is held until there is something: bob goes Busy.
    const held = inSession(sid);
    await new Promise((r) => setTimeout(r, 200));
    expect((await bob.service('application/msrtc-category-publish+xml', publish(state('userState', 6, 6500, 'static')))).status).toBe(200);
    expect(await held).toContain('<presence from="bob@contoso.com" to="alice@contoso.com/web"><show>dnd</show></presence>');

    const ended = await inSession(sid, '<presence type="unavailable" xmlns="jabber:client"/>', ' type="terminate"');
    expect(ended).toMatch(/type="terminate"/);
    // The session is gone: a further request names an unknown sid.
    expect(await inSession(sid)).toMatch(/type="terminate" condition="item-not-found"/);
  }, 30_000);

  it('refuses bad bodies: not XML, DOCTYPE, unknown host, unknown sid, a rid out of the window', async () => {
    expect(await post('<body')).toMatch(/type="terminate" condition="bad-request"/);
    expect(await post(`<!DOCTYPE x [<!ENTITY a "b">]><body rid="1" to="contoso.com" ${HTTPBIND}/>`)).toMatch(/type="terminate" condition="policy-violation"/);
    expect(await post(`<body rid="1" to="example.org" ${HTTPBIND}/>`)).toMatch(/type="terminate" condition="host-unknown"/);
    expect(await post(`<body rid="1" sid="nope" ${HTTPBIND}/>`)).toMatch(/type="terminate" condition="item-not-found"/);
    const created = await post(`<body rid="10" to="contoso.com" wait="2" ${HTTPBIND} xmlns:xmpp="urn:xmpp:xbosh" xmpp:version="1.0"/>`);
    const sid = /sid="([^"]+)"/.exec(created)![1]!;
    expect(await post(`<body rid="50" sid="${sid}" ${HTTPBIND}/>`)).toMatch(/type="terminate" condition="item-not-found"/);
    const res = await fetch(`http://127.0.0.1:${w.proc.httpPort}/http-bind`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(400);
  });
});
