import type { SipHeader, SipMessage } from './message.js';

/** True for a Content-Length header in any letter case (the length check first: this runs per header of every message sent). */
const isContentLength = (name: string): boolean => name.length === 14 && name.toLowerCase() === 'content-length';

/** Start line, headers (a given Content-Length left out), Content-Length `bodyBytes`, blank line. */
function headText(startLine: string, headers: readonly SipHeader[], bodyBytes: number): string {
  let text = `${startLine}\r\n`;
  for (const h of headers) if (!isContentLength(h.name)) text += `${h.name}: ${h.value}\r\n`;
  return `${text}Content-Length: ${bodyBytes}\r\n\r\n`;
}

/**
 * Writes a message: start line, headers in order under their canonical names, Content-Length
 * computed from the body's byte length (any given one is replaced), blank line, body. One string
 * and one buffer per message: this runs for every NOTIFY and response sent (issue 13).
 */
export function serialize(msg: SipMessage): Buffer {
  const head = headText(msg.type === 'request' ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`, msg.headers, msg.body.length);
  if (msg.body.length === 0) return Buffer.from(head, 'utf8');
  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLength + msg.body.length);
  out.write(head, 0, 'utf8');
  msg.body.copy(out, headLength);
  return out;
}

/**
 * A request whose body is text (a NOTIFY's XML), written as {@link serialize} would write it with
 * that text as UTF-8, but built as one string and encoded once (no body buffer to copy).
 */
export function serializeTextRequest(method: string, uri: string, headers: readonly SipHeader[], body: string): Buffer {
  return Buffer.from(headText(`${method} ${uri} SIP/2.0`, headers, Buffer.byteLength(body, 'utf8')) + body, 'utf8');
}
