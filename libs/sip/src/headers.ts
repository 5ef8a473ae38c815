import type { SipHeader, SipMessage } from './message.js';

/** RFC 3261 §7.3.3 compact forms, plus those of the event, refer and caller-prefs extensions. */
const COMPACT_FORMS: Readonly<Record<string, string>> = {
  i: 'Call-ID',
  m: 'Contact',
  e: 'Content-Encoding', // not "contact-encoding", as some stacks have it
  l: 'Content-Length',
  c: 'Content-Type',
  f: 'From',
  s: 'Subject',
  k: 'Supported',
  t: 'To',
  v: 'Via',
  o: 'Event', // RFC 6665
  u: 'Allow-Events', // RFC 6665
  r: 'Refer-To', // RFC 3515
  b: 'Referred-By', // RFC 3892
  x: 'Session-Expires', // RFC 4028
  a: 'Accept-Contact', // RFC 3841
  j: 'Reject-Contact',
  d: 'Request-Disposition',
};

// A Map, not the object: a header named "constructor" must not find Object.prototype.constructor.
const COMPACT = new Map(Object.entries(COMPACT_FORMS));

const KNOWN = [
  'Accept',
  'Accept-Contact',
  'Accept-Encoding',
  'Accept-Language',
  'Allow',
  'Allow-Events',
  'Authentication-Info',
  'Authorization',
  'Call-ID',
  'Contact',
  'Content-Disposition',
  'Content-Encoding',
  'Content-Length',
  'Content-Type',
  'CSeq',
  'Date',
  'Event',
  'Expires',
  'From',
  'Max-Forwards',
  'Min-Expires',
  'ms-diagnostics',
  'Path',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Proxy-Require',
  'Record-Route',
  'Refer-To',
  'Referred-By',
  'Reject-Contact',
  'Request-Disposition',
  'Require',
  'Retry-After',
  'Route',
  'Server',
  'Session-Expires',
  'Subject',
  'Subscription-State',
  'Supported',
  'To',
  'Unsupported',
  'User-Agent',
  'Via',
  'Warning',
  'WWW-Authenticate',
];
const CANONICAL = new Map(KNOWN.map((n) => [n.toLowerCase(), n]));

/** The canonical spelling of a header name: compact forms expanded, known names as the RFCs write them. */
export function canonicalName(name: string): string {
  const l = name.toLowerCase();
  return COMPACT.get(l) ?? CANONICAL.get(l) ?? name;
}

/**
 * Headers whose values are comma-separated lists (RFC 3261 §7.3.1). Only these are split: the
 * authentication headers carry commas inside their parameters and must never be.
 */
const LIST_HEADERS = new Set(
  [
    'Accept',
    'Accept-Encoding',
    'Accept-Language',
    'Allow',
    'Allow-Events',
    'Contact',
    'Content-Encoding',
    'Path',
    'Proxy-Require',
    'Record-Route',
    'Require',
    'Route',
    'Supported',
    'Unsupported',
    'Via',
  ].map((n) => n.toLowerCase()),
);

/**
 * Splits a list value at commas that are outside quoted strings and `<...>`.
 * `a, "b,c" <sip:x,y>;p=1` gives `a` and `"b,c" <sip:x,y>;p=1`.
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let depthAngle = 0;
  let inQuote = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (inQuote) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuote = false;
    } else if (ch === '"') inQuote = true;
    else if (ch === '<') depthAngle++;
    else if (ch === '>') depthAngle = Math.max(0, depthAngle - 1);
    else if (ch === ',' && depthAngle === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((v) => v.length > 0);
}

/** The first value of header `name` (case-insensitive, compact forms accepted), or undefined. */
export function getHeader(msg: Pick<SipMessage, 'headers'>, name: string): string | undefined {
  const c = canonicalName(name);
  // The parser and every builder here write canonical names: an exact match first, without a
  // lower-cased copy of each name (this runs several times per message); then any spelling.
  for (const h of msg.headers) if (h.name === c) return h.value;
  const n = c.toLowerCase();
  return msg.headers.find((h) => h.name.toLowerCase() === n)?.value;
}

/** Every value of header `name`: each occurrence, and for list headers each list element. */
export function getHeaders(msg: Pick<SipMessage, 'headers'>, name: string): string[] {
  const n = canonicalName(name).toLowerCase();
  const occurrences = msg.headers.filter((h) => h.name.toLowerCase() === n).map((h) => h.value);
  return LIST_HEADERS.has(n) ? occurrences.flatMap(splitList) : occurrences;
}

/** Option tags of Supported / Require / Proxy-Require, lower-cased. */
export function optionTags(msg: Pick<SipMessage, 'headers'>, name: 'Supported' | 'Require' | 'Proxy-Require'): Set<string> {
  return new Set(getHeaders(msg, name).map((t) => t.toLowerCase()));
}

/** A copy of `headers` without header `name`. */
export function withoutHeader(headers: readonly SipHeader[], name: string): SipHeader[] {
  const n = canonicalName(name).toLowerCase();
  return headers.filter((h) => h.name.toLowerCase() !== n);
}
