import type { PresenceChanged } from '@presence/bus';
import { describe, expect, it } from 'vitest';
import { affects, FanOutQueue } from '../src/fanout.js';

const change = (user: string, o: Partial<PresenceChanged> = {}): PresenceChanged => ({ user, at: '2026-11-30T00:00:00.000Z', ...o });

describe('FanOutQueue', () => {
  it('runs one fan-out of a user at a time and merges the changes that wait into one', async () => {
    const runs: PresenceChanged[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new FanOutQueue(async (e) => {
      runs.push(e);
      if (runs.length === 1) await gate;
    });
    const first = q.submit(change('sip:a@x', { subscribers: true }));
    await new Promise((r) => setImmediate(r));
    const waiting = [
      q.submit(change('sip:a@x', { categories: [{ container: 200, name: 'legacyInterop' }, { container: 200, name: 'note' }, { container: 200, name: 'calendarData' }] })),
      q.submit(change('sip:a@x', { subscribers: true })),
      q.submit(change('sip:a@x', { containers: [100] })),
    ];
    const other = q.submit(change('sip:b@x'));
    await other;
    expect(runs.map((r) => r.user)).toEqual(['sip:a@x', 'sip:b@x']);
    release();
    await Promise.all([first, ...waiting]);
    expect(runs).toHaveLength(3);
    expect(runs[2]).toMatchObject({ user: 'sip:a@x', categories: [{ container: 200, name: 'legacyInterop' }, { container: 200, name: 'note' }], containers: [100], subscribers: true });
    expect(affects(runs[2]!)).toEqual({ legacy: true, winfo: true });
  });

  it('a failed fan-out fails the changes it carried, and the next one still runs', async () => {
    let n = 0;
    const q = new FanOutQueue(async () => {
      if (++n === 1) throw new Error('store away');
    });
    await expect(q.submit(change('sip:a@x'))).rejects.toThrow('store away');
    await expect(q.submit(change('sip:a@x'))).resolves.toBeUndefined();
  });

  it('only legacyInterop, the note, containers and the subscriber list concern it', () => {
    expect(affects(change('u', { categories: [{ container: 2, name: 'state' }] }))).toEqual({ legacy: false, winfo: false });
    expect(affects(change('u', { categories: [{ container: 200, name: 'note' }] }))).toEqual({ legacy: true, winfo: false });
    expect(affects(change('u', { categories: [{ container: 100, name: 'legacyInterop' }] }))).toEqual({ legacy: true, winfo: false });
    expect(affects(change('u', { containers: [32000] }))).toEqual({ legacy: true, winfo: false });
    expect(affects(change('u', { subscribers: true, delegates: true }))).toEqual({ legacy: false, winfo: true });
  });
});
