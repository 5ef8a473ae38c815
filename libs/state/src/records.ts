/**
 * The records the services keep, one type per collection. Field names follow the spec where they
 * cross the wire ([MS-PRES] §2.2.2).
 */

/** [MS-PRES] §2.2.2.2 expireType. */
export type ExpireType = 'static' | 'user' | 'endpoint' | 'time';

/**
 * One category instance in one container (§3.2.1 ContainerCategoryEntry / category instance).
 * The record's store version is the instance's version.
 */
export interface PublicationRecord {
  categoryName: string;
  /** The instance number as published (an unsigned 32-bit integer, kept as text). */
  instance: string;
  container: number;
  expireType: ExpireType;
  /** Seconds, for expireType "time" (§2.2.2.2 expires). */
  expires?: number;
  /** The publishing endpoint (its epid), for endpoint-bound instances. */
  epid?: string;
  /** The UUID of the publishing endpoint's `+sip.instance`, shown as `endpointId` (§2.2.2.1). */
  endpointId?: string;
  /** ISO 8601 UTC, set by the server on each publish (§3.2.5.1.2). */
  publishTime: string;
  /** The category payload (inner XML), stored exactly as published. */
  data: string;
}

/** §2.2.2.5 member types. */
export type MemberType = 'user' | 'domain' | 'sameEnterprise' | 'federated' | 'publicCloud' | 'everyone';

export interface ContainerMember {
  type: MemberType;
  /** The user URI or domain; absent for the types that take none. */
  value?: string;
}

/** One container's member set (§3.5.1 ContainerMemberSet); the store version is the set's version. */
export interface ContainerRecord {
  id: number;
  members: ContainerMember[];
}

/** One entry of a publisher's subscriber list (§3.6.1 SubscriberEntry). */
export interface SubscriberRecord {
  /** The subscriber's address of record, `sip:alice@contoso.com`. */
  user: string;
  displayName?: string;
  acknowledged: boolean;
  /** §2.2.2.6 type: the source network the subscriber came from. */
  sourceNetwork?: string;
  /** The SUBSCRIBE's non-empty `context` (inner XML). */
  context?: string;
}

/** §3.9.1 DelegateEntry. */
export interface DelegateEntry {
  uri: string;
  publish: boolean;
  redelegate: boolean;
}

/** §3.9.1 DelegateSet: one record per delegator; the store version is the set's version. */
export interface DelegateSetRecord {
  delegates: DelegateEntry[];
}

/** One registered endpoint of a user (RFC 3261 §10 binding, with the MS epid and GRUU). */
export interface RegistrationRecord {
  epid: string;
  /** `+sip.instance` from the Contact, if the client sent one (RFC 5627). */
  instance?: string;
  contact: string;
  gruu: string;
  /** The edge instance that holds the client's connection, and the connection there. */
  edgeId: string;
  connectionId: string;
  /** `xmpp`: an XMPP session of the xmpp-edge; `web`: a signed-in web session (both are endpoints too). */
  transport: 'udp' | 'tcp' | 'tls' | 'ws' | 'wss' | 'xmpp' | 'web';
  /** Option tags of the REGISTER's Supported header (e.g. `msrtc-event-categories`, [MS-PRES] §3.2.5.1.1). */
  supported: string[];
  registeredAt: string;
}

/** A SUBSCRIBE dialog, kept in the subscriber's partition. */
export interface DialogRecord {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Event package, e.g. `presence`, `vnd-microsoft-roaming-self`. */
  event: string;
  subscriber: string;
  epid: string;
  edgeId: string;
  connectionId: string;
  /** The subscriber's Contact, where NOTIFYs go. */
  remoteTarget: string;
  routeSet: string[];
  /** CSeq of the last NOTIFY sent on this dialog. */
  localCseq: number;
  /** Whether the client takes BENOTIFY (Supported: ms-benotify). */
  benotify: boolean;
  /** Self subscriptions: the roaming types in scope ([MS-PRES] §2.2.2.3.1). */
  scope?: string[];
  /** Category subscriptions: a batch (adhoclist) dialog, as opposed to a single one. */
  batch?: boolean;
}

/** A dialog watching a publisher, kept in the publisher's partition so a change finds its watchers. */
export interface WatcherRecord {
  subscriber: string;
  /** The subscriber's pool (it may be homed elsewhere). */
  pool: string;
  dialogId: string;
  categories: string[];
  /** The subscriber's source network, for container resolution ([MS-PRES] §3.2.5.3). */
  network: 'sameEnterprise' | 'federated' | 'publicCloud';
}

/**
 * One publisher watched on one category dialog, kept in the subscriber's partition next to the
 * dialog: the categories and, per category, a fingerprint of what the subscriber last saw, so a
 * change notifies only when the view changed ([MS-PRES] §3.2.5.3).
 */
export interface DialogSubscriptionRecord {
  dialogId: string;
  publisher: string;
  categories: string[];
  seen: Record<string, string>;
}

/** A user's contact list ([MS-SIP] §2.2.4.1), versioned by deltaNum. */
export interface ContactListRecord {
  readonly deltaNum: number;
  readonly groups: readonly { readonly id: number; readonly name: string; readonly externalURI: string }[];
  readonly contacts: readonly { readonly uri: string; readonly name: string; readonly groups: readonly number[]; readonly subscribed: boolean; readonly externalURI: string; readonly extension?: string }[];
}
