import type {
  ContactListRecord,
  ContainerRecord,
  DelegateSetRecord,
  DialogRecord,
  DialogSubscriptionRecord,
  PublicationRecord,
  RegistrationRecord,
  SubscriberRecord,
  WatcherRecord,
} from './records.js';
import type { Change, Partition, Store, StoredRecord } from './store.js';

/** A typed collection of a partition: its name and how a value's record id is formed. */
export interface Collection<T> {
  readonly name: string;
  idOf(value: T): string;
}

function define<T>(name: string, idOf: (value: T) => string): Collection<T> {
  return Object.freeze({ name, idOf });
}

/** Category instances; id `<container>:<categoryName>:<instance>`. */
export const publications = define<PublicationRecord>('pub', (p) => `${p.container}:${p.categoryName}:${p.instance}`);
/**
 * The generation of a user's publications: one record (id `g`, value `{}`) whose version moves on
 * with every change that computes aggregation in its own commit. Read before the publications and
 * expected unchanged at commit, it makes that commit fail if any other such change came in between,
 * so the computed instances it carries were planned from the inputs as they are ([MS-PRES] §3.8).
 */
export const publicationsGeneration = define<Record<string, never>>('pubgen', () => 'g');
/** Container member sets; id = container id. */
export const containers = define<ContainerRecord>('ctr', (c) => String(c.id));
/** The publisher's subscriber list; id = subscriber URI. */
export const subscribers = define<SubscriberRecord>('sbr', (s) => s.user);
/** The delegator's delegate set: a single record with id `set`. */
export const delegates = define<DelegateSetRecord>('dlg', () => 'set');
/** The user's contact list and groups ([MS-SIP] §3.7): a single record with id `list`. */
export const contactLists = define<ContactListRecord>('cl', () => 'list');
/** Registered endpoints; id = epid. */
export const registrations = define<RegistrationRecord>('reg', (r) => r.epid);
/** SUBSCRIBE dialogs of a subscriber; id = `<callId>;<localTag>`. */
export const dialogs = define<DialogRecord>('dia', (d) => `${d.callId};${d.localTag}`);
/** Dialogs watching a publisher; id = `<pool>|<subscriber>|<dialogId>`. */
export const watchers = define<WatcherRecord>('wat', (w) => `${w.pool}|${w.subscriber}|${w.dialogId}`);
/** Publishers watched on a subscriber's category dialogs; id = `<dialogId>|<publisher>`. */
export const dialogSubscriptions = define<DialogSubscriptionRecord>('dsub', (s) => `${s.dialogId}|${s.publisher}`);

export interface PutOptions {
  expect?: number;
  expiresAt?: number;
  /** Keep the record's current expiry (see `PutChange.keepExpiry`). */
  keepExpiry?: boolean;
}

/** A typed put of `value` into `c` (id from the collection). */
export function put<T>(c: Collection<T>, value: T, opts: PutOptions = {}): Change {
  return { op: 'put', collection: c.name, id: c.idOf(value), value, ...opts };
}

/** A typed delete of record `id` from `c`. */
export function remove<T>(c: Collection<T>, id: string, opts: { expect?: number } = {}): Change {
  return { op: 'delete', collection: c.name, id, ...opts };
}

export function getRecord<T>(store: Store, p: Partition, c: Collection<T>, id: string): Promise<StoredRecord<T> | undefined> {
  return store.get<T>(p, c.name, id);
}

export function listRecords<T>(store: Store, p: Partition, c: Collection<T>): Promise<StoredRecord<T>[]> {
  return store.list<T>(p, c.name);
}
