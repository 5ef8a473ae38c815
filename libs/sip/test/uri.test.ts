import { describe, expect, it } from 'vitest';
import { addressOfRecord, formatNameAddr, formatUri, parseNameAddr, parseUri, parseVia, tagOf, uriParam, param } from '../src/index.js';

const must = <T>(r: { ok: true; value: T } | { ok: false; error: Error }): T => {
  if (!r.ok) throw r.error;
  return r.value;
};

describe('SIP URIs (RFC 3261 §19.1)', () => {
  it('parses the MS-PRES GRUU form with its opaque and flag parameters', () => {
    const u = must(parseUri('sip:bob@contoso.com;opaque=user:epid:fvceImg6cFWG7W6lvUt_-AAA;gruu'));
    expect(u).toMatchObject({ scheme: 'sip', user: 'bob', host: 'contoso.com' });
    expect(uriParam(u, 'opaque')).toBe('user:epid:fvceImg6cFWG7W6lvUt_-AAA');
    expect(uriParam(u, 'gruu')).toBe('');
    expect(formatUri(u)).toBe('sip:bob@contoso.com;opaque=user:epid:fvceImg6cFWG7W6lvUt_-AAA;gruu');
  });

  it('parses the pool GRUU form (user part is an FQDN)', () => {
    const u = must(parseUri('sip:server3.contoso.com@contoso.com;gruu;opaque=srvr:HomeServer:dL8cwxBrTuG8eC4'));
    expect(u.user).toBe('server3.contoso.com');
    expect(uriParam(u, 'opaque')).toBe('srvr:HomeServer:dL8cwxBrTuG8eC4');
  });

  it('parses ports, IPv6 hosts, passwords and headers', () => {
    expect(must(parseUri('sips:alice:secret@[2001:db8::1]:5061;transport=tls?subject=x'))).toMatchObject({
      scheme: 'sips',
      user: 'alice',
      password: 'secret',
      host: '[2001:db8::1]',
      port: 5061,
      headers: 'subject=x',
    });
  });

  it('gives the address of record: lower-case host, no port or parameters, user unescaped', () => {
    expect(addressOfRecord(must(parseUri('SIP:Alice%20B@Contoso.COM:5060;transport=tcp')))).toBe('sip:Alice B@contoso.com');
  });

  it.each(['http://x', 'sip:', 'sip:a@', 'sip:a@b c', 'sip:a@host:99999', 'sip:@host'])('refuses %s', (s) => {
    expect(parseUri(s).ok).toBe(false);
  });
});

describe('name-addr and addr-spec (RFC 3261 §20.10)', () => {
  it('parses From with tag and the MS epid parameter ([MS-PRES] §4.2.1)', () => {
    const a = must(parseNameAddr('<sip:bob@contoso.com>;tag=b5410171e2;epid=84d3db8c23'));
    expect(a).toEqual({ uri: 'sip:bob@contoso.com', params: [['tag', 'b5410171e2'], ['epid', '84d3db8c23']] });
    expect(tagOf(a)).toBe('b5410171e2');
  });

  it('parses quoted display names with commas, escapes and UTF-8', () => {
    const a = must(parseNameAddr('"Doe, \\"JD\\" Jöhn" <sip:jd@x.com>;tag=9'));
    expect(a.displayName).toBe('Doe, "JD" Jöhn');
    expect(formatNameAddr(a)).toBe('"Doe, \\"JD\\" Jöhn" <sip:jd@x.com>;tag=9');
  });

  it('treats parameters after a bare addr-spec as header parameters', () => {
    expect(must(parseNameAddr('sip:bob@contoso.com;tag=1'))).toEqual({ uri: 'sip:bob@contoso.com', params: [['tag', '1']] });
  });

  it.each(['<sip:a@b', '"x" sip:a@b', '<>', '<sip:a@b> junk'])('refuses %s', (s) => {
    expect(parseNameAddr(s).ok).toBe(false);
  });
});

describe('Via (RFC 3261 §20.42)', () => {
  it('parses transport, sent-by and parameters', () => {
    const v = must(parseVia('SIP/2.0/TLS 192.168.66.91:49541;branch=z9hG4bK776asdhds;rport;ms-received-port=1'));
    expect(v).toMatchObject({ transport: 'TLS', host: '192.168.66.91', port: 49541 });
    expect(param(v.params, 'branch')).toBe('z9hG4bK776asdhds');
    expect(param(v.params, 'rport')).toBe('');
  });

  it('refuses a Via without a protocol', () => {
    expect(parseVia('172.24.32.124:53925').ok).toBe(false);
  });
});
