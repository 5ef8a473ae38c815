/** A JID (RFC 7622) as this edge uses it: users are `local@domain`, their SIP address `sip:local@domain`. */
export interface Jid {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;
}

/** Parses `local@domain/resource`; undefined when it is not a user JID. Domains compare lower-cased. */
export function parseJid(s: string): Jid | undefined {
  const slash = s.indexOf('/');
  const bare = slash < 0 ? s : s.slice(0, slash);
  const resource = slash < 0 ? '' : s.slice(slash + 1);
  const at = bare.indexOf('@');
  if (at <= 0 || at === bare.length - 1 || bare.indexOf('@', at + 1) >= 0) return undefined;
  const local = bare.slice(0, at);
  const domain = bare.slice(at + 1).toLowerCase();
  // RFC 7622 §3.3.1: these may not appear in a localpart; §3.2: a plain host name.
  if (/[\s"&'/:<>@]/.test(local) || local.length > 1023 || !/^[a-z0-9.-]+$/.test(domain) || resource.length > 1023) return undefined;
  return { local, domain, resource };
}

export const bareJid = (j: Jid): string => `${j.local}@${j.domain}`;
export const fullJid = (j: Jid): string => (j.resource ? `${bareJid(j)}/${j.resource}` : bareJid(j));
export const aorOfJid = (j: Jid): string => `sip:${bareJid(j)}`;
/** The bare JID of a SIP address of record (`sip:bob@contoso.com` → `bob@contoso.com`). */
export const jidOfAor = (aor: string): string => aor.replace(/^sips?:/i, '');
