import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { DEFAULT_TRIM_POLICY, shouldTrim, type TrimPolicy } from '../src/heap-trim.js';

const MB = 1024 * 1024;
const policy: TrimPolicy = { ...DEFAULT_TRIM_POLICY, growthBytes: 32 * MB };

describe('idle heap trim', () => {
  it('trims an idle heap grown by the threshold since the last trim, garbage not yet marked included', () => {
    expect(shouldTrim({ utilization: 0.01, used: 90 * MB, total: 95 * MB }, policy, 60 * MB)).toBe(true);
    expect(shouldTrim({ utilization: 0.01, used: 72 * MB, total: 200 * MB }, policy, 60 * MB)).toBe(true);
  });

  it('not before the heap has grown by the threshold again', () => {
    expect(shouldTrim({ utilization: 0.01, used: 80 * MB, total: 85 * MB }, policy, 60 * MB)).toBe(false);
    expect(shouldTrim({ utilization: 0, used: 72 * MB, total: 108 * MB }, policy, 108 * MB)).toBe(false);
  });

  it('never while the process is busy or the live heap would make the pause long', () => {
    expect(shouldTrim({ utilization: 0.2, used: 72 * MB, total: 200 * MB }, policy, 60 * MB)).toBe(false);
    expect(shouldTrim({ utilization: 0.01, used: 300 * MB, total: 600 * MB }, policy, 60 * MB)).toBe(false);
  });
});

describe('idle heap trim in a real process', () => {
  // A child process makes a burst of garbage that V8 promotes to its old generation, then idles.
  const child = (growthMb: number): Promise<{ burst: number; end: number; trims: number }> => {
    const dist = new URL('../dist/heap-trim.js', import.meta.url).href;
    const script = `
      import { getHeapStatistics } from 'node:v8';
      const { startHeapTrim } = await import(${JSON.stringify(dist)});
      let trims = 0;
      startHeapTrim(${growthMb}, { debug: () => trims++ }, 200);
      const ring = new Array(8);
      for (let round = 0; round < 60; round++) {
        ring[round % 8] = Array.from({ length: 30000 }, (_, i) => ({ i, s: 'item-' + round + '-' + i }));
        await new Promise((r) => setImmediate(r));
      }
      ring.fill(undefined);
      const burst = getHeapStatistics().total_heap_size;
      setTimeout(() => console.log(JSON.stringify({ burst, end: getHeapStatistics().total_heap_size, trims })), 2500);`;
    return new Promise((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 }, (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout))));
    });
  };

  it('gives the committed heap of a burst back once idle; with IDLE_HEAP_TRIM_MB=0 it stays', async () => {
    const [on, off] = await Promise.all([child(32), child(0)]);
    expect(on.burst).toBeGreaterThan(100 * MB);
    expect(on.trims).toBeGreaterThan(0);
    expect(on.end).toBeLessThan(on.burst / 2);
    expect(off.trims).toBe(0);
    expect(off.end).toBeGreaterThan(off.burst * 0.9);
  });
});
