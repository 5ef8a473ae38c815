import { withoutHeader } from './headers.js';
import type { SipHeader, SipMessage } from './message.js';

/**
 * Writes a message: start line, headers in order under their canonical names, Content-Length
 * computed from the body's byte length (any given one is replaced), blank line, body.
 */
export function serialize(msg: SipMessage): Buffer {
  const start = msg.type === 'request' ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  const headers: SipHeader[] = [...withoutHeader(msg.headers, 'Content-Length'), { name: 'Content-Length', value: String(msg.body.length) }];
  const head = `${start}\r\n${headers.map((h) => `${h.name}: ${h.value}\r\n`).join('')}\r\n`;
  return msg.body.length === 0 ? Buffer.from(head, 'utf8') : Buffer.concat([Buffer.from(head, 'utf8'), msg.body]);
}
