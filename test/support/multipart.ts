import { getHeader, type SipMessage } from '@presence/sip';

/** Splits a `multipart/related` SIP body into its parts (headers lower-cased, body). */
export function parts(m: SipMessage): { headers: Record<string, string>; body: string }[] {
  const ct = getHeader(m, 'Content-Type') ?? '';
  const boundary = /boundary=([^;\s]+)/.exec(ct)?.[1];
  if (!boundary) throw new Error(`not multipart: ${ct}`);
  const text = m.body.toString('utf8');
  return text
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((chunk) => {
      const [head, ...rest] = chunk.replace(/^\r\n/, '').split('\r\n\r\n');
      const headers = Object.fromEntries(head!.split('\r\n').map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      return { headers, body: rest.join('\r\n\r\n').replace(/\r\n$/, '') };
    });
}
