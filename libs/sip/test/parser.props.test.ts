import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { parseMessage, serialize, SipFramer, SipFramingError, type SipHeader, type SipMessage } from '../src/index.js';
import { msPresService } from './support/messages.js';

const token = fc.stringMatching(/^[A-Za-z0-9\-.!%*_+`'~]{1,12}$/);
// Header values: printable, possibly UTF-8, no CR/LF, no leading/trailing whitespace.
const value = fc
  .string({ unit: fc.oneof(fc.constantFrom(...'abcXYZ019 ;,"<>@:=/\\é✓'.split('')), fc.constantFrom('é', 'ü', '✓')), maxLength: 40 })
  .map((s) => s.trim());
const headerName = fc.oneof(token.filter((t) => t.toLowerCase() !== 'content-length' && t.toLowerCase() !== 'l'), fc.constantFrom('i', 'f', 't', 'v', 'k', 'o', 'u', 'Via', 'CSeq', 'Supported'));
const header = fc.record({ name: headerName, value });
const body = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));

const request = fc.record({
  type: fc.constant('request' as const),
  method: token,
  uri: fc.stringMatching(/^sip:[a-z0-9]{1,8}@[a-z]{1,8}\.com(;[a-z]{1,5}=[a-z0-9]{1,5})?$/),
  headers: fc.array(header, { maxLength: 12 }),
  body,
});
const response = fc.record({
  type: fc.constant('response' as const),
  status: fc.integer({ min: 100, max: 699 }),
  reason: fc.stringMatching(/^[A-Za-z ]{0,20}$/),
  headers: fc.array(header, { maxLength: 12 }),
  body,
});
const message: fc.Arbitrary<SipMessage> = fc.oneof(request, response);

function reparse(bytes: Buffer): SipMessage {
  const r = parseMessage(bytes);
  if (!r.ok) throw r.error;
  return r.value;
}

describe('parser properties', () => {
  test.prop([message])('serialize then parse gives the message back (names canonical, Content-Length added)', (m) => {
    const once = reparse(serialize(m));
    expect(once.body.equals(m.body)).toBe(true);
    expect(once.headers.filter((h: SipHeader) => h.name !== 'Content-Length').map((h) => h.value)).toEqual(m.headers.map((h) => h.value));
    // Parsing and serializing again is the identity.
    expect(serialize(reparse(serialize(once))).equals(serialize(once))).toBe(true);
  });

  test.prop([fc.uint8Array({ maxLength: 2000 })])('arbitrary bytes never throw: the parser answers a result', (bytes) => {
    const r = parseMessage(Buffer.from(bytes), { datagram: true });
    if (!r.ok) expect(r.error.status).toBeGreaterThanOrEqual(400);
  });

  test.prop([fc.array(fc.tuple(fc.nat({ max: msPresService().length }), fc.integer({ min: 0, max: 255 })), { maxLength: 20 })])(
    'mutated real messages never throw anything but SipFramingError from the framer',
    (flips) => {
      const bytes = Buffer.from(msPresService());
      for (const [i, b] of flips) if (i < bytes.length) bytes[i] = b;
      const f = new SipFramer();
      try {
        for (const e of f.push(bytes)) if (e.type === 'message') parseMessage(e.bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(SipFramingError);
      }
    },
  );

  test.prop([fc.array(message, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 30 })])(
    'any split of a stream yields the same messages',
    (msgs, cuts) => {
      const stream = Buffer.concat(msgs.map(serialize));
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      const f = new SipFramer();
      const got: Buffer[] = [];
      let prev = 0;
      for (const p of [...points, stream.length]) {
        for (const e of f.push(stream.subarray(prev, p))) if (e.type === 'message') got.push(e.bytes);
        prev = p;
      }
      expect(got.map((b) => b.toString('hex'))).toEqual(msgs.map((m) => serialize(m).toString('hex')));
    },
  );
});
