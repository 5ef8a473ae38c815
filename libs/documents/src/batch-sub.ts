import { docOk, schemaError, type DocResult } from './errors.js';
import { element } from './xml.js';
import { expectRoot, parseXml } from './xml.js';

export const BATCH_SUB_NS = 'http://schemas.microsoft.com/2006/01/sip/batch-subscribe';
export const CATEGORY_LIST_NS = 'http://schemas.microsoft.com/2006/09/sip/categorylist';
export const RLMI_NS = 'urn:ietf:params:xml:ns:rlmi';

export interface BatchResource {
  readonly uri: string;
  /** Present when the resource carried a `context` element; its inner XML (empty for `<context/>`). */
  readonly context?: string;
}

export interface BatchAction {
  readonly name: 'subscribe' | 'unsubscribe';
  readonly resources: readonly BatchResource[];
  readonly categories: readonly string[];
}

/**
 * Parses a `batchSub` document ([MS-PRES] §2.2.2.4.1, §6.8): 1..n actions, each with one adhocList
 * of 1..n resources and one categoryList of 1..n categories. `batchSub/@uri`, `@name` and
 * `action/@id` are ignored, as the spec says.
 */
export function parseBatchSub(body: string): DocResult<BatchAction[]> {
  const parsed = parseXml(body, ['context']);
  if (!parsed.ok) return parsed;
  const root = expectRoot(parsed.value, 'batchSub', BATCH_SUB_NS);
  if (!root.ok) return root;
  const actions = root.value.children.filter((c) => c.name === 'action');
  if (actions.length === 0) return schemaError('batchSub must hold at least one action');
  const out: BatchAction[] = [];
  for (const [i, a] of actions.entries()) {
    const name = a.attrs.name;
    if (name !== 'subscribe' && name !== 'unsubscribe') return schemaError(`action ${i + 1}: name must be subscribe or unsubscribe`);
    const lists = a.children.filter((c) => c.name === 'adhocList');
    const cats = a.children.filter((c) => c.name === 'categoryList' && c.ns === CATEGORY_LIST_NS);
    if (lists.length !== 1 || cats.length !== 1) return schemaError(`action ${i + 1}: exactly one adhocList and one categoryList are required`);
    const resources: BatchResource[] = [];
    for (const r of lists[0]!.children.filter((c) => c.name === 'resource')) {
      if (!r.attrs.uri) return schemaError(`action ${i + 1}: resource/@uri is required`);
      const ctx = r.children.find((c) => c.name === 'context');
      resources.push(ctx ? { uri: r.attrs.uri, context: (ctx.raw ?? '').trim() } : { uri: r.attrs.uri });
    }
    const categories = cats[0]!.children.filter((c) => c.name === 'category').map((c) => c.attrs.name ?? '');
    if (resources.length === 0) return schemaError(`action ${i + 1}: adhocList needs at least one resource`);
    if (categories.length === 0 || categories.some((c) => c === '')) return schemaError(`action ${i + 1}: categoryList needs named categories`);
    out.push({ name, resources, categories });
  }
  return docOk(out);
}

/** A resource the subscription did not accept ([MS-PRES] §3.4.5.1.3.1). */
export interface RejectedResource {
  readonly uri: string;
  readonly state: 'resubscribe' | 'terminated';
  readonly reason?: string;
  readonly statusCode?: number;
  /** Written without `sip:`, as the examples do. */
  readonly cid?: string;
  readonly poolFqdn?: string;
}

/** The rlmi `list` of a category subscription's 200 ([MS-PRES] §2.2.2.4.2): only rejected resources. */
export function buildRlmiList(subscriber: string, rejected: readonly RejectedResource[], version = 0): string {
  const inner = rejected
    .map((r) =>
      element(
        'resource',
        [['uri', r.uri]],
        element('instance', [
          ['id', 0],
          ['state', r.state],
          ['reason', r.reason],
          ['statusCode', r.statusCode],
          ['cid', r.cid],
          ['poolFqdn', r.poolFqdn],
        ]),
      ),
    )
    .join('');
  return element('list', [['xmlns', RLMI_NS], ['uri', subscriber], ['version', version], ['fullState', 'false']], inner);
}

export interface MimePart {
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

/**
 * A `multipart/related` body (RFC 2387, RFC 4662 as [MS-PRES] §4.5 shows it), and its Content-Type:
 * `multipart/related; type="application/rlmi+xml";start=resourceList; boundary=…`.
 *
 * Each part's content ends with CRLF, then comes the delimiter's own CRLF (RFC 2046 §5.1.1: the CRLF
 * before `--boundary` belongs to the delimiter): an empty line before every delimiter, as in every
 * example of [MS-PRES] §4.5 and §4.6 and in Lync Server's output. libpurple-based clients drop the
 * four bytes before a delimiter, so a single CRLF would cost them the end of the XML.
 */
export function buildMultipart(boundary: string, parts: readonly MimePart[]): { contentType: string; body: string } {
  const body = `${parts.map((p) => `--${boundary}\r\n${p.headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n${p.body}\r\n\r\n`).join('')}--${boundary}--\r\n`;
  return { contentType: `multipart/related; type="application/rlmi+xml";start=resourceList; boundary=${boundary}`, body };
}
