import { XMLParser } from 'fast-xml-parser';

/**
 * XML as a comparable value: elements with their attributes and children, namespace declarations
 * and whitespace-only text dropped, the given attributes (times, generated values) replaced by '*'.
 * Used to compare documents with the spec's examples "as XML".
 */
export function canonical(xml: string, ignoreAttrs: readonly string[] = ['publishTime']): unknown {
  const p = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', preserveOrder: true, trimValues: true, parseTagValue: false, parseAttributeValue: false });
  const walk = (nodes: Record<string, unknown>[]): unknown[] =>
    nodes.map((n) => {
      const key = Object.keys(n).find((k) => k !== ':@')!;
      if (key === '#text') return String(n['#text']).trim();
      const attrs = Object.fromEntries(
        Object.entries((n[':@'] as Record<string, string>) ?? {})
          .filter(([k]) => !k.startsWith('@xmlns:'))
          .map(([k, v]) => [k, ignoreAttrs.includes(k.slice(1)) ? '*' : v]),
      );
      return { [key]: walk(n[key] as Record<string, unknown>[]).filter((c) => c !== ''), ...(Object.keys(attrs).length ? { attrs } : {}) };
    });
  return walk(p.parse(xml) as Record<string, unknown>[]);
}
