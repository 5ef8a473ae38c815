import { describe, expect, it } from 'vitest';
import { SaslError } from '../src/errors.js';
import { deriveScram, readClientFirst, ScramServer } from '../src/scram.js';

// The example exchanges of RFC 5802 §5 (SCRAM-SHA-1) and RFC 7677 §3 (SCRAM-SHA-256): user "user", password "pencil".
const VECTORS = [
  {
    h: 'SHA-1' as const,
    clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
    serverNonce: '3rfcNHYJY1ZVvWVs7j',
    salt: 'QSXCR+Q6sek8bf92',
    serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
    clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
  },
  {
    h: 'SHA-256' as const,
    clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
    serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
    serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  },
];

describe('SCRAM server (RFC 5802 §5, RFC 7677 §3)', () => {
  for (const v of VECTORS) {
    it(`MUST reproduce the RFC's SCRAM-${v.h} exchange byte for byte`, async () => {
      const creds = await deriveScram(v.h, 'pencil', Buffer.from(v.salt, 'base64'), 4096);
      const server = new ScramServer(v.h, creds, v.serverNonce);
      expect(server.first(readClientFirst(v.clientFirst), Buffer.alloc(16))).toBe(v.serverFirst);
      expect(server.final(v.clientFinal)).toBe(v.serverFinal);
    });

    it(`MUST refuse a wrong proof with not-authorized (SCRAM-${v.h})`, async () => {
      const creds = await deriveScram(v.h, 'not-pencil', Buffer.from(v.salt, 'base64'), 4096);
      const server = new ScramServer(v.h, creds, v.serverNonce);
      server.first(readClientFirst(v.clientFirst), Buffer.alloc(16));
      expect(() => server.final(v.clientFinal)).toThrow(expect.objectContaining({ condition: 'not-authorized' }));
    });
  }

  it('refuses channel binding, a bad GS2 header, a tampered nonce and an unknown user (made-up salt, fails only at the proof)', () => {
    expect(() => readClientFirst('p=tls-unique,,n=user,r=abc')).toThrow(SaslError);
    expect(() => readClientFirst('x,,n=user,r=abc')).toThrow(SaslError);
    expect(() => readClientFirst('n,,n=us=er,r=abc')).toThrow(SaslError);
    expect(readClientFirst('n,,n=a=2Cb=3Dc,r=abc').username).toBe('a,b=c');
    const unknown = new ScramServer('SHA-1', undefined, 'srv');
    const first = unknown.first(readClientFirst('n,,n=ghost,r=abc'), Buffer.from('0123456789abcdef'));
    expect(first).toBe(`r=abcsrv,s=${Buffer.from('0123456789abcdef').toString('base64')},i=4096`);
    expect(() => unknown.final(`c=biws,r=abcsrv,p=${Buffer.alloc(20).toString('base64')}`)).toThrow(expect.objectContaining({ condition: 'not-authorized' }));
    const known = new ScramServer('SHA-1', undefined, 'srv');
    known.first(readClientFirst('n,,n=ghost,r=abc'), Buffer.alloc(16));
    expect(() => known.final(`c=biws,r=abcOTHER,p=${Buffer.alloc(20).toString('base64')}`)).toThrow(expect.objectContaining({ condition: 'malformed-request' }));
  });
});
