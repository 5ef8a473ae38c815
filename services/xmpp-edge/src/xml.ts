/**
 * XMPP stanzas as plain values, and their serialization. MS-PRES documents are never built here
 * (libs/documents does); this is the XMPP wire format only.
 */
export interface XmlElement {
  /** Qualified name as written (`stream:features`, `iq`). */
  readonly name: string;
  /** The element's namespace URI, resolved by the parser (empty when built by the edge). */
  readonly ns: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly (XmlElement | string)[];
}

/** Escapes text and attribute values (RFC 6120 §11.1: only the predefined entities). */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Builds an element; `undefined` attributes are left out. */
export function el(name: string, attrs: Readonly<Record<string, string | undefined>> = {}, ...children: (XmlElement | string | undefined)[]): XmlElement {
  const a: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) a[k] = v;
  return { name, ns: '', attrs: a, children: children.filter((c): c is XmlElement | string => c !== undefined) };
}

export function serialize(e: XmlElement): string {
  const attrs = Object.entries(e.attrs)
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('');
  if (e.children.length === 0) return `<${e.name}${attrs}/>`;
  return `<${e.name}${attrs}>${e.children.map((c) => (typeof c === 'string' ? escapeXml(c) : serialize(c))).join('')}</${e.name}>`;
}

/** The first child element with this local name (and namespace, when given). */
export function child(e: XmlElement, local: string, ns?: string): XmlElement | undefined {
  return e.children.find((c): c is XmlElement => typeof c !== 'string' && localName(c.name) === local && (ns === undefined || c.ns === ns));
}

export function children(e: XmlElement, local?: string): XmlElement[] {
  return e.children.filter((c): c is XmlElement => typeof c !== 'string' && (local === undefined || localName(c.name) === local));
}

export function text(e: XmlElement | undefined): string {
  return e ? e.children.map((c) => (typeof c === 'string' ? c : text(c))).join('') : '';
}

export function localName(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
}
