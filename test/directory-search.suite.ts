import { getHeader } from '@presence/sip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import type { World } from './support/world.js';

const ALICE = 'sip:alice@contoso.com';
const M = 'http://schemas.microsoft.com/winrtc/2002/11/sip';
const search = (rows: [string, string][], max = 100) =>
  `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>` +
  `<m:directorySearch xmlns:m="${M}"><m:filter m:href="#searchArray"/><m:maxResults>${max}</m:maxResults></m:directorySearch>` +
  `<m:Array xmlns:m="${M}" m:id="searchArray">${rows.map(([a, v]) => `<m:row m:attrib="${a}" m:value="${v}"/>`).join('')}</m:Array>` +
  `</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
const uris = (body: string) => [...body.matchAll(/m:uri="([^"]*)"/g)].map((m) => m[1]);

/** [MS-PRES] §3.1, §4.1, section 8: directory search, answered from the users the server knows. */
export function directorySearchSuite(name: string, makeWorld: () => Promise<World>): void {
  describe(`directory search: ${name}`, () => {
    let w: World;
    let bob: LyncClient;
    const ask = (body: string, extra: { name: string; value: string }[] = []) =>
      bob.request('SERVICE', { uri: 'sip:contoso.com', to: 'sip:contoso.com', headers: [{ name: 'Content-Type', value: 'application/SOAP+xml' }, ...extra], body });

    beforeEach(async () => {
      w = await makeWorld();
      bob = await LyncClient.connect(w.ports.tcp, 'sip:bob@contoso.com', 'b1');
      await bob.register();
    });
    afterEach(async () => {
      bob.close();
      await w.stop();
    });

    it('finds a user by a prefix of the display name (§4.1) with all ten attributes, empty when unknown', async () => {
      const res = await ask(search([['givenName', 'Ali']]));
      expect(res.status).toBe(200);
      expect(getHeader(res, 'Content-Type')).toBe('application/SOAP+xml');
      expect(res.body.toString()).toBe(
        `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="${M}"><SOAP-ENV:Body>` +
          '<m:directorySearch><m:moreAvailable>false</m:moreAvailable><m:returned>1</m:returned><m:value m:href="#rows"/></m:directorySearch>' +
          `<m:Array m:id="rows"><m:row m:uri="${ALICE}" m:displayName="Alice" m:title="SR. LEAD" m:office="111" m:phone="+1 (555) 555555 X55555" m:company="contoso" m:city="Redmond" m:state="WA" m:country="US" m:email=""/></m:Array>` +
          '</SOAP-ENV:Body></SOAP-ENV:Envelope>',
      );
      const displayName = await ask(search([['displayName', 'jo']]));
      expect(displayName.body.toString()).toContain('<m:row m:uri="sip:john@contoso.com" m:displayName="John" m:title="" m:office="" m:phone="" m:company="" m:city="" m:state="" m:country="" m:email=""/>');
    });

    it('finds users by a prefix of the SIP address (msRTCURI, with or without the scheme), ANDs rows, and sets moreAvailable over the limit', async () => {
      expect(uris((await ask(search([['msRTCURI', 'sip:car']]))).body.toString())).toEqual(['sip:carol@contoso.com']);
      expect(uris((await ask(search([['msRTCURI', 'BO']]))).body.toString())).toEqual(['sip:bob@contoso.com']);
      // AND: both rows must match.
      expect(uris((await ask(search([['msRTCURI', 'alice'], ['company', 'contoso']]))).body.toString())).toEqual([ALICE]);
      expect(uris((await ask(search([['msRTCURI', 'bob'], ['company', 'contoso']]))).body.toString())).toEqual([]);
      const all = await ask(search([['msRTCURI', 'sip:']], 2));
      expect(all.body.toString()).toContain('<m:moreAvailable>true</m:moreAvailable><m:returned>2</m:returned>');
      expect(uris(all.body.toString())).toEqual([ALICE, 'sip:bob@contoso.com']);
      const exact = await ask(search([['msRTCURI', 'sip:']], 4));
      expect(exact.body.toString()).toContain('<m:moreAvailable>false</m:moreAvailable><m:returned>4</m:returned>');
    });

    it('answers malformed bodies 400 with the Client.BadCall SOAP fault, a Require header 420, another domain 403', async () => {
      for (const body of ['<not xml', search([['bad attrib', 'x']]), search([]).replace('#searchArray', '#nowhere'), search([]).replace('<m:maxResults>100</m:maxResults>', '')]) {
        const res = await ask(body);
        expect(res.status).toBe(400);
        expect(getHeader(res, 'Content-Type')).toBe('application/SOAP+xml');
        expect(res.body.toString()).toMatch(/<SOAP-ENV:Fault><faultcode>Client\.BadCall<\/faultcode><faultstring>[^<]+<\/faultstring><\/SOAP-ENV:Fault>/);
      }
      const required = await ask(search([['givenName', 'A']]), [{ name: 'Require', value: 'adhoclist' }]);
      expect(required.status).toBe(420);
      expect(getHeader(required, 'Unsupported')).toBe('adhoclist');
      const other = await bob.request('SERVICE', { uri: 'sip:fabrikam.com', to: 'sip:fabrikam.com', headers: [{ name: 'Content-Type', value: 'application/SOAP+xml' }], body: search([['givenName', 'A']]) });
      expect(other.status).toBe(403);
      expect(other.body.toString()).toContain('<faultcode>Client.NotAuthorized.UserSearch</faultcode>');
    });
  });
}
