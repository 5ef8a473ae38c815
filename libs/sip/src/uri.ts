import { err, ok, SIP_ERR, SipParseError, type Result } from './errors.js';
import { formatParams, parseParams, param, type Params } from './params.js';

/** A SIP or SIPS URI (RFC 3261 §19.1). `user` is kept percent-encoded as received. */
export interface SipUri {
  readonly scheme: 'sip' | 'sips';
  readonly user?: string;
  readonly password?: string;
  readonly host: string;
  readonly port?: number;
  readonly params: Params;
  readonly headers: string;
}

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?)$/;

export function parseUri(s: string): Result<SipUri, SipParseError> {
  const bad = (why: string) => err(new SipParseError(SIP_ERR.URI, `bad SIP URI ${JSON.stringify(s.slice(0, 200))}: ${why}`));
  const m = /^(sips?):(.*)$/i.exec(s.trim());
  if (!m) return bad('scheme must be sip or sips');
  const scheme = m[1]!.toLowerCase() as 'sip' | 'sips';
  let rest = m[2]!;
  let headers = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    headers = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  let user: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (colon >= 0) password = userinfo.slice(colon + 1);
    if (user === '' || /[\s<>"]/.test(userinfo)) return bad('bad user part');
  }
  const semi = rest.indexOf(';');
  const hostport = semi >= 0 ? rest.slice(0, semi) : rest;
  const params = semi >= 0 ? parseParams(rest.slice(semi + 1)) : [];
  let host = hostport;
  let port: number | undefined;
  const pm = /^(.*?):(\d{1,5})$/.exec(hostport);
  if (pm && !hostport.endsWith(']')) {
    host = pm[1]!;
    port = Number(pm[2]);
    if (port > 65535) return bad('port out of range');
  }
  if (!HOST.test(host)) return bad('bad host');
  const uri: SipUri = { scheme, host, params, headers };
  return ok({
    ...uri,
    ...(user !== undefined ? { user } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(port !== undefined ? { port } : {}),
  });
}

export function formatUri(u: SipUri): string {
  const userinfo = u.user === undefined ? '' : `${u.user}${u.password === undefined ? '' : `:${u.password}`}@`;
  const port = u.port === undefined ? '' : `:${u.port}`;
  return `${u.scheme}:${userinfo}${u.host}${port}${formatParams(u.params)}${u.headers ? `?${u.headers}` : ''}`;
}

/** `sip:user@host`, lower-cased host and scheme, no port, params or headers: the address of record. */
export function addressOfRecord(u: SipUri): string {
  return `sip:${u.user === undefined ? '' : `${decodeURIComponentSafe(u.user)}@`}${u.host.toLowerCase()}`;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function uriParam(u: SipUri, name: string): string | undefined {
  return param(u.params, name);
}
