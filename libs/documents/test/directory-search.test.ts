import { describe, expect, it } from 'vitest';
import { buildSearchFault, parseDirectorySearch } from '../src/index.js';

const M = 'http://schemas.microsoft.com/winrtc/2002/11/sip';
const env = (inner: string) => `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>${inner}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;

describe('directorySearch documents ([MS-PRES] §8.1, §3.1.5.4)', () => {
  it('reads the rows of the Array the filter names, attributes with or without the m: prefix, the # of the IDREF dropped', () => {
    const body = env(
      `<m:directorySearch xmlns:m="${M}"><m:filter href="a2"/><m:maxResults>7</m:maxResults></m:directorySearch>` +
        `<m:Array xmlns:m="${M}" m:id="a1"><m:row m:attrib="sn" m:value="x"/></m:Array>` +
        `<m:Array xmlns:m="${M}" id="a2"><m:row attrib="givenName" value="Al"/><m:row m:attrib="msRTCSIP-PrimaryUserAddress" m:value="sip:a"/></m:Array>`,
    );
    expect(parseDirectorySearch(body)).toEqual({ ok: true, value: { maxResults: 7, rows: [{ attrib: 'givenName', value: 'Al' }, { attrib: 'msRTCSIP-PrimaryUserAddress', value: 'sip:a' }] } });
  });

  it('refuses what does not follow the schema, never throwing', () => {
    for (const body of ['', '<x', env(''), env(`<m:directorySearch xmlns:m="${M}"><m:maxResults>1</m:maxResults></m:directorySearch>`), env(`<m:directorySearch xmlns:m="${M}"><m:filter m:href="#a"/><m:maxResults>-1</m:maxResults></m:directorySearch><m:Array xmlns:m="${M}" m:id="a"/>`)]) {
      expect(parseDirectorySearch(body).ok).toBe(false);
    }
    const rows = (n: number) => env(`<m:directorySearch xmlns:m="${M}"><m:filter m:href="#a"/><m:maxResults>1</m:maxResults></m:directorySearch><m:Array xmlns:m="${M}" m:id="a">${'<m:row m:attrib="sn" m:value="x"/>'.repeat(n)}</m:Array>`);
    expect(parseDirectorySearch(rows(32)).ok).toBe(true);
    expect(parseDirectorySearch(rows(33))).toMatchObject({ ok: false, error: { message: expect.stringContaining('at most 32 rows') } });
  });

  it('writes SOAP 1.1 faults', () => {
    expect(buildSearchFault('Client.BadCall', 'a <b>')).toBe(
      `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="${M}"><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>Client.BadCall</faultcode><faultstring>a &lt;b&gt;</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>`,
    );
  });
});
