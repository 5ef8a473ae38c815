import { getHeader, randomToken, serialize, type SipMessage, type SipRequest, type SipResponse } from '@presence/sip';
import type { PidfClient } from './pidf-client.js';

/** A page-mode MESSAGE from `c` (new Call-ID, CSeq 1); its answer may take the server's whole delivery timeout. */
export function sendMessage(c: PidfClient, to: string, body: string, headers = [{ name: 'Content-Type', value: 'text/plain;charset=UTF-8' }]): Promise<SipResponse> {
  return c.sip.request(
    {
      type: 'request',
      method: 'MESSAGE',
      uri: to,
      headers: [
        { name: 'Via', value: `SIP/2.0/TCP ${c.sip.local.address}:${c.sip.local.port};branch=z9hG4bK${randomToken()}` },
        { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: `<${c.user}>;tag=${randomToken(5)}` },
        { name: 'To', value: `<${to}>` },
        { name: 'Call-ID', value: randomToken(16) },
        { name: 'CSeq', value: '1 MESSAGE' },
        ...headers,
      ],
      body: Buffer.from(body, 'utf8'),
    },
    15_000,
  );
}

/** The next MESSAGE a client gets, answered with `status` (null: left unanswered). */
export async function takeMessage(c: PidfClient, status: number | null = 200, timeoutMs = 8000): Promise<SipRequest> {
  const m = (await c.sip.next((x: SipMessage) => x.type === 'request' && x.method === 'MESSAGE', timeoutMs)) as SipRequest;
  if (status !== null) {
    c.sip.send(
      serialize({
        type: 'response',
        status,
        reason: status === 200 ? 'OK' : 'Busy Here',
        headers: [...m.headers.filter((h) => ['Via', 'From', 'Call-ID', 'CSeq'].includes(h.name)), { name: 'To', value: `${getHeader(m, 'To')};tag=r${randomToken(3)}` }],
        body: Buffer.alloc(0),
      }),
    );
  }
  return m;
}

/** Registers a standard client with the registrar of its own domain (PidfClient.register assumes contoso.com). */
export async function registerInDomain(c: PidfClient): Promise<SipResponse> {
  const domain = c.user.split('@')[1]!;
  return c.request('REGISTER', { uri: `sip:${domain}`, headers: [{ name: 'Contact', value: `<${c.contact}>` }, { name: 'Expires', value: '3600' }] });
}
