import { describe, expect, it } from 'vitest';
import { mapInOrder } from '../src/in-order.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mapInOrder', () => {
  it('keeps the order of the items whatever order the calls finish in, with at most `limit` at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapInOrder([30, 5, 20, 1, 10, 2, 8], 3, async (ms) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(ms);
      running--;
      return ms * 2;
    });
    expect(out).toEqual([60, 10, 40, 2, 20, 4, 16]);
    expect(peak).toBe(3);
  });

  it('gives an empty list for no items and rejects with the first failure', async () => {
    expect(await mapInOrder([], 4, async (x: number) => x)).toEqual([]);
    await expect(mapInOrder([1, 2, 3], 2, async (x) => (x === 2 ? Promise.reject(new Error('two')) : x))).rejects.toThrow('two');
  });
});
