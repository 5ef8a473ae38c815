import { describe, expect, it } from 'vitest';
import { SIP_ERR, SipFramer, SipFramingError, type FrameEvent } from '../src/index.js';
import { msPresService, sip } from './support/messages.js';

const messages = (events: FrameEvent[]) => events.filter((e) => e.type === 'message').map((e) => (e as { bytes: Buffer }).bytes);

describe('stream framing (RFC 3261 §18.3)', () => {
  it('splits coalesced messages by Content-Length in bytes', () => {
    const a = msPresService();
    const b = sip(['OPTIONS sip:x@y SIP/2.0', 'l: 0']);
    const f = new SipFramer();
    const out = messages(f.push(Buffer.concat([a, b, a])));
    expect(out.map((m) => m.equals(a) || m.equals(b))).toEqual([true, true, true]);
    expect(out[1]!.equals(b)).toBe(true);
  });

  it('reassembles a message split at every byte', () => {
    const a = msPresService();
    const f = new SipFramer();
    const out: Buffer[] = [];
    for (let i = 0; i < a.length; i++) out.push(...messages(f.push(a.subarray(i, i + 1))));
    expect(out).toHaveLength(1);
    expect(out[0]!.equals(a)).toBe(true);
  });

  it('reports a CRLFCRLF keep-alive as a ping, also split, and ignores single CRLFs (RFC 5626 §3.5.1)', () => {
    const f = new SipFramer();
    expect(f.push(Buffer.from('\r\n'))).toEqual([]);
    expect(f.push(Buffer.from('\r\n'))).toEqual([{ type: 'ping' }]);
    const m = sip(['OPTIONS sip:x@y SIP/2.0', 'Content-Length: 0']);
    const ev = f.push(Buffer.concat([Buffer.from('\r\n\r\n\r\n\r\n'), m]));
    expect(ev.map((e) => e.type)).toEqual(['ping', 'ping', 'message']);
  });

  it('skips an over-limit body, reporting its headers for a 413, and stays in step', () => {
    const f = new SipFramer({ maxHeaderBytes: 4096, maxLineLength: 1024, maxHeaders: 50, maxBodyBytes: 100 });
    const big = sip(['SERVICE sip:x@y SIP/2.0', 'Content-Length: {cl}'], 'z'.repeat(1000));
    const next = sip(['OPTIONS sip:x@y SIP/2.0', 'Content-Length: 0']);
    const ev = [...f.push(big.subarray(0, 300)), ...f.push(Buffer.concat([big.subarray(300), next]))];
    expect(ev.map((e) => e.type)).toEqual(['too-large', 'message']);
    expect(ev[0]).toMatchObject({ contentLength: 1000 });
    expect((ev[1] as { bytes: Buffer }).bytes.equals(next)).toBe(true);
  });

  it.each([
    ['no Content-Length', sip(['OPTIONS sip:x@y SIP/2.0', 'Via: x']), SIP_ERR.FRAMING_CONTENT_LENGTH],
    ['a non-numeric Content-Length', sip(['OPTIONS sip:x@y SIP/2.0', 'Content-Length: ten']), SIP_ERR.FRAMING_CONTENT_LENGTH],
    ['conflicting Content-Lengths', sip(['OPTIONS sip:x@y SIP/2.0', 'Content-Length: 1', 'l: 2']), SIP_ERR.FRAMING_CONTENT_LENGTH],
  ])('fails the stream on %s', (_n, bytes, code) => {
    const f = new SipFramer();
    let e: unknown;
    try {
      f.push(bytes);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(SipFramingError);
    expect((e as SipFramingError).code).toBe(code);
  });

  it('fails a header block that never ends, without buffering past the limit (1 MB without CRLF)', () => {
    const f = new SipFramer();
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let e: unknown;
    let fed = 0;
    try {
      for (; fed < 16; fed++) f.push(chunk);
    } catch (x) {
      e = x;
    }
    expect((e as SipFramingError).code).toBe(SIP_ERR.LIMIT_HEADERS_TOO_LARGE);
    expect(fed).toBe(0);
  });
});
