import { describe, expect, it } from 'vitest';
import { MemoryStore, type Collection } from '../src/index.js';

const things: Collection<unknown> = Object.freeze({ name: 'thing', idOf: () => 'x' });
const p = { pool: 'p', user: 'sip:a@example.com' };

/** What Redis would give back: the JSON round trip the memory store must match. */
const viaJson = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

async function roundTrip(v: unknown): Promise<unknown> {
  const store = new MemoryStore();
  const r = await store.apply(p, [{ op: 'put', collection: things.name, id: 'x', value: v }]);
  expect(r.ok).toBe(true);
  return (await store.get(p, things.name, 'x'))?.value;
}

describe('MemoryStore: values read back as JSON would give them', () => {
  const cases: [string, unknown][] = [
    ['plain record', { a: 'x', n: 1, b: true, z: null, list: ['s', 2, { k: 'v' }] }],
    ['undefined fields dropped, array slots null', { a: undefined, f: () => 1, arr: [undefined, () => 1, Symbol('s')] }],
    ['non-finite numbers and -0', { nan: NaN, inf: Infinity, neg: -Infinity, zero: -0, arr: [NaN, -0] }],
    ['a Date becomes its text', { at: new Date(0), nested: { at: new Date(86_400_000) } }],
    ['toJSON is honoured', { v: { toJSON: () => 'replaced' }, arr: [{ toJSON: () => 7 }] }],
    ['class instances lose their prototype', { m: new Map([['a', 1]]), s: new (class { x = 1 })() }],
    ['own __proto__ stays a field', JSON.parse('{"__proto__": {"polluted": true}, "a": 1}')],
    ['boxed primitives', { s: Object('text'), n: Object(3) }],
    ['sparse arrays', { arr: [1, , 3] }], // eslint-disable-line no-sparse-arrays
    ['deep nesting', Array.from({ length: 40 }).reduce((acc: unknown) => ({ next: acc }), { leaf: 1 })],
  ];
  for (const [name, v] of cases) {
    it(name, async () => {
      const got = await roundTrip(v);
      expect(got).toStrictEqual(viaJson(v));
      expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it('a cycle is refused as JSON refuses it, and changes nothing', async () => {
    const store = new MemoryStore();
    const v: Record<string, unknown> = { a: 1 };
    v.self = v;
    await expect(store.apply(p, [{ op: 'put', collection: things.name, id: 'x', value: v }])).rejects.toThrow(TypeError);
    expect(await store.get(p, things.name, 'x')).toBeUndefined();
  });

  it('a bigint is refused as JSON refuses it', async () => {
    const store = new MemoryStore();
    await expect(store.apply(p, [{ op: 'put', collection: things.name, id: 'x', value: { n: 1n } }])).rejects.toThrow(TypeError);
  });

  it('the caller keeps no handle on what is stored', async () => {
    const store = new MemoryStore();
    const v = { list: ['a'], o: { k: 'v' } };
    await store.apply(p, [{ op: 'put', collection: things.name, id: 'x', value: v }]);
    v.list.push('b');
    v.o.k = 'changed';
    expect((await store.get(p, things.name, 'x'))?.value).toStrictEqual({ list: ['a'], o: { k: 'v' } });
  });
});
