import type { BusHeader, SipReply, SipRequestCommand } from '@presence/bus';
import { CONTENT_TYPE } from '@presence/documents';
import { addressOfRecord, parseNameAddr, parseUri } from '@presence/sip';

/** The first value of a header of a request that crossed the bus. */
export function header(cmd: SipRequestCommand, name: string): string | undefined {
  const l = name.toLowerCase();
  return cmd.headers.find((h) => h.name.toLowerCase() === l)?.value;
}

/** The address of record of the From or To header. */
export function aorOf(cmd: SipRequestCommand, name: 'From' | 'To'): string | undefined {
  const a = parseNameAddr(header(cmd, name) ?? '');
  const u = a.ok ? parseUri(a.value.uri) : undefined;
  return u?.ok ? addressOfRecord(u.value) : undefined;
}

/** The media type of Content-Type, lower-cased without parameters or whitespace. */
export function mediaType(cmd: SipRequestCommand): string {
  return (header(cmd, 'Content-Type') ?? '').split(';')[0]!.replace(/\s+/g, '').toLowerCase();
}

export function reply(status: number, reason?: string, headers: BusHeader[] = [], body?: string): SipReply {
  return { status, ...(reason ? { reason } : {}), headers, ...(body !== undefined ? { body } : {}) };
}

/** A 200 carrying a roaming-self document. */
export function roamingReply(body: string): SipReply {
  return reply(200, undefined, [{ name: 'Content-Type', value: CONTENT_TYPE.roamingSelf }], body);
}

/** A 409 with the fault document and its ms-diagnostics (§2.2.2.2.3, §2.2.2.10.4). */
export function conflictReply(diagnostics: string, fault: string): SipReply {
  return reply(409, undefined, [
    { name: 'ms-diagnostics', value: `${diagnostics};source="presence-server"` },
    { name: 'Content-Type', value: CONTENT_TYPE.fault },
  ], fault);
}
