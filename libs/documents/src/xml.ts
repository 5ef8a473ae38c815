import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { DocumentError, type DocResult } from './errors.js';

/** An element with its namespace resolved; `raw` holds the verbatim inner XML of a stop node. */
export interface XmlNode {
  readonly name: string;
  readonly ns: string | undefined;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
  readonly text: string;
  readonly raw?: string;
}

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

/**
 * One parser per set of stop nodes (the sets are the documents' own constants: a handful), built
 * once: building the options cost as much as a short document's parse.
 */
const parsers = new Map<string, XMLParser>();
function parserFor(stopNodes: readonly string[]): XMLParser {
  const key = stopNodes.join('\u0000');
  let parser = parsers.get(key);
  if (!parser) {
    parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      preserveOrder: true,
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: true,
      ignoreDeclaration: true,
      ignorePiTags: true,
      stopNodes: stopNodes.map((n) => `*.${n}`),
    });
    parsers.set(key, parser);
  }
  return parser;
}

/**
 * Parses a request body into an {@link XmlNode} tree. Bodies with a DOCTYPE or ENTITY declaration
 * are refused before parsing: no MS-PRES document has one, and they are the vector of entity
 * expansion attacks. `stopNodes` (local names) keep their inner XML verbatim, e.g. publication
 * payloads, which are stored and sent on exactly as published.
 */
export function parseXml(body: string, stopNodes: readonly string[] = []): DocResult<XmlNode> {
  if (body.trim() === '') return { ok: false, error: new DocumentError('DOC_ERR_XML', 'missing XML body') };
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) return { ok: false, error: new DocumentError('DOC_ERR_UNSAFE', 'DOCTYPE and ENTITY declarations are not allowed') };
  const valid = XMLValidator.validate(body);
  if (valid !== true) return { ok: false, error: new DocumentError('DOC_ERR_XML', `not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`) };
  const parser = parserFor(stopNodes);
  let tree: Ordered[];
  try {
    tree = parser.parse(body) as Ordered[];
  } catch (e) {
    return { ok: false, error: new DocumentError('DOC_ERR_XML', `not well-formed XML: ${(e as Error).message}`) };
  }
  const roots = tree.map((n) => convert(n, new Map(), new Set(stopNodes))).filter((n): n is XmlNode => n !== undefined);
  if (roots.length !== 1) return { ok: false, error: new DocumentError('DOC_ERR_XML', 'expected exactly one root element') };
  return { ok: true, value: roots[0]! };
}

function convert(n: Ordered, scope: Map<string, string>, stop: Set<string>): XmlNode | undefined {
  const key = Object.keys(n).find((k) => k !== ':@');
  if (key === undefined || key === '#text' || key.startsWith('?') || key === '#comment') return undefined;
  const rawAttrs = n[':@'] ?? {};
  const inScope = new Map(scope);
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawAttrs)) {
    if (k === 'xmlns') inScope.set('', v);
    else if (k.startsWith('xmlns:')) inScope.set(k.slice(6), v);
    else attrs[k.includes(':') ? k.slice(k.indexOf(':') + 1) : k] = v;
  }
  const colon = key.indexOf(':');
  const prefix = colon >= 0 ? key.slice(0, colon) : '';
  const name = colon >= 0 ? key.slice(colon + 1) : key;
  const content = (n[key] as Ordered[]) ?? [];
  const text = content
    .filter((c) => '#text' in c)
    .map((c) => String(c['#text']))
    .join('');
  if (stop.has(name)) return { name, ns: inScope.get(prefix), attrs, children: [], text: '', raw: text };
  const children = content.map((c) => convert(c, inScope, stop)).filter((c): c is XmlNode => c !== undefined);
  return { name, ns: inScope.get(prefix), attrs, children, text };
}

/** Checks the root element's name and namespace. */
export function expectRoot(root: XmlNode, name: string, ns: string): DocResult<XmlNode> {
  if (root.name !== name || root.ns !== ns) {
    return { ok: false, error: new DocumentError('DOC_ERR_ROOT', `expected <${name} xmlns="${ns}">, got <${root.name}> in ${root.ns ?? 'no namespace'}`) };
  }
  return { ok: true, value: root };
}

/** Escapes text or an attribute value for XML. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** ` name="value"` for each defined attribute, in the order given. */
export function attrs(list: readonly (readonly [string, string | number | boolean | undefined])[]): string {
  return list
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${esc(String(v))}"`)
    .join('');
}

/** `<name attrs/>` or `<name attrs>inner</name>`. `inner` is XML already. */
export function element(name: string, attributes: readonly (readonly [string, string | number | boolean | undefined])[], inner = ''): string {
  return inner === '' ? `<${name}${attrs(attributes)}/>` : `<${name}${attrs(attributes)}>${inner}</${name}>`;
}

export const isUnsignedInt = (s: string | undefined): s is string => s !== undefined && /^\d{1,10}$/.test(s) && Number(s) <= 4294967295;
