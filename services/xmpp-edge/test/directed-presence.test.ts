import { describe, expect, it } from 'vitest';
import { decodeDirectedPresence, encodeDirectedPresence } from '../src/directed-presence.js';

describe('directed presence on the bus (RFC 6121 §4.6): decoded like client input', () => {
  it('round-trips what an edge sends', () => {
    const p = { fromResource: 'laptop', toResource: '', unavailable: false, show: 'dnd' as const, status: 'in a call' };
    expect(decodeDirectedPresence(encodeDirectedPresence(p))).toEqual(p);
    expect(decodeDirectedPresence(encodeDirectedPresence({ fromResource: 'a', toResource: 'b', unavailable: true }))).toEqual({ fromResource: 'a', toResource: 'b', unavailable: true });
  });

  it.each([
    ['not JSON', '{'],
    ['not an object', '"x"'],
    ['null', 'null'],
    ['a missing field', '{"fromResource":"a","unavailable":false}'],
    ['a wrong type', '{"fromResource":"a","toResource":"","unavailable":"no"}'],
    ['an unknown show', '{"fromResource":"a","toResource":"","unavailable":false,"show":"sleeping"}'],
    ['an oversized status', JSON.stringify({ fromResource: 'a', toResource: '', unavailable: false, status: 'x'.repeat(1025) })],
    ['an oversized resource', JSON.stringify({ fromResource: 'r'.repeat(1024), toResource: '', unavailable: false })],
  ])('refuses %s', (_name, body) => {
    expect(decodeDirectedPresence(body)).toBeUndefined();
  });
});
