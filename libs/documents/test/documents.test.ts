import { describe, expect, it } from 'vitest';
import {
  buildCategories,
  buildFault,
  parsePublish,
  parseRoamingList,
  parseSetContainerMembers,
  parseSetDelegates,
  parseSetSubscribers,
} from '../src/index.js';

const publish = (pubs: string, uri = 'sip:bob@contoso.com') =>
  `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${uri}">${pubs}</publications></publish>`;

describe('publish document (§2.2.2.2.1, §6.10)', () => {
  it('keeps each payload verbatim, entities and all, and reads the attributes', () => {
    const data = '<note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">Fish &amp; chips ✓</body></note>';
    const r = parsePublish(publish(`<publication categoryName="note" instance="0" container="300" version="0" expireType="static">${data}</publication>`));
    expect(r).toEqual({ ok: true, value: { uri: 'sip:bob@contoso.com', publications: [{ index: 1, categoryName: 'note', instance: '0', container: 300, version: 0, expireType: 'static', data }] } });
  });

  it('accepts a prefixed root in the right namespace', () => {
    const r = parsePublish(`<rp:publish xmlns:rp="http://schemas.microsoft.com/2006/09/sip/rich-presence"><rp:publications uri="sip:b@c"><rp:publication categoryName="note" instance="1" container="0" version="0" expireType="static" expires="0"/></rp:publications></rp:publish>`);
    expect(r.ok && r.value.publications[0]).toMatchObject({ container: 0, expires: 0, data: '' });
  });

  it.each([
    ['not XML', '<publish><x></publish>', /not well-formed/],
    ['a DOCTYPE', `<!DOCTYPE a [<!ENTITY e "x">]>${publish('')}`, /DOCTYPE/],
    ['the wrong namespace', '<publish xmlns="urn:other"><publications uri="x"/></publish>', /expected <publish/],
    ['no publication', publish(''), /at least one publication/],
    ['a bad container', publish('<publication categoryName="n" instance="0" container="99999" version="0" expireType="static"/>'), /container must be 0..32767/],
    ['a bad expireType', publish('<publication categoryName="n" instance="0" container="1" version="0" expireType="forever"/>'), /expireType/],
    ['a negative version', publish('<publication categoryName="n" instance="0" container="1" version="-1" expireType="static"/>'), /version/],
  ])('refuses %s with a 400 DocumentError', (_n, body, msg) => {
    const r = parsePublish(body);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.status).toBe(400);
      expect(r.error.message).toMatch(msg);
    }
  });
});

describe('other request documents', () => {
  it('reads a roamingList scope, ignoring unknown roamingEx types (§6.6)', () => {
    const r = parseRoamingList(
      '<roamingList xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-self"><roaming type="containers"/><roamingEx xmlns="http://schemas.microsoft.com/2007/09/sip/roaming-self-ex" type="somethingNew"/></roamingList>',
    );
    expect(r.ok && [...r.value]).toEqual(['containers']);
  });

  it('reads setContainerMembers with add as the default action and delete as remove (§6.11)', () => {
    const r = parseSetContainerMembers(
      '<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management"><container id="200" version="3"><member type="sameEnterprise"/><member type="domain" value="fabrikam.com" action="delete"/></container></setContainerMembers>',
    );
    expect(r.ok && r.value).toEqual([{ index: 1, id: 200, version: 3, members: [{ type: 'sameEnterprise', action: 'add' }, { type: 'domain', value: 'fabrikam.com', action: 'remove' }] }]);
  });

  it.each([
    ['<member type="everyone" value="x"/>', /takes no value/],
    ['<member type="user"/>', /needs a value/],
    ['<member type="domain" value="not a domain"/>', /bad domain/],
    ['<member type="friends"/>', /bad member type/],
  ])('refuses the member %s', (member, msg) => {
    const r = parseSetContainerMembers(`<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management"><container id="200" version="0">${member}</container></setContainerMembers>`);
    expect(!r.ok && r.error.message).toMatch(msg);
  });

  it('reads setSubscribers (exactly one subscriber) and setDelegates with authorizations', () => {
    expect(parseSetSubscribers('<setSubscribers xmlns="http://schemas.microsoft.com/2006/09/sip/presence-subscribers"><subscriber user="a@b.c" acknowledged="true"/></setSubscribers>')).toEqual({
      ok: true,
      value: { user: 'a@b.c', acknowledged: true },
    });
    expect(parseSetSubscribers('<setSubscribers xmlns="http://schemas.microsoft.com/2006/09/sip/presence-subscribers"><subscriber user="a" acknowledged="true"/><subscriber user="b" acknowledged="true"/></setSubscribers>').ok).toBe(false);
    const d = parseSetDelegates(
      '<setDelegates xmlns="http://schemas.microsoft.com/2007/09/sip/delegate-management" version="1"><delegate uri="sip:john@contoso.com" action="add"><publishOperation authorization="allow"/><redelegateOperation authorization="deny"/></delegate></setDelegates>',
    );
    expect(d.ok && d.value).toEqual({ version: 1, delegates: [{ index: 1, uri: 'sip:john@contoso.com', action: 'add', publish: true, redelegate: false }] });
  });
});

describe('built documents', () => {
  it('escape attribute values and leave payloads as given', () => {
    expect(buildCategories('sip:a"b@c', [{ name: 'note', instance: '0', container: 1, data: '<x>1 &amp; 2</x>' }])).toBe(
      '<categories xmlns="http://schemas.microsoft.com/2006/09/sip/categories" uri="sip:a&quot;b@c"><category name="note" instance="0" container="1"><x>1 &amp; 2</x></category></categories>',
    );
  });

  it('write the fault with Client.BadCall.WrongDelta (not the spec’s editorial "Protocol client.")', () => {
    expect(buildFault([{ index: 2, version: 1, curVersion: 3, data: '<d/>' }])).toBe(
      '<Fault><Faultcode>Client.BadCall.WrongDelta</Faultcode><details><operation index="2" version="1" curVersion="3"><d/></operation></details></Fault>',
    );
  });
});
