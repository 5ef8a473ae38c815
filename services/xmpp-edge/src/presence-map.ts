/**
 * XMPP `<show/>` ↔ MS-PRES availability (README "XMPP" table). Pure. Availability classes are
 * those of [MS-PRES] §2.2.2.7.1 (0–2999 unknown, 3000–4499 online, 4500–5999 idle, 6000–7499 busy,
 * 7500–8999 busy-idle, 9000–11999 do not disturb, 12000–17999 away, 18000+ offline); the way back
 * follows the spec's own translation for non-MS clients (§3.7.5.4: idle and busy-idle show as
 * away, busy and do-not-disturb as busy), with XMPP's `dnd` for busy.
 */
export type Show = 'chat' | 'away' | 'xa' | 'dnd' | undefined;

/** What an XMPP resource's presence publishes as its endpoint's machine state. */
export function availabilityOfShow(show: Show): { availability: number; activity?: string } {
  switch (show) {
    case 'away':
      return { availability: 15500 };
    case 'xa':
      // Extended away: still the Away class, with an activity so Lync shows why.
      return { availability: 15500, activity: 'Away' };
    case 'dnd':
      return { availability: 9500 };
    default:
      return { availability: 3500 };
  }
}

/** What an XMPP client is shown for an aggregated availability: `unavailable` or a show value. */
export function showOfAvailability(availability: number): { unavailable: true } | { unavailable: false; show: Show } {
  if (availability < 3000 || availability >= 18000) return { unavailable: true };
  if (availability < 4500) return { unavailable: false, show: undefined };
  if (availability < 6000) return { unavailable: false, show: 'away' };
  if (availability < 7500) return { unavailable: false, show: 'dnd' };
  if (availability < 9000) return { unavailable: false, show: 'away' };
  if (availability < 12000) return { unavailable: false, show: 'dnd' };
  return { unavailable: false, show: 'away' };
}

export function isShow(s: string): s is Exclude<Show, undefined> {
  return s === 'chat' || s === 'away' || s === 'xa' || s === 'dnd';
}
