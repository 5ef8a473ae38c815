import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../src/index.js';

describe('generated self-signed certificate', () => {
  it('is a valid X.509 certificate, signed by its own key, for the names given', () => {
    const { cert, key } = selfSignedCertificate('contoso.com', ['localhost', '127.0.0.1']);
    const x = new X509Certificate(cert);
    expect(x.subject).toBe('CN=contoso.com');
    expect(x.issuer).toBe('CN=contoso.com');
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.subjectAltName).toBe('DNS:contoso.com, DNS:localhost, IP Address:127.0.0.1');
    expect(x.checkHost('localhost')).toBe('localhost');
    expect(new Date(x.validTo).getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('is valid DER every time (serials are minimal positive integers)', () => {
    for (let i = 0; i < 200; i++) expect(() => new X509Certificate(selfSignedCertificate('contoso.com').cert)).not.toThrow();
  });
});
