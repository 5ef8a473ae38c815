import { describe, expect, it } from 'vitest';
import { MemoryStore, type Change, type Partition } from '../src/index.js';

// The in-memory store keeps one copy of each repeated piece of its values (issue 13: ≤ 1 KB per
// resource subscription). Sharing must never show: values read back are what JSON would give.
const alice: Partition = { pool: 'p1', user: 'sip:alice@contoso.com' };
const bob: Partition = { pool: 'p1', user: 'sip:bob@contoso.com' };
const putv = (collection: string, id: string, value: unknown): Change => ({ op: 'put', collection, id, value });

describe('MemoryStore value sharing', () => {
  it('gives two records with equal small arrays and objects the same frozen copy', async () => {
    const s = new MemoryStore();
    await s.apply(alice, [putv('wat', 'a', { categories: ['state', 'note'], seen: { state: 'f1', note: 'f2' } })]);
    await s.apply(bob, [putv('wat', 'b', { categories: ['state', 'note'], seen: { state: 'f1', note: 'f2' } })]);
    const a = (await s.get<{ categories: string[]; seen: object }>(alice, 'wat', 'a'))!.value;
    const b = (await s.get<{ categories: string[]; seen: object }>(bob, 'wat', 'b'))!.value;
    expect(a.categories).toBe(b.categories);
    expect(a.seen).toBe(b.seen);
    expect(Object.isFrozen(a.categories) && Object.isFrozen(a.seen) && Object.isFrozen(a)).toBe(true);
    expect(a).toEqual({ categories: ['state', 'note'], seen: { state: 'f1', note: 'f2' } });
  });

  it('keeps values apart that a joined key would confuse (NUL inside a string)', async () => {
    const s = new MemoryStore();
    await s.apply(alice, [putv('x', '1', ['a\u0000b']), putv('x', '2', ['a', 'b']), putv('x', '3', 'a\u0000b'), putv('x', '4', { a: 'b' }), putv('x', '5', ['a', 'b', 1])]);
    expect((await s.list(alice, 'x')).map((r) => r.value)).toEqual([['a\u0000b'], ['a', 'b'], 'a\u0000b', { a: 'b' }, ['a', 'b', 1]]);
  });

  it('keeps an own __proto__ field as data, never as the prototype', async () => {
    const s = new MemoryStore();
    const value = JSON.parse('{"__proto__":{"polluted":true},"name":"x"}') as object;
    await s.apply(alice, [putv('x', 'p', value)]);
    const back = (await s.get<Record<string, unknown>>(alice, 'x', 'p'))!.value;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(back, '__proto__')).toBe(true);
    expect(JSON.stringify(back)).toBe('{"__proto__":{"polluted":true},"name":"x"}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads back JSON semantics: undefined fields dropped, dates as text, a rewrite not seen by earlier readers', async () => {
    const s = new MemoryStore();
    await s.apply(alice, [putv('x', 'd', { at: new Date(0), gone: undefined, n: 1 })]);
    const first = (await s.get(alice, 'x', 'd'))!.value;
    expect(first).toEqual({ at: '1970-01-01T00:00:00.000Z', n: 1 });
    await s.apply(alice, [putv('x', 'd', { at: 'later', n: 2 })]);
    expect(first).toEqual({ at: '1970-01-01T00:00:00.000Z', n: 1 });
    expect((await s.get(alice, 'x', 'd'))!.value).toEqual({ at: 'later', n: 2 });
  });

  it('bounds its sharing table however many distinct strings pass through', async () => {
    const s = new MemoryStore();
    for (let i = 0; i < 120_000; i++) await s.apply(alice, [putv('x', 'one', { fingerprint: `f${i}` })]);
    expect(s.sharedEntries).toBeLessThanOrEqual(100_000);
    expect((await s.get(alice, 'x', 'one'))!.value).toEqual({ fingerprint: 'f119999' });
  });
});

describe('MemoryStore rewrite of a record', () => {
  it('keeps the pieces a rewrite leaves unchanged and takes the new ones', async () => {
    const s = new MemoryStore();
    const v1 = { dialogId: 'd;1', categories: ['state', 'note'], seen: { state: 'a', note: 'b' }, routeSet: ['<sip:x>'] };
    await s.apply(alice, [putv('dsub', 'one', v1)]);
    const first = (await s.get<typeof v1>(alice, 'dsub', 'one'))!.value;
    await s.apply(alice, [putv('dsub', 'one', { ...v1, seen: { state: 'a', note: 'c' } })]);
    const second = (await s.get<typeof v1>(alice, 'dsub', 'one'))!.value;
    expect(second).toEqual({ ...v1, seen: { state: 'a', note: 'c' } });
    expect(second.categories).toBe(first.categories);
    expect(second.routeSet).toBe(first.routeSet);
    expect(second.seen).not.toBe(first.seen);
    expect(first.seen).toEqual({ state: 'a', note: 'b' });
    // A field dropped or added is a change, not the old value.
    await s.apply(alice, [putv('dsub', 'one', { dialogId: 'd;1', categories: ['state', 'note'], seen: { state: 'a' }, routeSet: ['<sip:x>'] })]);
    expect((await s.get<typeof v1>(alice, 'dsub', 'one'))!.value.seen).toEqual({ state: 'a' });
    await s.apply(alice, [putv('dsub', 'one', { dialogId: 'd;1', categories: ['state', 'note'], seen: { state: 'a', extra: 'e' }, routeSet: ['<sip:x>'] })]);
    expect((await s.get<typeof v1>(alice, 'dsub', 'one'))!.value.seen).toEqual({ state: 'a', extra: 'e' });
  });
});
