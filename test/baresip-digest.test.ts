import { getHeaders } from '@presence/sip';
import { afterEach, describe, expect, it } from 'vitest';
import { challengeAlgorithms } from '../services/sip-edge/src/challenge-order.js';
import { authorize, buildRequest, TestClient } from './support/sip-client.js';
import { startWorld, type World } from './support/world.js';

const BARESIP_1 = 'baresip v1.0.0 (x86_64/linux)';
const LYNC = 'UCCAPI/16.0.4849.1000 OC/16.0.4849.1000 (Skype for Business)';
const MD5_ONLY = /^baresip v?[01]\./i;

describe('RFC 8760 §2.4 challenge order for stock clients (issue 14 item 6)', () => {
  it.each([
    [LYNC, ['SHA-256', 'MD5']],
    [BARESIP_1, ['MD5']],
    ['baresip v3.10.1 (x86_64/Linux)', ['SHA-256', 'MD5']],
    [undefined, ['MD5', 'SHA-256']],
    ['  ', ['MD5', 'SHA-256']],
  ])('offers User-Agent %j the algorithms %j (default set SHA-256, MD5)', (ua, expected) => {
    expect(challengeAlgorithms(['SHA-256', 'MD5'], ua, MD5_ONLY)).toEqual(expected);
  });

  it('never offers MD5 when the operator removed it, whoever asks', () => {
    for (const ua of [LYNC, BARESIP_1, undefined]) expect(challengeAlgorithms(['SHA-256'], ua, MD5_ONLY)).toEqual(['SHA-256']);
  });

  it('keeps an operator’s own order for named clients', () => {
    expect(challengeAlgorithms(['MD5', 'SHA-256'], LYNC, MD5_ONLY)).toEqual(['MD5', 'SHA-256']);
    expect(challengeAlgorithms(['SHA-256', 'MD5'], BARESIP_1, undefined)).toEqual(['SHA-256', 'MD5']);
  });

  describe('through a real socket with the default configuration (digest)', () => {
    let w: World;
    afterEach(async () => w.stop());

    it('challenges by User-Agent, and each client authenticates with what it was offered first', async () => {
      w = await startWorld({ mode: 'embedded', env: { PRESENCE_AUTH: 'digest', PRESENCE_USERS_FILE: 'config/dev-users.json' } });
      const cases: [string | undefined, string[]][] = [
        [LYNC, ['SHA-256', 'MD5']],
        [BARESIP_1, ['MD5']],
        [undefined, ['MD5', 'SHA-256']],
      ];
      for (const [ua, expected] of cases) {
        const c = await TestClient.tcp(w.ports.tcp);
        try {
          const req = buildRequest(c, { method: 'REGISTER', headers: ua === undefined ? [] : [{ name: 'User-Agent', value: ua }] });
          const ch = await c.request(req);
          expect(ch.status).toBe(401);
          const offered = getHeaders(ch, 'WWW-Authenticate').map((h) => /algorithm=([\w-]+)/.exec(h)?.[1]);
          expect(offered).toEqual(expected);
          const ok = await c.request(authorize(req, ch, 'alice', 'alice-dev-password', offered[0] as 'MD5' | 'SHA-256'));
          expect(ok.status).toBe(200);
        } finally {
          c.close();
        }
      }
    });

    it('refuses to start with a PRESENCE_DIGEST_MD5_ONLY_AGENTS that is not a regular expression', async () => {
      await expect(startWorld({ mode: 'embedded', env: { PRESENCE_AUTH: 'digest', PRESENCE_USERS_FILE: 'config/dev-users.json', PRESENCE_DIGEST_MD5_ONLY_AGENTS: '(' } })).rejects.toThrow(/PRESENCE_DIGEST_MD5_ONLY_AGENTS/);
      w = { stop: async () => undefined } as unknown as World;
    });
  });
});
