import type { BusHeader, SipRequestCommand } from '@presence/bus';
import { aorOf, header } from '@presence/runtime';
import { param, parseNameAddr } from '@presence/sip';
import type { DialogRecord } from '@presence/state';

/** What every SUBSCRIBE handler reads of the request. */
export interface SubscribeRequest {
  readonly from: string;
  readonly to: string;
  /** The To tag: present on a SUBSCRIBE within a dialog. */
  readonly toTag?: string;
  readonly fromTag: string;
  readonly callId: string;
  readonly cseq: number;
  /** Expires asked for (the default when absent). */
  readonly requested: number;
  /** `Supported: ms-piggyback-first-notify` and `ms-benotify` ([MS-SIP]). */
  readonly piggyback: boolean;
  readonly benotify: boolean;
  readonly remoteTarget: string;
}

/** The option tags of every occurrence of a header, lower-cased. */
export function optionTags(cmd: SipRequestCommand, name: string): Set<string> {
  return new Set(
    cmd.headers
      .filter((h) => h.name.toLowerCase() === name.toLowerCase())
      .flatMap((h) => h.value.split(','))
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== ''),
  );
}

/** Reads a SUBSCRIBE; undefined when From or To is not a usable address (a 400). */
export function readSubscribe(cmd: SipRequestCommand, defaultExpires: number): SubscribeRequest | undefined {
  const from = aorOf(cmd, 'From');
  const to = aorOf(cmd, 'To');
  if (!from || !to) return undefined;
  const toHeader = parseNameAddr(header(cmd, 'To') ?? '');
  const fromHeader = parseNameAddr(header(cmd, 'From') ?? '');
  const contact = parseNameAddr(header(cmd, 'Contact') ?? '');
  const toTag = toHeader.ok ? param(toHeader.value.params, 'tag') : undefined;
  const expires = header(cmd, 'Expires');
  const supported = optionTags(cmd, 'Supported');
  return {
    from,
    to,
    ...(toTag ? { toTag } : {}),
    fromTag: (fromHeader.ok ? param(fromHeader.value.params, 'tag') : undefined) ?? '',
    callId: header(cmd, 'Call-ID') ?? '',
    cseq: Number((header(cmd, 'CSeq') ?? '0').split(/\s+/)[0]),
    requested: expires === undefined ? defaultExpires : Number(expires),
    piggyback: supported.has('ms-piggyback-first-notify'),
    benotify: supported.has('ms-benotify'),
    remoteTarget: contact.ok ? contact.value.uri : cmd.user,
  };
}

/**
 * The dialog's NOTIFY CSeq after answering `r`: a piggybacked 200 uses up one, numbered like the
 * SUBSCRIBE on a new dialog as in every example ([MS-PRES] §4.4.2, §4.5), and later notifications
 * count on from there; without piggybacking nothing is used up yet.
 */
export function cseqAfter(r: SubscribeRequest, previous: number | undefined): number {
  if (previous === undefined) return r.piggyback ? r.cseq : 0;
  return Math.max(previous + (r.piggyback ? 1 : 0), r.piggyback ? r.cseq : 0);
}

/** The headers of a 200 that carries the first notification's document ([MS-SIP] ms-piggyback-first-notify). */
export function piggybackHeaders(cseq: number, benotify: boolean): BusHeader[] {
  return [
    { name: 'ms-piggyback-cseq', value: String(cseq) },
    { name: 'Supported', value: benotify ? 'ms-benotify, ms-piggyback-first-notify' : 'ms-piggyback-first-notify' },
  ];
}

/** The dialog record for a SUBSCRIBE, keeping what an existing dialog already had. */
export function dialogFor(cmd: SipRequestCommand, r: SubscribeRequest, event: string, localTag: string, existing: DialogRecord | undefined): DialogRecord {
  return {
    callId: r.callId,
    localTag,
    remoteTag: existing?.remoteTag ?? r.fromTag,
    event,
    subscriber: cmd.user,
    epid: cmd.epid ?? '',
    edgeId: cmd.edgeId,
    connectionId: cmd.connectionId,
    remoteTarget: r.remoteTarget,
    routeSet: [],
    localCseq: cseqAfter(r, existing?.localCseq),
    benotify: r.benotify,
  };
}
