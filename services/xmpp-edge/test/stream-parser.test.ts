import { describe, expect, it } from 'vitest';
import { StreamParser } from '../src/stream-parser.js';
import type { XmlElement } from '../src/xml.js';

const OPEN = `<?xml version='1.0'?><stream:stream to="contoso.com" xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" version="1.0">`;

function run(chunks: string[], maxStanzaChars = 1000) {
  const out: { starts: Record<string, string>[]; elements: XmlElement[]; ended: boolean; error?: string } = { starts: [], elements: [], ended: false };
  const p = new StreamParser(
    { streamStart: (a) => out.starts.push(a), element: (e) => out.elements.push(e), streamEnd: () => (out.ended = true) },
    { maxStanzaChars, maxDepth: 8 },
  );
  try {
    for (const c of chunks) p.write(Buffer.from(c, 'utf8'));
  } catch (e) {
    out.error = (e as { condition: string }).condition;
  }
  return out;
}

describe('XMPP stream parser (RFC 6120 §4, §11)', () => {
  it('hands on first-level elements whole, across any chunking, with namespaces resolved', () => {
    const text = `${OPEN}<message to="bob@contoso.com" type="chat"><body>héllo &amp; ✓</body></message> <presence/></stream:stream>`;
    const bytes = Buffer.from(text, 'utf8');
    // Every split point, including inside multi-byte UTF-8 characters.
    for (let i = 1; i < bytes.length; i += 7) {
      const out = { elements: [] as XmlElement[], ended: false };
      const parser = new StreamParser({ streamStart: () => undefined, element: (e) => out.elements.push(e), streamEnd: () => (out.ended = true) }, { maxStanzaChars: 1000, maxDepth: 8 });
      parser.write(bytes.subarray(0, i));
      parser.write(bytes.subarray(i));
      expect(out.elements.map((e) => [e.name, e.ns])).toEqual([
        ['message', 'jabber:client'],
        ['presence', 'jabber:client'],
      ]);
      expect(out.elements[0]!.children).toEqual([{ name: 'body', ns: 'jabber:client', attrs: {}, children: ['héllo & ✓'] }]);
      expect(out.ended).toBe(true);
    }
  });

  it.each([
    ['a DOCTYPE with entity declarations', `<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a "b">]>${OPEN}`, 'restricted-xml'],
    ['an undeclared entity reference', `${OPEN}<message><body>&xxe;</body></message>`, 'restricted-xml'],
    ['a comment', `${OPEN}<!-- c -->`, 'restricted-xml'],
    ['a processing instruction', `${OPEN}<?pi x?>`, 'restricted-xml'],
    ['mismatched tags', `${OPEN}<message><body></message>`, 'not-well-formed'],
    ['a root other than stream:stream', `<stream xmlns="jabber:client">`, 'invalid-namespace'],
    ['a stanza over the limit, in one chunk', `${OPEN}<message><body>${'x'.repeat(2000)}</body></message>`, 'policy-violation'],
    ['nesting deeper than allowed', `${OPEN}${'<a>'.repeat(10)}`, 'policy-violation'],
  ])('MUST end the stream on %s', (_what, input, condition) => {
    const out = run([input]);
    expect(out.error).toBe(condition);
    expect(out.elements).toEqual([]);
  });

  it('catches an oversized stanza that is still open, chunk by chunk (never buffered whole)', () => {
    const out = run([OPEN, '<message><body>', ...Array.from({ length: 20 }, () => 'y'.repeat(100))]);
    expect(out.error).toBe('policy-violation');
  });
});
