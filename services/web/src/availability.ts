/**
 * Availability names and numbers. The bands are those of [MS-PRES] §3.7.5.5 (legacyInterop) and
 * the values Lync clients publish for each manual choice: Available 3500, Busy 6500, Do not disturb
 * 9500, Be right back 12500, Away 15500, Offline 18500. Pure tables; no I/O.
 */
export const AVAILABILITY_NAMES = ['available', 'busy', 'do-not-disturb', 'be-right-back', 'away', 'offline'] as const;
export type AvailabilityName = (typeof AVAILABILITY_NAMES)[number];

const VALUE: Readonly<Record<AvailabilityName, number>> = {
  available: 3500,
  busy: 6500,
  'do-not-disturb': 9500,
  'be-right-back': 12500,
  away: 15500,
  offline: 18500,
};

/** The number a name publishes. */
export function availabilityValue(name: AvailabilityName): number {
  return VALUE[name];
}

/** [MS-PRES] §3.7.5.5: the band a number falls in. Below 3000 is not a shown state ("none"). */
export function availabilityName(n: number | undefined): AvailabilityName | 'unknown' {
  if (n === undefined || n < 3000) return 'unknown';
  if (n < 6000) return 'available'; // 3000-5999, idle included
  if (n < 9000) return 'busy'; // 6000-8999
  if (n < 12000) return 'do-not-disturb';
  if (n < 15000) return 'be-right-back';
  if (n < 18000) return 'away';
  return 'offline';
}

/** Numbers a client may set: the manual range of the spec (3000 up to 18500 offline). */
export const MIN_AVAILABILITY = 3000;
export const MAX_AVAILABILITY = 18500;
