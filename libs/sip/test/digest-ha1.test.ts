import { describe, expect, it } from 'vitest';
import { checkDigestResponseHa1, digestHa1, digestResponseFromHa1, type DigestCredentials } from '../src/index.js';

// RFC 7616 §3.9.1: Mufasa / "Circle of Life" in realm http-auth@example.org, GET /dir/index.html.
const base = {
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  uri: '/dir/index.html',
  qop: 'auth',
  nc: '00000001',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
};
const RESPONSE = { MD5: '8ca523f5e9506fed4657c9700eebdbec', 'SHA-256': '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1' } as const;

describe('digest against HA1-only storage (RFC 7616 §3.4.1, §3.4.2)', () => {
  for (const algorithm of ['MD5', 'SHA-256'] as const) {
    it(`${algorithm}: the RFC's response follows from the stored HA1 alone; another HA1 is refused`, () => {
      const ha1 = digestHa1(algorithm, 'Mufasa', 'http-auth@example.org', 'Circle of Life');
      expect(ha1).toHaveLength(algorithm === 'MD5' ? 32 : 64);
      const c: DigestCredentials = { ...base, algorithm, response: RESPONSE[algorithm] };
      expect(digestResponseFromHa1(c, 'GET', ha1)).toBe(RESPONSE[algorithm]);
      expect(checkDigestResponseHa1(c, 'GET', ha1.toUpperCase())).toBe(true);
      expect(checkDigestResponseHa1(c, 'GET', digestHa1(algorithm, 'Mufasa', 'http-auth@example.org', 'circle of life'))).toBe(false);
      expect(checkDigestResponseHa1(c, 'POST', ha1)).toBe(false);
    });
  }
});
