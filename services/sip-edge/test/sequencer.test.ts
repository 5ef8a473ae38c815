import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DialogSequencer } from '../src/sequencer.js';

const timers = { set: (fn: () => void, ms: number) => setTimeout(fn, ms), clear: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };

describe('DialogSequencer: notifications on a dialog leave in CSeq order', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends in order as they come, and holds one whose predecessor has not gone out yet', () => {
    const sent: number[] = [];
    const s = new DialogSequencer<number>((n) => void sent.push(n), timers);
    expect(s.offer(3, undefined, 3)).toBe('sent'); // first after a piggybacked 200
    expect(s.offer(5, 4, 5)).toBe('held');
    expect(s.offer(4, 3, 4)).toBe('sent');
    expect(sent).toEqual([3, 4, 5]);
  });

  it('drops a CSeq at or below the last one sent (a newer state already went out)', () => {
    const sent: number[] = [];
    const s = new DialogSequencer<number>((n) => void sent.push(n), timers);
    s.offer(7, undefined, 7);
    expect(s.offer(6, 5, 6)).toBe('stale');
    expect(s.offer(7, 6, 7)).toBe('stale');
    expect(sent).toEqual([7]);
  });

  it('sends held ones in CSeq order once the hold time passes (their predecessor was lost)', () => {
    const sent: number[] = [];
    const s = new DialogSequencer<number>((n) => void sent.push(n), timers, 1000);
    s.offer(1, undefined, 1);
    s.offer(4, 3, 4);
    s.offer(3, 2, 3);
    vi.advanceTimersByTime(999);
    expect(sent).toEqual([1]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([1, 3, 4]);
  });
});
