/**
 * The server picks the To tag of every dialog it creates (RFC 3261 §12.1.1), so it writes there which
 * service owns the dialog: a request within the dialog (To tag present) then goes back to that
 * service whatever its Event and Accept say (RFC 6665 §4.1.2.3), with no lookup at the edge.
 * Form: `<code>-<random>`; tags of other forms (another server's, or written before this scheme)
 * name no owner.
 */
export type DialogOwner = 'subscription' | 'federation';

const CODES: Readonly<Record<DialogOwner, string>> = { subscription: 'sub', federation: 'fed' };
const OWNERS: ReadonlyMap<string, DialogOwner> = new Map(Object.entries(CODES).map(([owner, code]) => [code, owner as DialogOwner]));

/** A To tag for a new dialog of `owner`; `random` is the caller's fresh token (token characters only). */
export function dialogTag(owner: DialogOwner, random: string): string {
  return `${CODES[owner]}-${random}`;
}

/** The service that owns the dialog a To tag names, or undefined when the tag names none. */
export function ownerOfTag(tag: string): DialogOwner | undefined {
  const m = /^([a-z]{3})-[A-Za-z0-9]+$/.exec(tag);
  return m ? OWNERS.get(m[1]!) : undefined;
}
