import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { parseMessage, randomToken, serialize, serializeTextRequest, type SipHeader } from '../src/index.js';

const text = fc.string({ unit: fc.constantFrom(...'abc<>/="xé✓ \n'.split('')), maxLength: 200 });

describe('serialize', () => {
  it('replaces a given Content-Length, whatever its letter case, by the body\'s byte length', () => {
    const body = Buffer.from('<note>café ✓</note>', 'utf8');
    const bytes = serialize({ type: 'request', method: 'NOTIFY', uri: 'sip:a@b.com', headers: [{ name: 'CONTENT-length', value: '3' }, { name: 'Call-ID', value: 'x' }], body });
    const s = bytes.toString('utf8');
    expect(s).toBe(`NOTIFY sip:a@b.com SIP/2.0\r\nCall-ID: x\r\nContent-Length: ${body.length}\r\n\r\n<note>café ✓</note>`);
    expect(body.length).toBeGreaterThan('<note>café ✓</note>'.length); // multi-byte: bytes, not characters
  });

  it('writes a response with no body as its head alone', () => {
    expect(serialize({ type: 'response', status: 200, reason: 'OK', headers: [{ name: 'CSeq', value: '1 NOTIFY' }], body: Buffer.alloc(0) }).toString()).toBe('SIP/2.0 200 OK\r\nCSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n');
  });

  test.prop([text, fc.boolean()])('serializeTextRequest writes the same bytes as serialize with the text as UTF-8', (body, withLength) => {
    const headers: SipHeader[] = [{ name: 'Via', value: 'SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKx' }, ...(withLength ? [{ name: 'Content-Length', value: '99' }] : []), { name: 'CSeq', value: '7 NOTIFY' }];
    const a = serializeTextRequest('NOTIFY', 'sip:w@contoso.com', headers, body);
    expect(a.equals(serialize({ type: 'request', method: 'NOTIFY', uri: 'sip:w@contoso.com', headers, body: Buffer.from(body, 'utf8') }))).toBe(true);
    const parsed = parseMessage(a);
    expect(parsed.ok && parsed.value.body.toString('utf8')).toBe(body);
  });
});

describe('randomToken', () => {
  it('gives hex of twice the byte count, all distinct across many refills of its pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const t = randomToken(i % 2 === 0 ? 8 : 5);
      expect(t).toMatch(i % 2 === 0 ? /^[0-9a-f]{16}$/ : /^[0-9a-f]{10}$/);
      seen.add(t);
    }
    expect(seen.size).toBe(5000);
  });

  it('refuses a token longer than its pool', () => {
    expect(() => randomToken(5000)).toThrow(RangeError);
  });
});
