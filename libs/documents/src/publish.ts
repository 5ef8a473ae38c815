import { docOk, schemaError, type DocResult } from './errors.js';
import { NS } from './namespaces.js';
import { expectRoot, isUnsignedInt, parseXml } from './xml.js';

export type ExpireType = 'static' | 'user' | 'endpoint' | 'time';
const EXPIRE_TYPES: readonly string[] = ['static', 'user', 'endpoint', 'time'];

/** One `publication` element ([MS-PRES] §2.2.2.2.1). `index` is its 1-based position. */
export interface PublicationOp {
  readonly index: number;
  readonly categoryName: string;
  readonly instance: string;
  readonly container: number;
  readonly version: number;
  readonly expireType: ExpireType;
  /** Seconds; 0 deletes. */
  readonly expires?: number;
  /** The published data (inner XML, verbatim); empty for a delete. */
  readonly data: string;
}

export interface PublishRequest {
  readonly uri: string;
  readonly publications: readonly PublicationOp[];
}

/** Parses and schema-checks a `publish` document (§6.10). */
export function parsePublish(body: string): DocResult<PublishRequest> {
  const parsed = parseXml(body, ['publication']);
  if (!parsed.ok) return parsed;
  const root = expectRoot(parsed.value, 'publish', NS.richPresence);
  if (!root.ok) return root;
  const lists = root.value.children.filter((c) => c.name === 'publications');
  if (lists.length !== 1) return schemaError('publish must have exactly one publications element');
  const list = lists[0]!;
  const uri = list.attrs.uri;
  if (!uri) return schemaError('publications/@uri is required');
  const pubs = list.children.filter((c) => c.name === 'publication' && c.ns === NS.richPresence);
  if (pubs.length === 0) return schemaError('publications must hold at least one publication');
  const out: PublicationOp[] = [];
  for (const [i, p] of pubs.entries()) {
    const a = p.attrs;
    const where = `publication ${i + 1}`;
    if (!a.categoryName) return schemaError(`${where}: categoryName is required`);
    if (!isUnsignedInt(a.instance)) return schemaError(`${where}: instance must be an unsigned int`);
    if (!isUnsignedInt(a.version)) return schemaError(`${where}: version must be an unsigned int`);
    if (!/^\d{1,5}$/.test(a.container ?? '') || Number(a.container) > 32767) return schemaError(`${where}: container must be 0..32767`);
    if (!EXPIRE_TYPES.includes(a.expireType ?? '')) return schemaError(`${where}: expireType must be static, user, endpoint or time`);
    if (a.expires !== undefined && !isUnsignedInt(a.expires)) return schemaError(`${where}: expires must be an unsigned int`);
    out.push({
      index: i + 1,
      categoryName: a.categoryName,
      instance: String(Number(a.instance)),
      container: Number(a.container),
      version: Number(a.version),
      expireType: a.expireType as ExpireType,
      ...(a.expires !== undefined ? { expires: Number(a.expires) } : {}),
      data: (p.raw ?? '').trim(),
    });
  }
  return docOk({ uri, publications: out });
}
