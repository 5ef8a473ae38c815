import { err, ok, SIP_ERR, SipParseError, type Result } from './errors.js';
import { canonicalName, getHeader } from './headers.js';
import { DEFAULT_LIMITS, type SipLimits } from './limits.js';
import type { SipHeader, SipMessage, SipRequest } from './message.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
/** A control character other than tab, or a CR or LF that is not part of a CRLF line end. */
const CONTROL = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;

export interface ParseOptions {
  /** UDP: without Content-Length the body runs to the end of the datagram (RFC 3261 §18.3). */
  datagram?: boolean;
  limits?: SipLimits;
}

const fail = (code: (typeof SIP_ERR)[keyof typeof SIP_ERR], message: string) => err(new SipParseError(code, message));

/**
 * Parses one complete message: a framed stream message or a whole datagram. Never throws for bad
 * input: every problem comes back as a {@link SipParseError} whose `status` is the response it deserves.
 */
export function parseMessage(bytes: Buffer, opts: ParseOptions = {}): Result<SipMessage, SipParseError> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  // RFC 3261 §7.5: implementations SHOULD ignore CRLFs before the start line.
  let start = 0;
  while (start + 1 < bytes.length && bytes[start] === 0x0d && bytes[start + 1] === 0x0a) start += 2;
  const end = bytes.indexOf(CRLFCRLF, start);
  if (end < 0) {
    if (bytes.length - start > limits.maxHeaderBytes) return fail(SIP_ERR.LIMIT_HEADERS_TOO_LARGE, 'header block too large');
    return fail(SIP_ERR.PARSE_HEADER, 'no blank line after the headers');
  }
  if (end - start > limits.maxHeaderBytes) return fail(SIP_ERR.LIMIT_HEADERS_TOO_LARGE, `header block over ${limits.maxHeaderBytes} bytes`);
  let head: string;
  try {
    head = utf8.decode(bytes.subarray(start, end));
  } catch {
    return fail(SIP_ERR.PARSE_ENCODING, 'header block is not UTF-8');
  }

  const rawLines = head.split('\r\n');
  const startLine = rawLines[0]!;
  if (startLine.length > limits.maxLineLength) return fail(SIP_ERR.LIMIT_LINE_TOO_LONG, 'start line too long');

  // Unfold continuation lines (RFC 3261 §7.3.1: a line starting with whitespace continues the previous one).
  const lines: string[] = [];
  for (const l of rawLines.slice(1)) {
    if ((l.startsWith(' ') || l.startsWith('\t')) && lines.length > 0) lines[lines.length - 1] += ` ${l.trim()}`;
    else lines.push(l);
    if (lines[lines.length - 1]!.length > limits.maxLineLength) return fail(SIP_ERR.LIMIT_LINE_TOO_LONG, `header line over ${limits.maxLineLength} bytes`);
  }
  if (lines.length > limits.maxHeaders) return fail(SIP_ERR.LIMIT_TOO_MANY_HEADERS, `more than ${limits.maxHeaders} headers`);
  if (CONTROL.test(head)) return fail(SIP_ERR.PARSE_HEADER, 'control characters in the headers');

  const headers: SipHeader[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) return fail(SIP_ERR.PARSE_HEADER, `header line without a name: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trimEnd();
    if (!TOKEN.test(name)) return fail(SIP_ERR.PARSE_HEADER, `bad header name ${JSON.stringify(name.slice(0, 80))}`);
    headers.push({ name: canonicalName(name), value: line.slice(colon + 1).trim() });
  }

  const bodyStart = end + 4;
  const available = bytes.length - bodyStart;
  const cls = headers.filter((h) => h.name === 'Content-Length').map((h) => h.value);
  let bodyLength = available;
  if (cls.length > 0) {
    if (!cls.every((v) => /^\d{1,10}$/.test(v)) || new Set(cls.map(Number)).size > 1) {
      return fail(SIP_ERR.FRAMING_CONTENT_LENGTH, `bad Content-Length ${JSON.stringify(cls.join(', '))}`);
    }
    bodyLength = Number(cls[0]);
    // Bytes beyond Content-Length are discarded (RFC 3261 §18.3); fewer is a truncated message.
    if (bodyLength > available) return fail(SIP_ERR.PARSE_TRUNCATED_BODY, `Content-Length ${bodyLength} but only ${available} body bytes`);
  } else if (!opts.datagram && available > 0) {
    return fail(SIP_ERR.FRAMING_CONTENT_LENGTH, 'Content-Length is required on stream transports');
  }
  if (bodyLength > limits.maxBodyBytes) return fail(SIP_ERR.LIMIT_BODY_TOO_LARGE, `body of ${bodyLength} bytes is over ${limits.maxBodyBytes}`);
  const body = Buffer.from(bytes.subarray(bodyStart, bodyStart + bodyLength));

  if (startLine.startsWith('SIP/')) {
    const m = /^SIP\/(\d+\.\d+) ([1-6]\d\d) (.*)$/.exec(startLine);
    if (!m) return fail(SIP_ERR.PARSE_START_LINE, `bad status line ${JSON.stringify(startLine.slice(0, 80))}`);
    if (m[1] !== '2.0') return fail(SIP_ERR.PARSE_VERSION, `SIP version ${m[1]} not supported`);
    return ok({ type: 'response', status: Number(m[2]), reason: m[3]!, headers, body });
  }
  const m = /^([^ ]+) ([^ ]+) SIP\/(\d+\.\d+)$/.exec(startLine);
  if (!m || !TOKEN.test(m[1]!)) return fail(SIP_ERR.PARSE_START_LINE, `bad request line ${JSON.stringify(startLine.slice(0, 80))}`);
  if (m[3] !== '2.0') return fail(SIP_ERR.PARSE_VERSION, `SIP version ${m[3]} not supported`);
  return ok({ type: 'request', method: m[1]!, uri: m[2]!, headers, body });
}

/**
 * The checks RFC 3261 §8.2 makes before a request is processed: the mandatory headers are present
 * and CSeq names the request's method. Returns the problem, or undefined when the request is sound.
 */
export function checkRequest(req: SipRequest): SipParseError | undefined {
  for (const h of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    if (getHeader(req, h) === undefined) return new SipParseError(SIP_ERR.PARSE_MISSING_HEADER, `missing ${h} header`);
  }
  const cseq = /^(\d{1,10})\s+(\S+)$/.exec(getHeader(req, 'CSeq')!);
  if (!cseq || Number(cseq[1]) > 2 ** 31 - 1) return new SipParseError(SIP_ERR.PARSE_BAD_HEADER_VALUE, 'bad CSeq');
  if (cseq[2] !== req.method) return new SipParseError(SIP_ERR.PARSE_BAD_HEADER_VALUE, 'CSeq method does not match the request method');
  const mf = getHeader(req, 'Max-Forwards');
  if (mf !== undefined && !/^\d{1,3}$/.test(mf)) return new SipParseError(SIP_ERR.PARSE_BAD_HEADER_VALUE, 'bad Max-Forwards');
  const exp = getHeader(req, 'Expires');
  if (exp !== undefined && !/^\d{1,10}$/.test(exp)) return new SipParseError(SIP_ERR.PARSE_BAD_HEADER_VALUE, 'bad Expires');
  return undefined;
}

/** CSeq number and method of a message known to have a valid CSeq. */
export function cseqOf(msg: SipMessage): { seq: number; method: string } {
  const [seq, method] = (getHeader(msg, 'CSeq') ?? '0 ?').trim().split(/\s+/);
  return { seq: Number(seq), method: method ?? '' };
}
