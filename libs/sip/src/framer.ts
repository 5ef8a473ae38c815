import { SIP_ERR, SipFramingError } from './errors.js';
import { DEFAULT_LIMITS, type SipLimits } from './limits.js';

/** What the framer found in the stream. */
export type FrameEvent =
  /** One complete message (start line through body), ready for {@link parseMessage}. */
  | { readonly type: 'message'; readonly bytes: Buffer }
  /** A CRLFCRLF keep-alive ping (RFC 5626 §3.5.1): answer with a single CRLF. */
  | { readonly type: 'ping' }
  /**
   * A message whose declared body is over the limit: the headers are given so a 413 can be sent;
   * the body is skipped without being kept, and the stream stays in step.
   */
  | { readonly type: 'too-large'; readonly head: Buffer; readonly contentLength: number };

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CL_LINE = /^(?:content-length|l)[ \t]*:[ \t]*(\S*)[ \t]*$/i;

/**
 * Splits a TCP/TLS byte stream into SIP messages by Content-Length, counted in bytes.
 * Same shape as the NATS client's parser: a state machine fed chunks, copying only when a message is
 * split across chunks, and jumping over bodies instead of scanning them. A framing error (no or bad
 * Content-Length, headers over the limit) cannot be recovered from: the caller closes the connection.
 */
export class SipFramer {
  private buf: Buffer = Buffer.alloc(0);
  private scanFrom = 0;
  private skip = 0;
  private dead = false;

  constructor(private readonly limits: SipLimits = DEFAULT_LIMITS) {}

  /** Feeds a chunk; returns what completed. Throws {@link SipFramingError} when the stream is broken. */
  push(chunk: Buffer): FrameEvent[] {
    if (this.dead) throw new SipFramingError(SIP_ERR.FRAMING_CONTENT_LENGTH, 'stream already failed');
    if (this.skip > 0) {
      const n = Math.min(this.skip, chunk.length);
      this.skip -= n;
      chunk = chunk.subarray(n);
    }
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const events: FrameEvent[] = [];
    try {
      this.drain(events);
    } catch (e) {
      this.dead = true;
      throw e;
    }
    // Keep what is left on its own, so a huge chunk's consumed part can be freed.
    if (this.buf.length > 0 && this.buf.byteOffset > 0) this.buf = Buffer.from(this.buf);
    return events;
  }

  private drain(events: FrameEvent[]): void {
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.buf.length);
        this.skip -= n;
        this.buf = this.buf.subarray(n);
        if (this.skip > 0) return;
      }
      // Leading CRLFs: a double one is a keep-alive ping; single ones are ignored (§7.5).
      while (this.buf.length >= 2 && this.buf[0] === 0x0d && this.buf[1] === 0x0a) {
        if (this.buf.length >= 4 && this.buf[2] === 0x0d && this.buf[3] === 0x0a) {
          events.push({ type: 'ping' });
          this.buf = this.buf.subarray(4);
        } else if (this.buf.length >= 3) {
          this.buf = this.buf.subarray(2);
        } else {
          return; // "\r\n" alone: maybe the first half of a ping
        }
      }
      if (this.buf.length === 0) return;
      const end = this.buf.indexOf(CRLFCRLF, this.scanFrom);
      if (end < 0) {
        if (this.buf.length > this.limits.maxHeaderBytes) {
          throw new SipFramingError(SIP_ERR.LIMIT_HEADERS_TOO_LARGE, `no end of headers within ${this.limits.maxHeaderBytes} bytes`);
        }
        this.scanFrom = Math.max(0, this.buf.length - 3);
        return;
      }
      this.scanFrom = 0;
      if (end > this.limits.maxHeaderBytes) {
        throw new SipFramingError(SIP_ERR.LIMIT_HEADERS_TOO_LARGE, `header block over ${this.limits.maxHeaderBytes} bytes`);
      }
      const headEnd = end + 4;
      const contentLength = this.contentLength(this.buf.subarray(0, end));
      if (contentLength > this.limits.maxBodyBytes) {
        events.push({ type: 'too-large', head: Buffer.from(this.buf.subarray(0, headEnd)), contentLength });
        this.buf = this.buf.subarray(headEnd);
        this.skip = contentLength;
        continue;
      }
      const total = headEnd + contentLength;
      if (this.buf.length < total) return;
      events.push({ type: 'message', bytes: Buffer.from(this.buf.subarray(0, total)) });
      this.buf = this.buf.subarray(total);
    }
  }

  /** Content-Length from the raw header block; required on streams (RFC 3261 §18.3). */
  private contentLength(head: Buffer): number {
    let found: number | undefined;
    for (const line of head.toString('latin1').split('\r\n')) {
      const m = CL_LINE.exec(line);
      if (!m) continue;
      if (!/^\d{1,10}$/.test(m[1]!)) throw new SipFramingError(SIP_ERR.FRAMING_CONTENT_LENGTH, `bad Content-Length ${JSON.stringify(m[1])}`);
      const n = Number(m[1]);
      if (found !== undefined && found !== n) throw new SipFramingError(SIP_ERR.FRAMING_CONTENT_LENGTH, 'conflicting Content-Length headers');
      found = n;
    }
    if (found === undefined) throw new SipFramingError(SIP_ERR.FRAMING_CONTENT_LENGTH, 'Content-Length is required on stream transports');
    return found;
  }
}
