import type { ContainerRecord, StoredRecord } from '@presence/state';

/** The document formats of a presence subscriber without enhanced presence ([MS-PRES] §1.3.3). */
export type LegacyFormat = 'msrtc' | 'pidf';

/**
 * The format a dialog-creating SUBSCRIBE is served in: [MS-PRES] §1.3.3 searches Accept in the
 * order enhanced presence, MSRTC, PIDF (enhanced subscribers never come here: the edge routes them
 * to the subscription service). No Accept means PIDF (RFC 3856 §6.6). `application/xpidf+xml`
 * alone is not served (undefined: 406): §4.11's client lists it but takes MSRTC.
 */
export function legacyFormat(accept: readonly string[]): LegacyFormat | undefined {
  const types = accept.flatMap((a) => a.split(',')).map((t) => t.split(';')[0]!.trim().toLowerCase()).filter((t) => t !== '');
  if (types.length === 0) return 'pidf';
  if (types.includes('text/xml+msrtc.pidf')) return 'msrtc';
  if (types.includes('application/pidf+xml') || types.includes('*/*') || types.includes('application/*')) return 'pidf';
  return undefined;
}

/** What a legacyInterop instance says (§2.2.2.7.6): availability, token. Absent: offline. */
export interface LegacyState {
  readonly availability: number;
  readonly token?: string;
}

export const OFFLINE: LegacyState = { availability: 18500 };

/** Reads `<legacyInterop availability="…" token="…"/>`; anything else is offline (what a blocked watcher sees too). */
export function legacyStateOf(data: string | undefined): LegacyState {
  const availability = /\bavailability="(\d{1,9})"/.exec(data ?? '')?.[1];
  if (availability === undefined) return OFFLINE;
  const token = /\btoken="([^"]*)"/.exec(data ?? '')?.[1];
  return { availability: Number(availability), ...(token ? { token } : {}) };
}

const ON_THE_PHONE = 'on-the-phone';

/** [MS-PRES] §3.7.5.4 table: PIDF basic status and RPID activity of a legacyInterop state. */
export function pidfStatusOf(s: LegacyState): { basic: 'open' | 'closed'; activity?: string } {
  const a = s.availability;
  if (a < 3000 || a >= 18000) return { basic: 'closed' };
  if (a < 4500) return { basic: 'open' };
  if (a >= 6000 && a < 7500) return { basic: 'open', activity: s.token === ON_THE_PHONE ? 'on-the-phone' : 'busy' };
  if (a >= 9000 && a < 12000) return { basic: 'open', activity: 'busy' };
  return { basic: 'open', activity: 'away' };
}

/** The names of the states of [MS-PRES] §4.11 (`online`, `busy`), for a state element without a token. */
const STATE_NAMES: Readonly<Record<number, string>> = { 3500: 'online', 6500: 'busy', 9500: 'do-not-disturb', 12500: 'be-right-back', 15500: 'away', 18500: 'offline' };

/** [MS-PRES] §3.7.5.5 table: the MSRTC values of a legacyInterop state. */
export function msrtcStateOf(s: LegacyState): { avail: number; state: string; availabilityAggregate: number; activityAggregate: number } {
  const a = s.availability;
  const row = (avail: number, availabilityAggregate: number, activityAggregate: number) => ({ avail, state: s.token ?? STATE_NAMES[avail]!, availabilityAggregate, activityAggregate });
  if (a < 3000 || a >= 18000) return row(18500, 0, 100);
  if (a < 4500) return row(3500, 300, 400);
  if (a < 6000) return row(15500, 300, 100);
  if (a < 7500) return row(6500, 300, s.token === ON_THE_PHONE ? 500 : 600);
  if (a < 9000) return row(15500, 300, 100);
  if (a < 12000) return row(9500, 300, 600);
  if (a < 15000) return row(12500, 300, 300);
  return row(15500, 300, 100);
}

/** RPID activities (RFC 4480 §3.2) that mean away, and those that mean busy, for a PIDF publisher. */
const AWAY = new Set(['away', 'vacation', 'sleeping', 'steering', 'travel', 'permanent-absence']);
const BUSY = new Set(['busy', 'on-the-phone', 'meeting', 'appointment', 'meal', 'performance', 'presentation', 'playing', 'spectator', 'worship']);
/** Activities that map onto a token of their own ([MS-PRES] §2.2.2.7.2.1.1 activity tokens). */
const TOKENS: Readonly<Record<string, string>> = { 'on-the-phone': 'on-the-phone', meeting: 'in-a-meeting', appointment: 'in-a-meeting', presentation: 'in-presentation' };

/**
 * The endpoint state of a PIDF publication (README "Standard SIP clients (PIDF)"): closed is
 * offline (18500); open is online (3500), away (15500) with an away-like activity, busy (6500) with
 * a busy-like one, the activity's token where MS-PRES has one. Busy wins over away.
 */
export function stateOfPidf(basic: 'open' | 'closed', activities: readonly string[]): LegacyState {
  if (basic === 'closed') return OFFLINE;
  const busy = activities.find((a) => BUSY.has(a));
  if (busy) return { availability: 6500, ...(TOKENS[busy] ? { token: TOKENS[busy] } : {}) };
  if (activities.some((a) => AWAY.has(a))) return { availability: 15500, token: 'away' };
  return { availability: 3500 };
}

/**
 * The container member sets of a publisher who never set any (a user of standard clients only):
 * colleagues see container 200 (Company), federated users container 100 (External), as an
 * enhanced client's defaults would. Anyone else, and anyone once the user has sets, resolves as usual.
 */
export function effectiveContainerSets(sets: readonly StoredRecord<ContainerRecord>[]): readonly StoredRecord<ContainerRecord>[] {
  if (sets.length > 0) return sets;
  return [
    { id: '200', version: 0, value: { id: 200, members: [{ type: 'sameEnterprise' }] } },
    { id: '100', version: 0, value: { id: 100, members: [{ type: 'federated' }] } },
  ];
}
