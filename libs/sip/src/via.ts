import { err, ok, SIP_ERR, SipParseError, type Result } from './errors.js';
import { formatParams, parseParams, param, type Params } from './params.js';

/** One Via value (RFC 3261 §20.42): `SIP/2.0/TCP host:port;branch=...`. */
export interface Via {
  readonly transport: string;
  readonly host: string;
  readonly port?: number;
  readonly params: Params;
}

export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

export function parseVia(s: string): Result<Via, SipParseError> {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+([^;\s]+)\s*(?:;(.*))?$/i.exec(s.trim());
  if (!m) return err(new SipParseError(SIP_ERR.PARSE_BAD_HEADER_VALUE, `bad Via ${JSON.stringify(s.slice(0, 200))}`));
  const hostport = m[2]!;
  const pm = /^(.*?)(?::(\d{1,5}))?$/.exec(hostport)!;
  const host = pm[1]!;
  if (host === '') return err(new SipParseError(SIP_ERR.PARSE_BAD_HEADER_VALUE, 'Via without a host'));
  const via: Via = { transport: m[1]!.toUpperCase(), host, params: parseParams(m[3] ?? '') };
  return ok(pm[2] === undefined ? via : { ...via, port: Number(pm[2]) });
}

export function formatVia(v: Via): string {
  return `SIP/2.0/${v.transport} ${v.host}${v.port === undefined ? '' : `:${v.port}`}${formatParams(v.params)}`;
}

export function branchOf(v: Via): string | undefined {
  return param(v.params, 'branch');
}
