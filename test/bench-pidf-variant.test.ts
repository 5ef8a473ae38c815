import { parsePidf } from '@presence/documents';
import { stateOfPidf } from '@presence/presence';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ES module of the benchmark, no types
import { kamailioCfg } from '../bench/kamailio-server.mjs';
// @ts-expect-error plain ES module of the benchmark, no types
import { PIDF_CYCLE, pidfNote, pidfSeq } from '../bench/load-client.mjs';

// The PIDF variant of the load model (bench/README.md): what its publishers send must be a PIDF
// document this server reads (RFC 3863 / RPID RFC 4480, [MS-PRES] §3.7), each publish must change
// the state a watcher sees, and the watcher must read the sequence back from what it gets.
const entity = 'sip:p1@contoso.com';

describe('bench PIDF variant', () => {
  it('publishes documents this server parses, each in a different state from the one before', () => {
    const states = [1, 2, 3, 4, 5].map((seq) => {
      const doc = parsePidf(pidfNote(entity, seq) as string);
      if (!doc.ok) throw new Error(doc.error.message);
      expect(doc.value.note).toBe(`q${seq}`);
      return JSON.stringify(stateOfPidf(doc.value.basic, doc.value.activities));
    });
    for (let i = 1; i < states.length; i++) expect(states[i]).not.toBe(states[i - 1]);
    const probe = parsePidf(pidfNote(entity, 9, true) as string);
    expect(probe.ok && probe.value.basic).toBe('closed');
  });

  it('reads the sequence from the note when there is one', () => {
    expect(pidfSeq('<presence><note>q41</note></presence>', 7, 41)).toBe(41);
  });

  it('reads it from this server\'s activity otherwise: the next one with that activity, or the latest sent', () => {
    const doc = (activity: string) => `<presence><tuple id="0"><status><basic>open</basic>${activity ? `<ep:activities><ep:activity>${activity}</ep:activity></ep:activities>` : ''}</status></tuple></presence>`;
    const L = PIDF_CYCLE.length as number;
    expect(L).toBe(4);
    expect(pidfSeq(doc('busy'), 4, 5)).toBe(5); // 5 % 4 = 1 = busy
    expect(pidfSeq(doc('away'), 4, 7)).toBe(6);
    expect(pidfSeq(doc(''), 5, 8)).toBe(8); // available: 8 % 4 = 0
    expect(pidfSeq(doc('on-the-phone'), 0, 12)).toBe(11); // a first NOTIFY: the latest such sent
    expect(pidfSeq(doc('busy'), 6, 13)).toBe(9); // states 7 and 8 skipped
    expect(pidfSeq('<presence><tuple id="0"><status><basic>closed</basic></status></tuple></presence>', 0, 3)).toBeUndefined();
  });

  it('configures Kamailio with the presence modules in memory, no authentication, TCP on the given port', () => {
    const cfg = kamailioCfg({ port: 45678, dbDir: '/tmp/x/db', workers: 3 }) as string;
    expect(cfg).toContain('listen=tcp:127.0.0.1:45678');
    expect(cfg).toContain('modparam("presence", "subs_db_mode", 0)');
    expect(cfg).toContain('modparam("presence", "publ_cache", 2)');
    expect(cfg).toContain('modparam("presence_xml", "force_active", 1)');
    expect(cfg).toMatch(/tcp_children=3/);
    expect(cfg).toMatch(/handle_publish\(\); else handle_subscribe\(\);/);
    expect(cfg).not.toMatch(/auth/);
  });
});
