import { getHeader } from '@presence/sip';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { PidfClient, pidfDoc, type Dialog } from './support/pidf-client.js';
import { startWorld, type World } from './support/world.js';

// Issue 13: changes that arrive together are fanned out as one batch, and a dialog watching several
// changed publishers takes one CSeq per publisher in a single commit. Bursts from two publishers on
// one batch dialog must still come out in order: CSeqs strictly increasing, each publisher's states
// only going forward, and each publisher's last state delivered.

const PUBLISH = 'application/msrtc-category-publish+xml';
const BOB = 'sip:bob@contoso.com';
const JOHN = 'sip:john@contoso.com';
const ALICE = 'sip:alice@contoso.com';
const note = (user: string, v: number) =>
  `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${user}"><publication categoryName="note" instance="0" container="0" version="${v}" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">k${v}</body></note></publication></publications></publish>`;

describe.each(['embedded', 'clustered'] as const)('batched fan-out (%s)', (mode) => {
  let w: World;
  const clients: { close(): void }[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await w.stop();
  });

  it('keeps CSeq and state order on a dialog watching two publishers that change at once', async () => {
    w = await startWorld({ mode, natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl') });
    const [bob, john, alice] = await Promise.all([LyncClient.connect(w.ports.tcp, BOB, 'b1'), LyncClient.connect(w.ports.tcp, JOHN, 'j1'), LyncClient.connect(w.ports.tcp, ALICE, 'a1')]);
    clients.push(bob, john, alice);
    for (const c of [bob, john, alice]) await c.register();
    expect((await alice.categorySubscribe([{ uri: BOB }, { uri: JOHN }], { categories: ['note'] })).status).toBe(200);
    const K = 15;
    // Both publish one after the other each, at the same time as each other.
    await Promise.all(
      [bob, john].map(async (c) => {
        for (let v = 0; v < K; v++) expect((await c.service(PUBLISH, note(c === bob ? BOB : JOHN, v))).status).toBe(200);
      }),
    );
    const got: { cseq: number; from: string; k: number }[] = [];
    const last = { [BOB]: -1, [JOHN]: -1 } as Record<string, number>;
    while (last[BOB] !== K - 1 || last[JOHN] !== K - 1) {
      const m = await alice.nextNotify(10_000);
      const body = m.body.toString();
      const from = /<categories[^>]*\suri="([^"]+)"/.exec(body)?.[1] ?? '';
      const k = Number(/>k(\d+)</.exec(body)?.[1] ?? -1);
      got.push({ cseq: Number(getHeader(m, 'CSeq')!.split(' ')[0]), from, k });
      if (from in last) last[from] = Math.max(last[from]!, k);
    }
    const cseqs = got.map((g) => g.cseq);
    expect(cseqs).toEqual([...cseqs].sort((a, b) => a - b));
    expect(new Set(cseqs).size).toBe(cseqs.length);
    for (const who of [BOB, JOHN]) {
      const ks = got.filter((g) => g.from === who).map((g) => g.k);
      expect(ks).toEqual([...new Set(ks)].sort((a, b) => a - b));
      expect(ks.at(-1)).toBe(K - 1);
    }
  }, 60_000);

  it('PIDF: each watcher dialog gets its own publisher’s documents, in CSeq order and only forward, when publishers change together', async () => {
    w = await startWorld({ mode, natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl') });
    const [bob, john, alice, carol] = await Promise.all([BOB, JOHN, ALICE, 'sip:carol@contoso.com'].map((u) => PidfClient.connect(w.ports.tcp, u)));
    clients.push(bob!, john!, alice!, carol!);
    const watches: { watcher: PidfClient; dialog: Dialog; publisher: string }[] = [];
    for (const watcher of [alice!, carol!]) {
      for (const publisher of [BOB, JOHN]) {
        const { res, dialog } = await watcher.subscribe(publisher);
        expect(res.status).toBe(200);
        await watcher.nextNotify(dialog);
        watches.push({ watcher, dialog, publisher });
      }
    }
    const K = 15;
    // The two publish at the same time, each one PUBLISH after the other (RFC 3903 modify with the last entity tag).
    await Promise.all(
      [bob!, john!].map(async (c) => {
        let etag: string | undefined;
        for (let v = 0; v < K; v++) {
          const r = await c.publish(pidfDoc(c.user, 'open', [], `k${v}`), etag ? { etag } : {});
          expect(r.status).toBe(200);
          etag = getHeader(r, 'SIP-ETag');
        }
      }),
    );
    for (const { watcher, dialog, publisher } of watches) {
      const got: { cseq: number; k: number }[] = [];
      while (got.at(-1)?.k !== K - 1) {
        const m = await watcher.nextNotify(dialog, 10_000);
        const body = m.body.toString();
        // The document is the dialog's own publisher's: a batch of two users' changes never crosses them.
        expect(/entity="([^"]+)"/.exec(body)?.[1]).toBe(publisher);
        got.push({ cseq: Number(getHeader(m, 'CSeq')!.split(' ')[0]), k: Number(/<note>k(\d+)<\/note>/.exec(body)?.[1] ?? -1) });
      }
      const cseqs = got.map((g) => g.cseq);
      expect(cseqs).toEqual([...new Set(cseqs)].sort((a, b) => a - b));
      const ks = got.map((g) => g.k);
      expect(ks).toEqual([...new Set(ks)].sort((a, b) => a - b));
    }
  }, 60_000);
});
