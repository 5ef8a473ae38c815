import type { SipHeader, SipMessage } from './message.js';

/** True for a Content-Length header in any letter case (the length check first: this runs per header of every message sent). */
const isContentLength = (name: string): boolean => name.length === 14 && name.toLowerCase() === 'content-length';

/**
 * Writes a message: start line, headers in order under their canonical names, Content-Length
 * computed from the body's byte length (any given one is replaced), blank line, body. One string
 * and one buffer per message: this runs for every NOTIFY and response sent (issue 13).
 */
export function serialize(msg: SipMessage): Buffer {
  let head = msg.type === 'request' ? `${msg.method} ${msg.uri} SIP/2.0\r\n` : `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  for (const h of msg.headers) if (!isContentLength(h.name)) head += `${h.name}: ${h.value}\r\n`;
  head += `Content-Length: ${msg.body.length}\r\n\r\n`;
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
  let text = `${method} ${uri} SIP/2.0\r\n`;
  for (const h of headers) if (!isContentLength(h.name)) text += `${h.name}: ${h.value}\r\n`;
  text += `Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n\r\n${body}`;
  return Buffer.from(text, 'utf8');
}
