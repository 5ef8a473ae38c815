import { describe, expect, it } from 'vitest';
import { digestUriMatches, digestUriNamesServer, nonceCount, NonceService } from '../src/index.js';

describe('digest uri check (RFC 7616 §3.4.6)', () => {
  it.each([
    ['sip:contoso.com', 'sip:contoso.com', true],
    ['sip:contoso.com', 'sip:CONTOSO.com', true],
    ['sip:alice@contoso.com;transport=tcp', 'sip:alice@contoso.com', true],
    ['sip:contoso.com', 'sip:fabrikam.com', false],
    ['sip:alice@contoso.com', 'sip:bob@contoso.com', false],
    ['sip:contoso.com:5061', 'sip:contoso.com', false],
    ['sips:contoso.com', 'sip:contoso.com', false],
    ['not a uri', 'sip:contoso.com', false],
  ])('%s against Request-URI %s: %s', (cred, ruri, same) => {
    expect(digestUriMatches(cred, ruri)).toBe(same);
  });
});

describe('NonceService', () => {
  it('verify checks MAC and age and records nothing; a nonce of another secret is invalid', () => {
    let now = 1_000_000;
    const n = new NonceService(Buffer.alloc(32, 1), 1000, () => now);
    const nonce = n.issue();
    expect(n.verify(nonce)).toEqual({ status: 'valid', expiresAt: 1_001_000 });
    expect(n.verify(nonce)).toEqual({ status: 'valid', expiresAt: 1_001_000 });
    expect(new NonceService(Buffer.alloc(32, 1), 1000, () => now).verify(nonce).status).toBe('valid');
    expect(new NonceService(Buffer.alloc(32, 2), 1000, () => now).verify(nonce).status).toBe('invalid');
    now += 1001;
    expect(n.verify(nonce).status).toBe('stale');
  });

  it('remembers at most maxTracked nonce counts, forgetting the oldest', () => {
    const n = new NonceService(Buffer.alloc(32, 1), 300_000, Date.now, 2000);
    const nonces = Array.from({ length: 3000 }, () => n.issue());
    for (const x of nonces) expect(n.use(x, '00000001')).toBe('valid');
    expect((n as unknown as { used: Map<string, unknown> }).used.size).toBeLessThanOrEqual(2000);
    expect(n.use(nonces[2999]!, '00000001')).toBe('replayed');
  });

  it('counts a credential without qop as 1', () => {
    expect(nonceCount(undefined)).toBe(1);
    expect(nonceCount('0000000a')).toBe(10);
  });
});

describe('digestUriNamesServer (credentials computed over the address the client sent to)', () => {
  it('takes a URI without user naming a served domain or the local address, on the local port or none', () => {
    expect(digestUriNamesServer('sip:127.0.0.1:5060', ['contoso.com', '127.0.0.1'], 5060)).toBe(true);
    expect(digestUriNamesServer('sip:CONTOSO.com', ['contoso.com', '127.0.0.1'], 5060)).toBe(true);
    expect(digestUriNamesServer('sip:[::1]:5060', ['contoso.com', '::1'], 5060)).toBe(true);
  });
  it('refuses another host, another port, a user part, or no URI at all', () => {
    expect(digestUriNamesServer('sip:other.example:5060', ['contoso.com', '127.0.0.1'], 5060)).toBe(false);
    expect(digestUriNamesServer('sip:127.0.0.1:5070', ['contoso.com', '127.0.0.1'], 5060)).toBe(false);
    expect(digestUriNamesServer('sip:bob@contoso.com', ['contoso.com', '127.0.0.1'], 5060)).toBe(false);
    expect(digestUriNamesServer('not a uri', ['contoso.com'], 5060)).toBe(false);
  });
});
