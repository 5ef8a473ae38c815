import { ActiveDialogs } from '../services/sip-edge/src/metrics.js';
import { describe, expect, it } from 'vitest';

/** The active-dialogs gauge's table (RFC 6665 dialog lifetimes), on a clock the test moves. */
describe('ActiveDialogs (presence_dialogs_active)', () => {
  const make = (max?: number) => {
    const clock = { now: 1_000_000 };
    return { clock, d: new ActiveDialogs(() => clock.now, max) };
  };

  it('counts a dialog from its 2xx until Expires: 0, a terminating NOTIFY/481, its connection closing, or its expiry without refresh (RFC 6665 §4.1.2.1)', () => {
    const { clock, d } = make();
    d.subscribed('c1', 'a', 'presence', 600);
    d.subscribed('c1', 'b', 'vnd-microsoft-roaming-self', 600);
    d.subscribed('c2', 'c', 'presence', 60);
    d.subscribed('c2', 'x', 'Made-Up', 60);
    expect(Object.fromEntries(d.count())).toMatchObject({ presence: 2, 'vnd-microsoft-roaming-self': 1, other: 1, 'presence.winfo': 0 });
    // A refresh is the same dialog, with a new lifetime.
    d.subscribed('c1', 'a', 'presence', 600);
    expect(d.size).toBe(4);
    d.subscribed('c1', 'a', 'presence', 0);
    expect(d.count().get('presence')).toBe(1);
    d.ended('c2', 'x');
    d.ended('c2', 'x'); // twice: counted once
    expect(d.size).toBe(2);
    clock.now += 61_000; // c2's dialog was not refreshed
    expect(d.count().get('presence')).toBe(0);
    expect(d.size).toBe(1);
    d.flowClosed('c1');
    expect([...d.count().values()].reduce((a, b) => a + b, 0)).toBe(0);
    expect(d.size).toBe(0);
  });

  it('is bounded: past its size new dialogs are not tracked, known ones still refresh and end', () => {
    const { d } = make(2);
    d.subscribed('c', '1', 'presence', 60);
    d.subscribed('c', '2', 'presence', 60);
    d.subscribed('c', '3', 'presence', 60);
    expect(d.size).toBe(2);
    d.subscribed('c', '2', 'presence', 120);
    expect(d.count().get('presence')).toBe(2);
    d.ended('c', '1');
    d.subscribed('c', '3', 'presence', 60);
    expect(d.size).toBe(2);
  });
});
