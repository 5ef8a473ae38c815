import { describe, expect, it } from 'vitest';
import { checkDigestResponse, digestChallenge, digestResponse, NonceService, parseDigestCredentials } from '../src/index.js';

// RFC 7616 §3.9.1: the worked example, with MD5 and SHA-256.
const rfc = {
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  uri: '/dir/index.html',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  qop: 'auth',
  nc: '00000001',
  opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
};

describe('RFC 7616 digest', () => {
  it('computes the RFC 7616 §3.9.1 example responses for MD5 and SHA-256', () => {
    expect(digestResponse({ ...rfc, algorithm: 'MD5' }, 'GET', 'Circle of Life')).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(digestResponse({ ...rfc, algorithm: 'SHA-256' }, 'GET', 'Circle of Life')).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('parses an Authorization header and checks it', () => {
    const header =
      'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
    const c = parseDigestCredentials(header)!;
    expect(c).toMatchObject({ username: 'Mufasa', algorithm: 'SHA-256', qop: 'auth', nc: '00000001' });
    expect(checkDigestResponse(c, 'GET', 'Circle of Life')).toBe(true);
    expect(checkDigestResponse(c, 'GET', 'wrong')).toBe(false);
    expect(checkDigestResponse(c, 'POST', 'Circle of Life')).toBe(false);
  });

  it.each([
    'Basic dXNlcjpwYXNz',
    'Digest realm="r", nonce="n", uri="u", response="x"',
    'Digest username="u", realm="r", nonce="n", uri="u", response="x", algorithm=SHA-512-256',
    'Digest username="u", realm="r", nonce="n", uri="u", response="x", qop=auth',
  ])('refuses a malformed or unsupported credential: %s', (h) => {
    expect(parseDigestCredentials(h)).toBeUndefined();
  });

  it('writes a challenge per algorithm', () => {
    expect(digestChallenge('contoso.com', 'N', 'O', 'SHA-256')).toBe('Digest realm="contoso.com", nonce="N", opaque="O", algorithm=SHA-256, qop="auth"');
    expect(digestChallenge('contoso.com', 'N', 'O', 'MD5', true)).toContain('stale=TRUE');
  });
});

describe('nonces', () => {
  it('accepts a fresh nonce with increasing counts and refuses a replayed count', () => {
    const n = new NonceService();
    const nonce = n.issue();
    expect(n.use(nonce, '00000001')).toBe('valid');
    expect(n.use(nonce, '00000001')).toBe('replayed');
    expect(n.use(nonce, '00000002')).toBe('valid');
  });

  it('allows a nonce without qop once', () => {
    const n = new NonceService();
    const nonce = n.issue();
    expect(n.use(nonce, undefined)).toBe('valid');
    expect(n.use(nonce, undefined)).toBe('replayed');
  });

  it('calls a nonce older than its lifetime stale, and a forged one invalid', () => {
    let now = 1_000_000;
    const n = new NonceService(Buffer.alloc(32, 1), 300_000, () => now);
    const nonce = n.issue();
    now += 300_001;
    expect(n.use(nonce, '00000001')).toBe('stale');
    const other = new NonceService(Buffer.alloc(32, 2), 300_000, () => now).issue();
    expect(n.use(other, '00000001')).toBe('invalid');
    expect(n.use('not-a-nonce', '00000001')).toBe('invalid');
  });
});
