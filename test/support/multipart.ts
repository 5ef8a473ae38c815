import { getHeader, type SipMessage } from '@presence/sip';

function boundaryOf(m: SipMessage): string {
  const ct = getHeader(m, 'Content-Type') ?? '';
  const boundary = /boundary=([^;\s]+)/.exec(ct)?.[1];
  if (!boundary) throw new Error(`not multipart: ${ct}`);
  return boundary;
}

function splitPart(chunk: string): { headers: Record<string, string>; body: string } {
  const [head, ...rest] = chunk.replace(/^\r\n/, '').split('\r\n\r\n');
  const headers = Object.fromEntries(head!.split('\r\n').map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { headers, body: rest.join('\r\n\r\n') };
}

/**
 * Splits a `multipart/related` SIP body into its parts (headers lower-cased, body) as RFC 2046 §5.1.1
 * reads it: the CRLF before each delimiter belongs to the delimiter. A body whose parts do not follow
 * that layout throws.
 */
export function parts(m: SipMessage): { headers: Record<string, string>; body: string }[] {
  const boundary = boundaryOf(m);
  const text = m.body.toString('utf8');
  if (!text.startsWith(`--${boundary}\r\n`) || !text.endsWith(`\r\n--${boundary}--\r\n`)) throw new Error(`multipart body not framed by its boundary: ${JSON.stringify(text.slice(0, 80))}`);
  return text
    .split(`\r\n--${boundary}`)
    .slice(0, -1)
    .map((chunk, i) => splitPart(i === 0 ? chunk.slice(`--${boundary}`.length) : chunk))
    .map((p) => ({ ...p, body: p.body.replace(/\r\n$/, '') }));
}

/**
 * The parts as libpurple's MIME parser (and so pidgin-sipe) reads them: it drops the four bytes
 * before each delimiter, expecting the part to end with CRLF CRLF as in Lync Server's output.
 */
export function libpurpleParts(m: SipMessage): string[] {
  const boundary = boundaryOf(m);
  const text = m.body.toString('utf8');
  const out: string[] = [];
  let at = text.indexOf(`--${boundary}`);
  while (at >= 0) {
    const next = text.indexOf(`--${boundary}`, at + boundary.length + 2);
    if (next < 0) break;
    out.push(splitPart(text.slice(at + boundary.length + 2, next - 4)).body);
    at = next;
  }
  return out;
}
