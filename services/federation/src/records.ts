import type { SourceNetwork } from '@presence/presence';
import type { Collection, DialogRecord } from '@presence/state';

/** What a dialog of this service is about. */
export type FedDialogKind = 'pidf' | 'msrtc' | 'winfo';

/**
 * A PIDF, MSRTC or watcher-info SUBSCRIBE dialog ([MS-PRES] §3.7.1 SubscriptionDialogEntry), kept
 * in the subscriber's partition of the publisher's pool: the dialog, what it watches and a
 * fingerprint of the document last sent, so a change notifies only when the document changed.
 */
export interface FedDialogRecord extends DialogRecord {
  readonly kind: FedDialogKind;
  /** The watched user (for winfo: the subscriber itself, RFC 3857 §3.2). */
  readonly publisher: string;
  readonly network: SourceNetwork;
  /** Fingerprint of the last document sent; '' before the first. */
  readonly seen: string;
  /** Whether the subscriber named its epid in From ([MS-SIP]): only then does To carry it back. */
  readonly epidInFrom: boolean;
  /** Documents sent on the dialog (RFC 3858 §4.4: the watcherinfo version counts them from 0). */
  readonly sent: number;
}

/** A dialog of this service watching a publisher, in the publisher's partition: how a change finds it. */
export interface FedWatcherRecord {
  readonly subscriber: string;
  readonly pool: string;
  readonly dialogId: string;
}

/**
 * A PIDF publication of one endpoint (RFC 3903 §4): its entity tag and the category instances it
 * became, in the publisher's partition. The ETag changes on every refresh and modify.
 */
export interface EtagRecord {
  readonly etag: string;
  /** The instance number of the `state` and `note` instances of this publication. */
  readonly instance: string;
  readonly epid: string;
  /** The endpoint's `+sip.instance` UUID as the first publish found it ('' none); absent in tags of older releases. */
  readonly endpointId?: string;
  /** Publication record ids this publication wrote. */
  readonly ids: readonly string[];
  /** The last document, kept so a refresh (no body) can restore instances an endpoint's sign-out removed. */
  readonly body: string;
}

const define = <T>(name: string, idOf: (v: T) => string): Collection<T> => Object.freeze({ name, idOf });

export const fedDialogs = define<FedDialogRecord>('fdia', (d) => `${d.callId};${d.localTag}`);
export const fedWatchers = define<FedWatcherRecord>('fwat', (w) => `${w.pool}|${w.subscriber}|${w.dialogId}`);
export const etags = define<EtagRecord>('fetag', (e) => e.etag);
