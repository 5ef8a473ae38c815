/**
 * The server picks the To tag of every dialog it creates (RFC 3261 §12.1.1), so the tag's form says
 * which service owns the dialog: a request within the dialog (To tag present) then goes back to that
 * service whatever its Event and Accept say (RFC 6665 §4.1.2.3), with no lookup at the edge.
 * The subscription service's tags are eight upper-case hex digits, as in the examples of [MS-PRES]
 * (`C9230080`, and every tag it ever gave); federation's are `fed-` and hex digits. Tags of any other
 * form (the edge's own error responses use 16 lower-case hex digits) name no owner.
 */
export type DialogOwner = 'subscription' | 'federation';

/** A To tag for a new dialog of `owner`; `randomHex8` is a fresh token of eight hex digits. */
export function dialogTag(owner: DialogOwner, randomHex8: string): string {
  const hex = randomHex8.toUpperCase();
  if (!/^[0-9A-F]{8}$/.test(hex)) throw new RangeError(`a dialog tag needs eight hex digits, got ${JSON.stringify(randomHex8)}`);
  return owner === 'subscription' ? hex : `fed-${hex}`;
}

/** The service that owns the dialog a To tag names, or undefined when the tag names none. */
export function ownerOfTag(tag: string): DialogOwner | undefined {
  if (/^[0-9A-F]{8}$/.test(tag)) return 'subscription';
  if (/^fed-[0-9A-F]{8}$/.test(tag)) return 'federation';
  return undefined;
}
