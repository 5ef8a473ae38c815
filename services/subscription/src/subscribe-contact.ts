import type { SipReply } from '@presence/bus';

/**
 * RFC 6665 §4.2.1: a 2xx to a SUBSCRIBE carries a Contact, the remote target of the dialog. This
 * server's is the pool GRUU ([MS-PRES] §3.4.5.1.3.1), so that requests within the dialog come back
 * to the pool that holds it (the edge routes a pool GRUU to its pool) rather than to the AOR.
 */
export function withContact(r: SipReply, poolGruu: string): SipReply {
  if (r.status < 200 || r.status > 299 || (r.headers ?? []).some((h) => h.name.toLowerCase() === 'contact')) return r;
  return { ...r, headers: [...(r.headers ?? []), { name: 'Contact', value: `<${poolGruu}>` }] };
}
