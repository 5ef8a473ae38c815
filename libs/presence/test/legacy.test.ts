import { describe, expect, it } from 'vitest';
import { effectiveContainerSets, legacyFormat, legacyStateOf, msrtcStateOf, pidfStatusOf, stateOfPidf } from '../src/index.js';

describe('[MS-PRES] §1.3.3: the format of a subscriber without enhanced presence', () => {
  it('takes MSRTC over PIDF, PIDF without Accept, and nothing for xpidf alone', () => {
    expect(legacyFormat(['application/xpidf+xml, text/xml+msrtc.pidf, application/pidf+xml'])).toBe('msrtc');
    expect(legacyFormat(['application/pidf+xml', 'text/xml+msrtc.pidf'])).toBe('msrtc');
    expect(legacyFormat(['application/pidf+xml;q=0.5'])).toBe('pidf');
    expect(legacyFormat(['Application/PIDF+XML'])).toBe('pidf');
    expect(legacyFormat([])).toBe('pidf');
    expect(legacyFormat(['*/*'])).toBe('pidf');
    expect(legacyFormat(['application/xpidf+xml'])).toBeUndefined();
    expect(legacyFormat(['text/plain'])).toBeUndefined();
  });
});

describe('legacyInterop (§2.2.2.7.6) read', () => {
  it('reads availability and token; anything else is offline', () => {
    expect(legacyStateOf('<legacyInterop xmlns="x" availability="6500" token="on-the-phone"/>')).toEqual({ availability: 6500, token: 'on-the-phone' });
    expect(legacyStateOf('<legacyInterop xmlns="x" availability="3500"/>')).toEqual({ availability: 3500 });
    expect(legacyStateOf(undefined)).toEqual({ availability: 18500 });
    expect(legacyStateOf('<legacyInterop/>')).toEqual({ availability: 18500 });
  });
});

describe('[MS-PRES] §3.7.5.4 table: PIDF basic and RPID activity', () => {
  const rows: [number, string | undefined, string, string | undefined][] = [
    [0, undefined, 'closed', undefined],
    [2999, undefined, 'closed', undefined],
    [3000, undefined, 'open', undefined],
    [4499, undefined, 'open', undefined],
    [4500, undefined, 'open', 'away'],
    [5999, undefined, 'open', 'away'],
    [6000, 'in-a-meeting', 'open', 'busy'],
    [7499, undefined, 'open', 'busy'],
    [6500, 'on-the-phone', 'open', 'on-the-phone'],
    [7500, undefined, 'open', 'away'],
    [8999, undefined, 'open', 'away'],
    [9000, undefined, 'open', 'busy'],
    [11999, undefined, 'open', 'busy'],
    [12000, undefined, 'open', 'away'],
    [14999, undefined, 'open', 'away'],
    [15000, undefined, 'open', 'away'],
    [17999, undefined, 'open', 'away'],
    [18000, undefined, 'closed', undefined],
    [18500, undefined, 'closed', undefined],
  ];
  it.each(rows)('availability %i, token %s → %s / %s', (availability, token, basic, activity) => {
    expect(pidfStatusOf({ availability, ...(token ? { token } : {}) })).toEqual({ basic, ...(activity ? { activity } : {}) });
  });
});

describe('[MS-PRES] §3.7.5.5 table: MSRTC values', () => {
  const rows: [number, string | undefined, number, string, number, number][] = [
    [2999, undefined, 18500, 'offline', 0, 100],
    [3500, undefined, 3500, 'online', 300, 400],
    [4500, undefined, 15500, 'away', 300, 100],
    [6500, undefined, 6500, 'busy', 300, 600],
    [6500, 'on-the-phone', 6500, 'on-the-phone', 300, 500],
    [6500, 'in-a-meeting', 6500, 'in-a-meeting', 300, 600],
    [8000, undefined, 15500, 'away', 300, 100],
    [9500, undefined, 9500, 'do-not-disturb', 300, 600],
    [12500, undefined, 12500, 'be-right-back', 300, 300],
    [15500, 'away', 15500, 'away', 300, 100],
    [18000, undefined, 18500, 'offline', 0, 100],
  ];
  it.each(rows)('availability %i, token %s → avail %i, state %s, aggregates %i/%i', (availability, token, avail, state, availabilityAggregate, activityAggregate) => {
    expect(msrtcStateOf({ availability, ...(token ? { token } : {}) })).toEqual({ avail, state, availabilityAggregate, activityAggregate });
  });
});

describe('PIDF publication → endpoint state (README mapping table)', () => {
  it('maps basic and RPID activities', () => {
    expect(stateOfPidf('closed', ['busy'])).toEqual({ availability: 18500 });
    expect(stateOfPidf('open', [])).toEqual({ availability: 3500 });
    expect(stateOfPidf('open', ['unknown'])).toEqual({ availability: 3500 });
    expect(stateOfPidf('open', ['away'])).toEqual({ availability: 15500, token: 'away' });
    expect(stateOfPidf('open', ['vacation'])).toEqual({ availability: 15500, token: 'away' });
    expect(stateOfPidf('open', ['busy'])).toEqual({ availability: 6500 });
    expect(stateOfPidf('open', ['on-the-phone'])).toEqual({ availability: 6500, token: 'on-the-phone' });
    expect(stateOfPidf('open', ['meeting'])).toEqual({ availability: 6500, token: 'in-a-meeting' });
    // Busy wins over away.
    expect(stateOfPidf('open', ['away', 'meeting'])).toEqual({ availability: 6500, token: 'in-a-meeting' });
  });

  it('round-trips through the §3.7.5.4 table for the activities it knows', () => {
    for (const a of ['away', 'busy', 'on-the-phone']) expect(pidfStatusOf(stateOfPidf('open', [a])).activity).toBe(a);
    expect(pidfStatusOf(stateOfPidf('open', [])).basic).toBe('open');
    expect(pidfStatusOf(stateOfPidf('closed', [])).basic).toBe('closed');
  });
});

describe('container sets of a user who never set any', () => {
  it('gives colleagues 200 and federated users 100; sets of their own replace them entirely', () => {
    expect(effectiveContainerSets([]).map((s) => [s.value.id, s.value.members])).toEqual([
      [200, [{ type: 'sameEnterprise' }]],
      [100, [{ type: 'federated' }]],
    ]);
    const own = [{ id: '32000', version: 1, value: { id: 32000, members: [{ type: 'user' as const, value: 'x@contoso.com' }] } }];
    expect(effectiveContainerSets(own)).toBe(own);
  });
});
