import { getHeader } from '@presence/sip';
import { expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { parts } from './support/multipart.js';

export interface TwoPools {
  /** Edge TCP ports (one or two edges). */
  edges: number[];
  poolA: string;
  poolB: string;
  gruuB: string;
}

const NOTE = (text: string) =>
  `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:carol@contoso.com"><publication categoryName="note" instance="0" container="0" version="0" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">${text}</body></note></publication></publications></publish>`;

/** Alice (pool A) watches Bob (A) and Carol (B): Carol comes back as resubscribe with B's GRUU, which then serves her. */
/** `notifyTimeoutMs`: how long the change may take to arrive (a freshly formed replicated cluster needs longer for its first events). */
export function resubscribeAcrossPools(setup: () => TwoPools, notifyTimeoutMs = 5000): void {
  it('answers a resource of another pool with resubscribe and that pool’s GRUU; the follow-up to the GRUU is served there and carries changes', async () => {
    const w = setup();
    const alice = await LyncClient.connect(w.edges[0]!, 'sip:alice@contoso.com', 'a1');
    const carol = await LyncClient.connect(w.edges[w.edges.length - 1]!, 'sip:carol@contoso.com', 'c1');
    try {
      await alice.register();
      await carol.register();
      const first = await alice.categorySubscribe([{ uri: 'sip:bob@contoso.com' }, { uri: 'sip:carol@contoso.com' }], { categories: ['note'] });
      expect(first.status).toBe(200);
      const [rlmi, ...cats] = parts(first);
      expect(rlmi!.body).toContain(
        `<resource uri="sip:carol@contoso.com"><instance id="0" state="resubscribe" cid="carol@contoso.com" poolFqdn="${w.gruuB}"/></resource>`,
      );
      expect(cats.map((p) => /uri="([^"]+)"/.exec(p.body)![1])).toEqual(['sip:bob@contoso.com']);

      alice.categoryDialog = undefined; // a new batch dialog, at pool B
      const second = await alice.categorySubscribe([{ uri: 'sip:carol@contoso.com' }], { categories: ['note'], requestUri: w.gruuB });
      expect(second.status).toBe(200);
      expect(parts(second).map((p) => /uri="([^"]+)"/.exec(p.body)![1])).toEqual(['sip:alice@contoso.com', 'sip:carol@contoso.com']);

      expect((await carol.service('application/msrtc-category-publish+xml', NOTE('across pools'))).status).toBe(200);
      const n = await alice.nextNotify(notifyTimeoutMs, (m) => m.body.toString().includes('across pools'));
      expect(getHeader(n, 'Call-ID')).toBe(alice.categoryDialog!.callId);

      const unknown = await alice.categorySubscribe([{ uri: 'sip:carol@contoso.com' }], { requestUri: 'sip:x.contoso.com@contoso.com;gruu;opaque=srvr:HomeServer:nope' });
      expect(unknown.status).toBe(404);
    } finally {
      alice.close();
      carol.close();
    }
  });
}
