/**
 * Category policy ([MS-PRES] §1.3.1.2, §2.2.2.7, §3.2.5.4).
 *
 * Private categories: subscribers can never subscribe to them, only self subscribers see them.
 * `mwi` "can be" private (§1.3.1.2): this server makes it private.
 */
export const PRIVATE_CATEGORIES: ReadonlySet<string> = new Set(['legacyInterop', 'routing', 'workingHours', 'dndState', 'linkedPICContacts', 'mwi']);

/** Names the server accepts publications for (OCS 2007 set, endnote <31>, plus later ones, §1.3.6). */
export const REGISTERED_CATEGORIES: readonly string[] = [
  'note',
  'state',
  'contactCard',
  'device',
  'services',
  'userProperties',
  'routing',
  'legacyInterop',
  'calendarData',
  'workingHours',
  'dndState',
  'mwi',
  'linkedPICContacts',
  'roomSetting',
  'roomUpdate',
  'roomInvitation',
  'gcFilterSetting',
];

/** (container, category) pairs clients may not publish to: container 1's userProperties (§3.2.6.2). */
export const READ_ONLY: readonly { readonly container: number; readonly category: string }[] = [{ container: 1, category: 'userProperties' }];

export interface PublicationPolicy {
  /** Largest data of one publication, in bytes (413 beyond, §3.2.5.4). */
  readonly maxPublicationBytes: number;
  /** Largest total data of one category across all containers, in bytes (413 beyond). */
  readonly maxCategoryBytes: number;
  /** Registered category names; undefined accepts any name. */
  readonly registeredCategories?: ReadonlySet<string>;
  readonly readOnly: readonly { readonly container: number; readonly category: string }[];
  /** Most members one publisher may have across all containers (413 beyond, §3.5.5.5). */
  readonly maxContainerMembers: number;
}

export const DEFAULT_POLICY: PublicationPolicy = Object.freeze({
  maxPublicationBytes: 64 * 1024,
  maxCategoryBytes: 512 * 1024,
  registeredCategories: new Set(REGISTERED_CATEGORIES),
  readOnly: READ_ONLY,
  maxContainerMembers: 1000,
});

export function isReadOnly(policy: PublicationPolicy, container: number, category: string): boolean {
  return policy.readOnly.some((r) => r.container === container && r.category === category);
}
