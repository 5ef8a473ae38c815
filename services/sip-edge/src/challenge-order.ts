import type { DigestAlgorithm } from '@presence/sip';

/**
 * The digest algorithms a 401 offers a client, one WWW-Authenticate each, most preferred first.
 *
 * RFC 8760 §2.4 has the server list every algorithm it supports, most preferred first, and §2.5 has
 * the client use the topmost one it supports and ignore the others. Stock clients do not all do that
 * (issue 14 item 6, checked against the Debian packages):
 * - baresip 1.0 (libre) walks every WWW-Authenticate and fails the whole request ("Register: Function
 *   not implemented") on any algorithm but MD5, whatever the order: it must get MD5 alone.
 * - SIPp 3.6 reads the first `algorithm=` of the response and stops ("authentication must use MD5")
 *   unless it is MD5. Its scenarios send no User-Agent.
 * So the configured order (default SHA-256, then MD5: what RFC 8760 clients should use) goes to
 * clients that name themselves; an agent matching `md5Only` (default: baresip 0.x/1.x) gets MD5
 * alone; a request without a User-Agent (test and load tools) gets MD5 first. Both are accepted
 * whichever was offered: the order only decides what a client picks. An operator who removed MD5
 * from PRESENCE_DIGEST_ALGORITHMS gets exactly that: no client is offered MD5 then.
 */
export function challengeAlgorithms(configured: readonly DigestAlgorithm[], userAgent: string | undefined, md5Only: RegExp | undefined): readonly DigestAlgorithm[] {
  if (!configured.includes('MD5')) return configured;
  if (userAgent === undefined || userAgent.trim() === '') return ['MD5', ...configured.filter((a) => a !== 'MD5')];
  if (md5Only?.test(userAgent)) return ['MD5'];
  return configured;
}
