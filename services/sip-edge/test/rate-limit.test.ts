import { describe, expect, it } from 'vitest';
import { FailureThrottle } from '../src/throttle.js';
import { RateLimit } from '../src/rate-limit.js';

describe('RateLimit (token bucket per user)', () => {
  it('allows a burst, then perSecond, and says how long to wait', () => {
    let now = 0;
    const r = new RateLimit(2, 3, () => now);
    expect([r.take('a'), r.take('a'), r.take('a')]).toEqual([0, 0, 0]);
    expect(r.take('a')).toBe(500);
    expect(r.take('b')).toBe(0); // another key has its own bucket
    now += 500;
    expect(r.take('a')).toBe(0);
    expect(r.take('a')).toBe(500);
  });

  it('forgets keys whose bucket refilled once the table is large (bounded memory)', () => {
    let now = 0;
    const r = new RateLimit(10, 10, () => now);
    for (let i = 0; i < 20_000; i++) r.take(`u${i}`);
    expect(r.size).toBe(20_000); // all active within the last second: all kept
    now += 2000;
    r.take('x');
    expect(r.size).toBe(1);
  });
});

describe('FailureThrottle', () => {
  it('refuses after perUser failures within the window, and frees a slot as the window slides', () => {
    let now = 0;
    const t = new FailureThrottle({ perUser: 2, perSource: 100, windowMs: 1000, now: () => now });
    t.failed('1.2.3.4', 'alice');
    expect(t.retryAfterMs('1.2.3.4', 'alice')).toBe(0);
    now = 100;
    t.failed('5.6.7.8', 'alice');
    expect(t.retryAfterMs('9.9.9.9', 'alice')).toBe(900);
    expect(t.retryAfterMs('1.2.3.4', 'bob')).toBe(0);
    now = 1001;
    expect(t.retryAfterMs('9.9.9.9', 'alice')).toBe(0);
  });

  it('keeps at most maxKeys keys', () => {
    const t = new FailureThrottle({ perUser: 5, perSource: 5, windowMs: 60_000, maxKeys: 100 });
    for (let i = 0; i < 1000; i++) t.failed(`10.0.${i >> 8}.${i & 255}`, `u${i}`);
    expect((t as unknown as { failures: Map<string, unknown> }).failures.size).toBeLessThanOrEqual(101);
  });
});
