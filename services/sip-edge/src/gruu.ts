import { createHash } from 'node:crypto';

/**
 * The GRUU of one endpoint of a user, in the form MS-PRES clients use
 * (`sip:bob@contoso.com;opaque=user:epid:fvceImg6cFWG7W6lvUt_-AAA;gruu`, [MS-PRES] §4.2.1; RFC 5627).
 * The opaque part is derived from the user and the endpoint's instance id (or epid), so the same
 * endpoint gets the same GRUU on every registration and nothing about it is revealed.
 */
export function endpointGruu(aor: string, endpointKey: string): string {
  const id = createHash('sha256').update(`${aor}\u0000${endpointKey}`).digest().subarray(0, 16).toString('base64url');
  return `${aor};opaque=user:epid:${id}AA;gruu`;
}
