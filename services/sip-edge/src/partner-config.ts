import { parseUri } from '@presence/sip';
import { ConfigError } from '@presence/telemetry';

/** One partner deployment: the domain it serves and where its edge listens. */
export interface Partner {
  readonly domain: string;
  readonly host: string;
  readonly port: number;
  readonly transport: 'tcp' | 'tls';
}

/**
 * `PRESENCE_FEDERATION_PARTNERS`: `domain=sip:host[:port][;transport=tls|tcp]`, comma separated, e.g.
 * `fabrikam.com=sip:edge.fabrikam.com:5061;transport=tls`. TLS is the default (certificates are
 * checked); TCP is for tests and trusted networks.
 */
export function parsePartners(raw: string | undefined): Partner[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((item) => {
    const m = /^\s*([A-Za-z0-9.-]+)\s*=\s*(\S+)\s*$/.exec(item);
    const uri = m ? parseUri(m[2]!) : undefined;
    if (!m || !uri?.ok || uri.value.user !== undefined) {
      throw new ConfigError('PRESENCE_FEDERATION_PARTNERS', `Invalid PRESENCE_FEDERATION_PARTNERS entry ${JSON.stringify(item.trim())}: expected domain=sip:host[:port][;transport=tls|tcp]`);
    }
    const t = (uri.value.params.find(([n]) => n.toLowerCase() === 'transport')?.[1] ?? 'tls').toLowerCase();
    if (t !== 'tls' && t !== 'tcp') throw new ConfigError('PRESENCE_FEDERATION_PARTNERS', `Invalid transport ${JSON.stringify(t)} for partner ${m[1]}: tls or tcp`);
    const host = uri.value.host.replace(/^\[|\]$/g, '');
    return { domain: m[1]!.toLowerCase(), host, port: uri.value.port ?? (t === 'tls' ? 5061 : 5060), transport: t };
  });
}
