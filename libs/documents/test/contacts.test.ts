import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAddGroupResult, buildContactDelta, buildContactList, parseContactOp, parseProvisioningRequest } from '../src/index.js';

const soap = (inner: string) =>
  `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>${inner}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
const M = 'xmlns:m="http://schemas.microsoft.com/winrtc/2002/11/sip"';

describe('contact management documents ([MS-SIP] §2.2.4)', () => {
  it('parses the addGroup request of [MS-SIP] example 4.8', () => {
    const body = soap(`<m:addGroup ${M}><m:name>Friends</m:name><m:externalURI /><m:deltaNum>16</m:deltaNum></m:addGroup>`);
    expect(parseContactOp(body)).toEqual({ ok: true, value: { op: 'addGroup', deltaNum: 16, name: 'Friends', externalURI: '' } });
  });

  it('parses setContact with groups, subscribed and a verbatim contactExtension', () => {
    const body = soap(
      `<m:setContact ${M}><m:displayName>Bob</m:displayName><m:groups>1 3</m:groups><m:subscribed>true</m:subscribed><m:URI>bob@contoso.com</m:URI><m:externalURI/><m:deltaNum>4</m:deltaNum><m:contactExtension><contactSettings></contactSettings><phone><uri>tel:+1</uri></phone></m:contactExtension></m:setContact>`,
    );
    const r = parseContactOp(body);
    expect(r.ok && r.value).toEqual({
      op: 'setContact',
      deltaNum: 4,
      contact: { uri: 'bob@contoso.com', name: 'Bob', groups: [1, 3], subscribed: true, externalURI: '', extension: '<contactSettings></contactSettings><phone><uri>tel:+1</uri></phone>' },
    });
  });

  it('parses deleteContact, modifyGroup and deleteGroup', () => {
    expect(parseContactOp(soap(`<m:deleteContact ${M}><m:URI>bob@contoso.com</m:URI><m:deltaNum>2</m:deltaNum></m:deleteContact>`))).toEqual({ ok: true, value: { op: 'deleteContact', deltaNum: 2, uri: 'bob@contoso.com' } });
    expect(parseContactOp(soap(`<m:modifyGroup ${M}><m:groupID>2</m:groupID><m:name>Team</m:name><m:deltaNum>5</m:deltaNum></m:modifyGroup>`))).toEqual({
      ok: true,
      value: { op: 'modifyGroup', deltaNum: 5, id: 2, name: 'Team', externalURI: '' },
    });
    expect(parseContactOp(soap(`<m:deleteGroup ${M}><m:groupID>2</m:groupID><m:deltaNum>6</m:deltaNum></m:deleteGroup>`))).toEqual({ ok: true, value: { op: 'deleteGroup', deltaNum: 6, id: 2 } });
  });

  it.each([
    ['not XML', 'setContact', 'DOC_ERR_XML'],
    ['another root', '<Envelope/>', 'DOC_ERR_ROOT'],
    ['no primitive', soap(''), 'DOC_ERR_SCHEMA'],
    ['an unknown primitive', soap(`<m:renameUser ${M}><m:deltaNum>1</m:deltaNum></m:renameUser>`), 'DOC_ERR_SCHEMA'],
    ['no deltaNum', soap(`<m:deleteGroup ${M}><m:groupID>2</m:groupID></m:deleteGroup>`), 'DOC_ERR_SCHEMA'],
    ['a negative deltaNum', soap(`<m:deleteGroup ${M}><m:groupID>2</m:groupID><m:deltaNum>-1</m:deltaNum></m:deleteGroup>`), 'DOC_ERR_SCHEMA'],
    ['setContact without uri', soap(`<m:setContact ${M}><m:deltaNum>1</m:deltaNum></m:setContact>`), 'DOC_ERR_SCHEMA'],
    ['groups that are not ids', soap(`<m:setContact ${M}><m:URI>a@b.c</m:URI><m:groups>x</m:groups><m:deltaNum>1</m:deltaNum></m:setContact>`), 'DOC_ERR_SCHEMA'],
    ['addGroup without a name', soap(`<m:addGroup ${M}><m:deltaNum>1</m:deltaNum></m:addGroup>`), 'DOC_ERR_SCHEMA'],
  ])('refuses %s with a DocumentError (400)', (_, body, code) => {
    const r = parseContactOp(body);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.status).toBe(400);
    }
  });

  it('writes the full list as [MS-PRES] 4.14.1 does: groups, then contacts with their extension', () => {
    const xml = buildContactList({
      deltaNum: 16,
      groups: [
        { id: 1, name: '~', externalURI: '' },
        { id: 2, name: 'Group 1 Name', externalURI: '' },
      ],
      contacts: [
        { uri: 'user0@contoso.com', name: '', groups: [1], subscribed: true, externalURI: '' },
        { uri: '+14252057570@contoso.com', name: '', groups: [1, 2], subscribed: true, externalURI: '', extension: '<contactSettings></contactSettings><phone><uri>tel:+14252057570</uri></phone>' },
      ],
    });
    expect(xml).toBe(
      '<contactList deltaNum="16" ucsMode="disabled"><group id="1" name="~" externalURI=""/><group id="2" name="Group 1 Name" externalURI=""/>' +
        '<contact uri="user0@contoso.com" name="" groups="1" subscribed="true" externalURI=""/>' +
        '<contact uri="+14252057570@contoso.com" name="" groups="1 2" subscribed="true" externalURI=""><contactExtension><contactSettings></contactSettings><phone><uri>tel:+14252057570</uri></phone></contactExtension></contact>' +
        '</contactList>',
    );
  });

  it('writes a delta in the order [MS-SIP] §3.7 gives, with prevDeltaNum ([MS-PRES] Appendix E)', () => {
    const xml = buildContactDelta({
      deltaNum: 8,
      prevDeltaNum: 7,
      addedGroups: [{ id: 3, name: 'A & B', externalURI: '' }],
      modifiedGroups: [],
      addedContacts: [],
      modifiedContacts: [{ uri: 'x@contoso.com', name: 'X', groups: [3], subscribed: false, externalURI: '' }],
      deletedGroups: [2],
      deletedContacts: ['y@contoso.com'],
    });
    expect(xml).toBe(
      '<contactDelta deltaNum="8" prevDeltaNum="7" ucsMode="disabled"><addedGroup id="3" name="A &amp; B" externalURI=""/>' +
        '<modifiedContact uri="sip:x@contoso.com" name="X" groups="3" subscribed="false" externalURI=""/><deletedGroup id="2"/><deletedContact uri="sip:y@contoso.com"/></contactDelta>',
    );
  });

  it('answers addGroup with the new group id in a SOAP envelope', () => {
    const xml = buildAddGroupResult(4);
    expect(xml).toContain('<m:addGroup xmlns:m="http://schemas.microsoft.com/winrtc/2002/11/sip"><m:groupID>4</m:groupID></m:addGroup>');
    expect(xml.startsWith('<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">')).toBe(true);
  });

  it('never throws on arbitrary bodies: it parses or names the fault (property)', () => {
    const xmlish = fc.oneof(fc.string(), fc.string().map((x) => soap(`<m:setContact ${M}>${x}</m:setContact>`)), fc.string().map((x) => `<provisioningGroupList>${x}</provisioningGroupList>`));
    fc.assert(
      fc.property(xmlish, (body) => {
        const a = parseContactOp(body);
        const b = parseProvisioningRequest(body);
        expect(typeof a.ok).toBe('boolean');
        expect(typeof b.ok).toBe('boolean');
      }),
    );
  });
});
