import { describe, expect, it } from 'vitest';
import { HandOffs, KeyedBatcher } from '../src/batches.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('KeyedBatcher', () => {
  it('runs one batch at a time; what arrives meanwhile forms the next, a waiting key’s items joining its entry', async () => {
    const runs: string[][][] = [];
    let active = 0;
    let overlapped = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new KeyedBatcher<string>(
      (s) => s.split(':')[0]!,
      async (batch) => {
        overlapped ||= active > 0;
        active++;
        runs.push(batch);
        if (runs.length === 1) await gate;
        active--;
      },
    );
    const first = [b.submit('a:1'), b.submit('b:1')];
    await tick();
    await tick();
    // A burst of one key while the first batch runs: one place in the next batch.
    const burst = Array.from({ length: 100 }, (_, i) => b.submit(`a:${i + 2}`));
    const other = b.submit('c:1');
    expect(runs).toHaveLength(1);
    release();
    await Promise.all([...first, ...burst, other]);
    expect(overlapped).toBe(false);
    expect(runs).toHaveLength(2);
    expect(runs[0]).toEqual([['a:1'], ['b:1']]);
    expect(runs[1]!.map((items) => items.length)).toEqual([100, 1]);
    expect(runs[1]![0]!.at(-1)).toBe('a:101');
  });

  it('takes at most maxKeys keys per batch, in the order they came', async () => {
    const runs: string[][][] = [];
    const b = new KeyedBatcher<string>(
      (s) => s,
      async (batch) => void runs.push(batch),
      3,
    );
    await Promise.all(['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'].map((k) => b.submit(k)));
    expect(runs.map((r) => r.flat())).toEqual([['k1', 'k2', 'k3'], ['k4', 'k5', 'k6'], ['k7']]);
  });

  it('a failed batch rejects every item it carried; the next batch still runs, and settle waits for it', async () => {
    let n = 0;
    const done: string[] = [];
    const b = new KeyedBatcher<string>(
      (s) => s,
      async (batch) => {
        if (++n === 1) throw new Error('store away');
        await tick();
        done.push(...batch.flat());
      },
    );
    const failed = [b.submit('x'), b.submit('y')];
    const results = await Promise.allSettled(failed);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok'))).toEqual(['store away', 'store away']);
    void b.submit('z');
    await tick();
    await b.settle();
    expect(done).toEqual(['z']);
  });
});

describe('HandOffs', () => {
  it('lets at most `limit` hand-offs be outstanding: the next waits for one to be answered', async () => {
    const h = new HandOffs(2);
    const answers: (() => void)[] = [];
    const handOff = () => new Promise<void>((r) => answers.push(r));
    await h.add(handOff());
    await h.add(handOff());
    let third = false;
    const adding = h.add(handOff()).then(() => (third = true));
    await tick();
    expect(third).toBe(false);
    answers[0]!();
    await adding;
    expect(third).toBe(true);
    // A failed hand-off frees its place too, and settle waits for the rest.
    const failing = h.add(Promise.reject(new Error('edge gone')));
    await tick();
    answers[1]!();
    answers[2]!();
    await failing;
    await h.settle();
  });
});
