import type { PresenceChanged } from '@presence/bus';
import { describe, expect, it } from 'vitest';
import { affects } from '../src/fanout.js';

const change = (user: string, o: Partial<PresenceChanged> = {}): PresenceChanged => ({ user, at: '2026-11-30T00:00:00.000Z', ...o });

describe('federation fan-out', () => {
  it('only legacyInterop, the note, containers and the subscriber list concern it', () => {
    expect(affects(change('u', { categories: [{ container: 2, name: 'state' }] }))).toEqual({ legacy: false, winfo: false });
    expect(affects(change('u', { categories: [{ container: 200, name: 'note' }] }))).toEqual({ legacy: true, winfo: false });
    expect(affects(change('u', { categories: [{ container: 100, name: 'legacyInterop' }] }))).toEqual({ legacy: true, winfo: false });
    expect(affects(change('u', { containers: [32000] }))).toEqual({ legacy: true, winfo: false });
    expect(affects(change('u', { subscribers: true, delegates: true }))).toEqual({ legacy: false, winfo: true });
  });
});
