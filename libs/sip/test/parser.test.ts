import { describe, expect, it } from 'vitest';
import {
  checkRequest,
  getHeader,
  getHeaders,
  optionTags,
  parseMessage,
  serialize,
  SIP_ERR,
  type SipMessage,
  type SipRequest,
} from '../src/index.js';
import { msPresService, PUBLISH_BODY, sip } from './support/messages.js';

function parsed(bytes: Buffer, datagram = false): SipMessage {
  const r = parseMessage(bytes, { datagram });
  if (!r.ok) throw r.error;
  return r.value;
}

describe('RFC 3261 §7 message parsing', () => {
  it('parses an MS-PRES SERVICE request ([MS-PRES] §4.2.1) with a UTF-8 body counted in bytes', () => {
    const m = parsed(msPresService()) as SipRequest;
    expect(m).toMatchObject({ type: 'request', method: 'SERVICE', uri: 'sip:bob@contoso.com' });
    expect(getHeader(m, 'from')).toBe('<sip:bob@contoso.com>;tag=b5410171e2;epid=84d3db8c23');
    expect(getHeader(m, 'Content-Type')).toBe('application/msrtc-category-publish+xml');
    expect(m.body.toString('utf8')).toBe(PUBLISH_BODY);
    expect(Number(getHeader(m, 'Content-Length'))).toBe(Buffer.byteLength(PUBLISH_BODY));
    expect(Buffer.byteLength(PUBLISH_BODY)).toBeGreaterThan(PUBLISH_BODY.length); // multi-byte characters
    expect(checkRequest(m)).toBeUndefined();
  });

  it('parses a response status line', () => {
    const m = parsed(sip(['SIP/2.0 401 Unauthorized', 'Via: SIP/2.0/TCP h;branch=z9hG4bK1', 'Content-Length: 0']));
    expect(m).toMatchObject({ type: 'response', status: 401, reason: 'Unauthorized' });
  });

  it.each([
    ['i', 'Call-ID'],
    ['m', 'Contact'],
    ['e', 'Content-Encoding'],
    ['l', 'Content-Length'],
    ['c', 'Content-Type'],
    ['f', 'From'],
    ['s', 'Subject'],
    ['k', 'Supported'],
    ['t', 'To'],
    ['v', 'Via'],
    ['o', 'Event'],
    ['u', 'Allow-Events'],
  ])('expands the compact form %s to %s (RFC 3261 §7.3.3, RFC 6665)', (compact, full) => {
    const value = full === 'Content-Length' ? '0' : 'x';
    const m = parsed(sip(['OPTIONS sip:x@y SIP/2.0', `${compact}: ${value}`]), true);
    expect(m.headers).toEqual([{ name: full, value }]);
  });

  it('keeps header names that are Object.prototype properties as they are', () => {
    const m = parsed(sip(['OPTIONS sip:x@y SIP/2.0', 'constructor: a', '__proto__: b', 'Content-Length: 0']));
    expect(m.headers.slice(0, 2)).toEqual([
      { name: 'constructor', value: 'a' },
      { name: '__proto__', value: 'b' },
    ]);
  });

  it('unfolds continuation lines (RFC 3261 §7.3.1)', () => {
    const m = parsed(sip(['OPTIONS sip:x@y SIP/2.0', 'Subject: I know you are there,', '     pick up the phone', '\tplease', 'Content-Length: 0']));
    expect(getHeader(m, 'Subject')).toBe('I know you are there, pick up the phone please');
  });

  it('splits list headers at commas outside quotes and angle brackets, repeated or not', () => {
    const m = parsed(
      sip([
        'OPTIONS sip:x@y SIP/2.0',
        'Contact: "Doe, John" <sip:j@x;a=1,2>;q=0.5, <sip:k@y>',
        'Contact: sip:l@z',
        'Supported: ms-benotify, ms-piggyback-first-notify',
        'Supported: msrtc-event-categories',
        'Content-Length: 0',
      ]),
    );
    expect(getHeaders(m, 'Contact')).toEqual(['"Doe, John" <sip:j@x;a=1,2>;q=0.5', '<sip:k@y>', 'sip:l@z']);
    expect([...optionTags(m, 'Supported')]).toEqual(['ms-benotify', 'ms-piggyback-first-notify', 'msrtc-event-categories']);
  });

  it('never splits authentication headers, whose parameters contain commas', () => {
    const auth = 'NTLM qop="auth", realm="SIP Communications Service", opaque="B1E794AB", crand="a9c657de"';
    const m = parsed(sip(['OPTIONS sip:x@y SIP/2.0', `Proxy-Authorization: ${auth}`, 'Content-Length: 0']));
    expect(getHeaders(m, 'Proxy-Authorization')).toEqual([auth]);
  });

  it('refuses control characters and lone CR or LF in the headers, and accepts a tab', () => {
    const head = (value: string) => Buffer.from(`OPTIONS sip:a@b.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nSubject: ${value}\r\nContent-Length: 0\r\n\r\n`, 'utf8');
    for (const bad of ['a\u0000b', 'a\rb', 'a\nb', 'a\r\rb', 'a\u007fb', 'a\u001bb']) {
      const r = parseMessage(head(bad));
      expect(r.ok ? undefined : r.error.code).toBe(SIP_ERR.PARSE_HEADER);
    }
    expect(getHeader(parsed(head('a\tb')), 'Subject')).toBe('a\tb');
  });

  it('ignores CRLFs before the start line (RFC 3261 §7.5)', () => {
    const m = parsed(Buffer.concat([Buffer.from('\r\n\r\n'), sip(['OPTIONS sip:x@y SIP/2.0', 'Content-Length: 0'])]));
    expect(m.type).toBe('request');
  });

  it('on UDP, takes the rest of the datagram as the body when Content-Length is absent and discards bytes beyond it', () => {
    const noCl = parsed(sip(['MESSAGE sip:x@y SIP/2.0'], 'hello'), true);
    expect(noCl.body.toString()).toBe('hello');
    const extra = parsed(sip(['MESSAGE sip:x@y SIP/2.0', 'Content-Length: 3'], 'hello'), true);
    expect(extra.body.toString()).toBe('hel');
  });

  it.each([
    ['a garbage start line', sip(['HELLO', 'Content-Length: 0']), SIP_ERR.PARSE_START_LINE, 400],
    ['a header without a colon', sip(['OPTIONS sip:x@y SIP/2.0', 'Broken header', 'Content-Length: 0']), SIP_ERR.PARSE_HEADER, 400],
    ['SIP/3.0', sip(['OPTIONS sip:x@y SIP/3.0', 'Content-Length: 0']), SIP_ERR.PARSE_VERSION, 505],
    ['a body shorter than Content-Length', sip(['OPTIONS sip:x@y SIP/2.0', 'Content-Length: 50'], 'short'), SIP_ERR.PARSE_TRUNCATED_BODY, 400],
    ['a negative Content-Length', sip(['OPTIONS sip:x@y SIP/2.0', 'Content-Length: -1']), SIP_ERR.FRAMING_CONTENT_LENGTH, 400],
    ['conflicting Content-Lengths', sip(['OPTIONS sip:x@y SIP/2.0', 'Content-Length: 1', 'l: 2'], 'ab'), SIP_ERR.FRAMING_CONTENT_LENGTH, 400],
    ['a NUL in a header', sip(['OPTIONS sip:x@y SIP/2.0', 'Subject: a\u0000b', 'Content-Length: 0']), SIP_ERR.PARSE_HEADER, 400],
    ['no blank line', Buffer.from('OPTIONS sip:x@y SIP/2.0\r\nContent-Length: 0\r\n'), SIP_ERR.PARSE_HEADER, 400],
    ['invalid UTF-8 in the headers', Buffer.concat([Buffer.from('OPTIONS sip:x@y SIP/2.0\r\nSubject: '), Buffer.from([0xff, 0xfe]), Buffer.from('\r\n\r\n')]), SIP_ERR.PARSE_ENCODING, 400],
  ])('refuses %s with the matching code and status', (_name, bytes, code, status) => {
    const r = parseMessage(bytes, { datagram: true });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.status).toBe(status);
    }
  });

  it('enforces the hard limits: line length, header count, header block and body size', () => {
    const limits = { maxHeaderBytes: 2048, maxLineLength: 100, maxHeaders: 5, maxBodyBytes: 10 };
    const code = (b: Buffer) => {
      const r = parseMessage(b, { limits, datagram: true });
      return r.ok ? 'ok' : r.error.code;
    };
    expect(code(sip(['OPTIONS sip:x@y SIP/2.0', `Subject: ${'a'.repeat(200)}`]))).toBe(SIP_ERR.LIMIT_LINE_TOO_LONG);
    expect(code(sip(['OPTIONS sip:x@y SIP/2.0', ...Array.from({ length: 6 }, (_, i) => `X-${i}: v`)]))).toBe(SIP_ERR.LIMIT_TOO_MANY_HEADERS);
    expect(code(sip(['OPTIONS sip:x@y SIP/2.0', ...Array.from({ length: 4 }, () => `X: ${'a'.repeat(90)}`), `Y: ${'b'.repeat(90)}`]).subarray(0, 3000))).toBe('ok');
    expect(code(Buffer.from(`OPTIONS sip:x@y SIP/2.0\r\n${'X: y\r\n'.repeat(500)}`))).toBe(SIP_ERR.LIMIT_HEADERS_TOO_LARGE);
    const big = parseMessage(sip(['OPTIONS sip:x@y SIP/2.0', 'Content-Length: {cl}'], 'x'.repeat(11)), { limits });
    expect(big.ok ? 0 : big.error.status).toBe(413);
  });

  it('checks the mandatory request headers and CSeq (RFC 3261 §8.2)', () => {
    const base = ['Via: SIP/2.0/TCP h;branch=z9hG4bK1', 'From: <sip:a@b>;tag=1', 'To: <sip:a@b>', 'Call-ID: c', 'CSeq: 1 OPTIONS'];
    const check = (lines: string[]) => checkRequest(parsed(sip(['OPTIONS sip:a@b SIP/2.0', ...lines, 'Content-Length: 0'])) as SipRequest)?.message;
    expect(check(base)).toBeUndefined();
    expect(check(base.filter((l) => !l.startsWith('Call-ID')))).toBe('missing Call-ID header');
    expect(check(base.map((l) => (l.startsWith('CSeq') ? 'CSeq: 1 INVITE' : l)))).toBe('CSeq method does not match the request method');
    expect(check(base.map((l) => (l.startsWith('CSeq') ? 'CSeq: x OPTIONS' : l)))).toBe('bad CSeq');
    expect(check([...base, 'Expires: soon'])).toBe('bad Expires');
  });
});

describe('serializer', () => {
  it('round-trips the MS-PRES example, writing canonical names and a byte Content-Length', () => {
    const m = parsed(msPresService());
    const again = serialize(m);
    expect(again.equals(msPresService())).toBe(true);
  });

  it('replaces a wrong Content-Length with the body’s byte length', () => {
    const out = serialize({ type: 'response', status: 200, reason: 'OK', headers: [{ name: 'Content-Length', value: '999' }], body: Buffer.from('é') });
    expect(out.toString()).toBe('SIP/2.0 200 OK\r\nContent-Length: 2\r\n\r\né');
  });
});
