import { describe, expect, it } from 'vitest';
import { availabilityOfShow, showOfAvailability } from '../src/presence-map.js';

describe('show ↔ availability (README "XMPP" table; [MS-PRES] §2.2.2.7.1 classes, §3.7.5.4 translation)', () => {
  it.each([
    [undefined, { availability: 3500 }],
    ['chat', { availability: 3500 }],
    ['away', { availability: 15500 }],
    ['xa', { availability: 15500, activity: 'Away' }],
    ['dnd', { availability: 9500 }],
  ] as const)('publishes show %s as %o', (show, expected) => {
    expect(availabilityOfShow(show)).toEqual(expected);
  });

  it.each([
    [2999, { unavailable: true }],
    [3000, { unavailable: false, show: undefined }],
    [3500, { unavailable: false, show: undefined }],
    [4500, { unavailable: false, show: 'away' }],
    [6500, { unavailable: false, show: 'dnd' }],
    [7500, { unavailable: false, show: 'away' }],
    [8999, { unavailable: false, show: 'away' }],
    [9500, { unavailable: false, show: 'dnd' }],
    [12000, { unavailable: false, show: 'away' }],
    [15500, { unavailable: false, show: 'away' }],
    [17999, { unavailable: false, show: 'away' }],
    [18000, { unavailable: true }],
    [18500, { unavailable: true }],
  ] as const)('shows availability %i as %o', (a, expected) => {
    expect(showOfAvailability(a)).toEqual(expected);
  });

  it('round-trips every show value to the same class', () => {
    for (const s of ['away', 'dnd'] as const) expect(showOfAvailability(availabilityOfShow(s).availability)).toEqual({ unavailable: false, show: s });
  });
});
