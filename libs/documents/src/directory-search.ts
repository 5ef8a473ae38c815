import { CONTACT_SOAP_NS, SOAP_ENV_NS } from './contacts.js';
import { docOk, schemaError, type DocResult } from './errors.js';
import { esc, expectRoot, parseXml } from './xml.js';

/** One filter row of a directory search: an Active Directory attribute (or macro) and a prefix ([MS-PRES] §8.1). */
export interface SearchRow {
  readonly attrib: string;
  readonly value: string;
}

/** The most filter rows one search may carry (clients send a handful). */
export const MAX_ROWS = 32;

export interface DirectorySearchRequest {
  readonly rows: readonly SearchRow[];
  readonly maxResults: number;
}

/** The ten attributes of a result row, in the order of [MS-PRES] §4.1 and §8.2; unknown ones are empty. */
export const RESULT_ATTRIBUTES = ['uri', 'displayName', 'title', 'office', 'phone', 'company', 'city', 'state', 'country', 'email'] as const;
export type ResultRow = Readonly<Record<(typeof RESULT_ATTRIBUTES)[number], string>>;

/** SOAP fault codes of [MS-PRES] §3.1.5.4. */
export type SearchFaultCode = 'Client.BadCall' | 'Server.Unavailable.Busy' | 'Client.NotAuthorized.UserSearch' | 'Server.UnknownError';

/**
 * Parses a directory search SERVICE body ([MS-PRES] §3.1.5.1, §4.1, §8.1): `directorySearch` names
 * the `Array` of rows by IDREF (`filter@href`, written `#id` in the example: the `#` is dropped) and
 * the client's `maxResults`. Attributes are taken with or without the `m:` prefix (the examples
 * qualify them, the schema does not).
 */
export function parseDirectorySearch(body: string): DocResult<DirectorySearchRequest> {
  const parsed = parseXml(body);
  if (!parsed.ok) return parsed;
  const env = expectRoot(parsed.value, 'Envelope', SOAP_ENV_NS);
  if (!env.ok) return env;
  const soapBody = env.value.children.find((c) => c.name === 'Body' && c.ns === SOAP_ENV_NS);
  const search = soapBody?.children.find((c) => c.name === 'directorySearch' && c.ns === CONTACT_SOAP_NS);
  if (!soapBody || !search) return schemaError('the SOAP Body must hold a directorySearch');
  const child = (name: string) => search.children.find((c) => c.name === name && c.ns === CONTACT_SOAP_NS);
  const href = child('filter')?.attrs.href?.replace(/^#/, '');
  if (!href) return schemaError('directorySearch: filter@href is required');
  const max = child('maxResults')?.text ?? '';
  if (!/^\d{1,9}$/.test(max)) return schemaError('directorySearch: maxResults must be a non-negative integer');
  const array = soapBody.children.find((c) => c.name === 'Array' && c.ns === CONTACT_SOAP_NS && c.attrs.id === href);
  if (!array) return schemaError(`directorySearch: no Array with id ${JSON.stringify(href)}`);
  const given = array.children.filter((c) => c.name === 'row' && c.ns === CONTACT_SOAP_NS);
  // Every row is matched against every user: a bound keeps one search cheap.
  if (given.length > MAX_ROWS) return schemaError(`directorySearch: at most ${MAX_ROWS} rows`);
  const rows: SearchRow[] = [];
  for (const r of given) {
    const { attrib, value } = r.attrs;
    // Active Directory attribute names: letters, digits and hyphens (msRTCSIP-PrimaryUserAddress).
    if (attrib === undefined || !/^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(attrib)) return schemaError(`row: attrib must be an attribute name, got ${JSON.stringify(attrib)}`);
    if (value === undefined) return schemaError(`row ${attrib}: value is required`);
    rows.push({ attrib, value });
  }
  return docOk({ rows, maxResults: Number(max) });
}

const envelope = (inner: string) =>
  `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP_ENV_NS}" xmlns:m="${CONTACT_SOAP_NS}"><SOAP-ENV:Body>${inner}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;

/** The 200's body ([MS-PRES] §3.1.5.3, §4.1, §8.2): every row with all ten attributes. */
export function buildDirectorySearchResult(rows: readonly ResultRow[], moreAvailable: boolean): string {
  const items = rows.map((r) => `<m:row${RESULT_ATTRIBUTES.map((a) => ` m:${a}="${esc(r[a])}"`).join('')}/>`).join('');
  return envelope(
    `<m:directorySearch><m:moreAvailable>${moreAvailable}</m:moreAvailable><m:returned>${rows.length}</m:returned><m:value m:href="#rows"/></m:directorySearch><m:Array m:id="rows">${items}</m:Array>`,
  );
}

/**
 * A SOAP 1.1 Fault ([MS-PRES] §3.1.5.4). The spec's example is malformed (`SOAP-EVN`,
 * `Faultcode`); this is the SOAP 1.1 form, `faultcode` and `faultstring` unqualified.
 */
export function buildSearchFault(code: SearchFaultCode, text: string): string {
  return envelope(`<SOAP-ENV:Fault><faultcode>${code}</faultcode><faultstring>${esc(text)}</faultstring></SOAP-ENV:Fault>`);
}
