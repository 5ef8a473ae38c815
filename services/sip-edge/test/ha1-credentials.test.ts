import { ha1For, type UserEntry } from '@presence/runtime';
import { digestResponse, type DigestAlgorithm } from '@presence/sip';
import { describe, expect, it } from 'vitest';
import { credentialsMatch } from '../src/authenticator.js';

const cred = (username: string, password: string, algorithm: DigestAlgorithm) => {
  const c = { username, realm: 'contoso.com', nonce: 'n', uri: 'sip:contoso.com', algorithm, qop: 'auth', nc: '00000001', cnonce: 'c' };
  return { ...c, response: digestResponse(c, 'REGISTER', password) };
};

describe('the edge checks digest against HA1 values (issue 15)', () => {
  const stored: UserEntry = { aor: 'sip:alice@contoso.com', ...ha1For('sip:alice@contoso.com', 'contoso.com', 'pw') };

  it('accepts `alice` (ha1) and `alice@contoso.com` (ha1b) for MD5 and SHA-256, refuses a wrong password', () => {
    for (const algorithm of ['MD5', 'SHA-256'] as const) {
      expect(credentialsMatch(cred('alice', 'pw', algorithm), 'REGISTER', stored)).toBe(true);
      expect(credentialsMatch(cred('alice@contoso.com', 'pw', algorithm), 'REGISTER', stored)).toBe(true);
      expect(credentialsMatch(cred('alice', 'pw2', algorithm), 'REGISTER', stored)).toBe(false);
    }
  });

  it('refuses an algorithm for which no HA1 is stored, and a user with no secret at all', () => {
    const md5Only: UserEntry = { aor: stored.aor, ha1: { MD5: stored.ha1!.MD5! } };
    expect(credentialsMatch(cred('alice', 'pw', 'MD5'), 'REGISTER', md5Only)).toBe(true);
    expect(credentialsMatch(cred('alice', 'pw', 'SHA-256'), 'REGISTER', md5Only)).toBe(false);
    expect(credentialsMatch(cred('alice@contoso.com', 'pw', 'MD5'), 'REGISTER', md5Only)).toBe(false);
    expect(credentialsMatch(cred('alice', 'pw', 'MD5'), 'REGISTER', { aor: stored.aor })).toBe(false);
  });
});
