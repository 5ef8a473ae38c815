import { err, ok, SIP_ERR, SipParseError, type Result } from './errors.js';
import { formatParams, parseParams, param, unquote, type Params } from './params.js';

/**
 * A From/To/Contact/Route value (RFC 3261 §20.10): `["Display"] <uri>;params` or `uri;params`.
 * In the second form every `;param` after the URI is a header parameter (§20.10), which is why
 * URIs with their own parameters are written in angle brackets.
 */
export interface NameAddr {
  readonly displayName?: string;
  readonly uri: string;
  readonly params: Params;
}

export function parseNameAddr(s: string): Result<NameAddr, SipParseError> {
  const v = s.trim();
  const bad = (why: string) => err(new SipParseError(SIP_ERR.PARSE_BAD_HEADER_VALUE, `bad address ${JSON.stringify(v.slice(0, 200))}: ${why}`));
  if (v === '*') return ok({ uri: '*', params: [] });
  const lt = findUnquoted(v, '<');
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    if (gt < 0) return bad('missing >');
    const display = v.slice(0, lt).trim();
    const uri = v.slice(lt + 1, gt).trim();
    if (uri === '') return bad('empty URI');
    const after = v.slice(gt + 1).trim();
    if (after !== '' && !after.startsWith(';')) return bad('junk after >');
    const params = parseParams(after.slice(1));
    return ok(display === '' ? { uri, params } : { displayName: unquote(display), uri, params });
  }
  if (v.startsWith('"')) return bad('display name without <URI>');
  const semi = v.indexOf(';');
  const uri = (semi >= 0 ? v.slice(0, semi) : v).trim();
  if (uri === '' || /\s/.test(uri)) return bad('bad URI');
  return ok({ uri, params: semi >= 0 ? parseParams(v.slice(semi + 1)) : [] });
}

function findUnquoted(s: string, ch: string): number {
  let inQuote = false;
  for (let i = 0; i < s.length; i++) {
    if (inQuote) {
      if (s[i] === '\\') i++;
      else if (s[i] === '"') inQuote = false;
    } else if (s[i] === '"') inQuote = true;
    else if (s[i] === ch) return i;
  }
  return -1;
}

export function formatNameAddr(a: NameAddr): string {
  const display = a.displayName === undefined ? '' : `"${a.displayName.replace(/(["\\])/g, '\\$1')}" `;
  return `${display}<${a.uri}>${formatParams(a.params)}`;
}

/** The `tag` parameter of a From/To value. */
export function tagOf(a: NameAddr): string | undefined {
  return param(a.params, 'tag');
}
