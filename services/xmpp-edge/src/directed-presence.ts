import { isShow, type Show } from './presence-map.js';

/**
 * Directed presence (RFC 6121 §4.6) between XMPP users as it crosses the bus: the sender's edge
 * hands it to the edge of each XMPP endpoint of the recipient (`edgeDeliverMessage`, like a
 * page-mode message), which writes the `<presence/>`. Pure: encode, and decode as untrusted input.
 */

/** The content type of a directed presence on the bus (never on any wire). */
export const DIRECTED_PRESENCE_TYPE = 'application/vnd.presence.xmpp-directed-presence+json';

const MAX_RESOURCE_CHARS = 1023;
const MAX_STATUS_CHARS = 1024;

export interface DirectedPresence {
  /** The sender's resource: the stanza comes from their full JID (RFC 6121 §4.6.2). */
  readonly fromResource: string;
  /** Only this resource of the recipient; '' for all of them (a bare JID, §4.6.2 / §8.5.2.1.1). */
  readonly toResource: string;
  readonly unavailable: boolean;
  readonly show?: Exclude<Show, undefined>;
  readonly status?: string;
}

export function encodeDirectedPresence(p: DirectedPresence): string {
  return JSON.stringify(p);
}

const str = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/** Undefined for anything but a well-formed, bounded directed presence. */
export function decodeDirectedPresence(body: string): DirectedPresence | undefined {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (!str(o.fromResource, MAX_RESOURCE_CHARS) || !str(o.toResource, MAX_RESOURCE_CHARS) || typeof o.unavailable !== 'boolean') return undefined;
  if (o.show !== undefined && !(typeof o.show === 'string' && isShow(o.show))) return undefined;
  if (o.status !== undefined && !str(o.status, MAX_STATUS_CHARS)) return undefined;
  return {
    fromResource: o.fromResource,
    toResource: o.toResource,
    unavailable: o.unavailable,
    ...(o.show !== undefined ? { show: o.show as Exclude<Show, undefined> } : {}),
    ...(o.status !== undefined ? { status: o.status as string } : {}),
  };
}
