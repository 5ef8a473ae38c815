import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { authorize, buildRequest, TestClient } from '../../../test/support/sip-client.js';
import { startEdgeWorld, type EdgeWorld } from './support/edge-world.js';

/** A raw TCP connection; `closed` turns true when the server closes it. */
async function raw(port: number): Promise<{ socket: net.Socket; closed: () => boolean; closedAt: () => number }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((r, j) => socket.once('connect', r).once('error', j));
  let at = 0;
  socket.on('close', () => (at = Date.now()));
  socket.on('error', () => undefined);
  return { socket, closed: () => at !== 0, closedAt: () => at };
}

describe('connection limits and timeouts (issue 12 item 4)', () => {
  let w: EdgeWorld;
  const open: { socket: net.Socket }[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) s.socket.destroy();
    await w.stop();
  });
  const conn = async (port: number) => {
    const c = await raw(port);
    open.push(c);
    return c;
  };

  it('closes connections from one address past SIP_MAX_CONNECTIONS_PER_IP, and takes new ones when some close', async () => {
    w = await startEdgeWorld({ SIP_MAX_CONNECTIONS_PER_IP: '3' });
    const first = await Promise.all([1, 2, 3].map(() => conn(w.edge.ports.tcp)));
    const fourth = await conn(w.edge.ports.tcp);
    await expect.poll(() => fourth.closed()).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(first.map((c) => c.closed())).toEqual([false, false, false]);
    // The TLS port counts raw connections before their handshake: the same address is full there too.
    const tls = await conn(w.edge.ports.tls);
    await expect.poll(() => tls.closed()).toBe(true);
    first[0]!.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const again = await TestClient.tcp(w.edge.ports.tcp);
    expect((await again.request(buildRequest(again, { method: 'OPTIONS' }))).status).toBe(200);
    again.close();
  });

  it('counts only connections not signed in: clients behind one address that signed in leave room for more', async () => {
    w = await startEdgeWorld({ SIP_MAX_CONNECTIONS_PER_IP: '2', PRESENCE_AUTH: 'none' });
    const signed: TestClient[] = [];
    for (const user of ['alice', 'bob', 'carol', 'john']) {
      const c = await TestClient.tcp(w.edge.ports.tcp);
      signed.push(c);
      expect((await c.request(buildRequest(c, { method: 'REGISTER', user: `sip:${user}@contoso.com` }))).status).toBe(200);
    }
    // Four signed in from 127.0.0.1, past a cap of 2: two more that do not sign in fill it.
    const idle = await Promise.all([1, 2].map(() => conn(w.edge.ports.tcp)));
    const third = await conn(w.edge.ports.tcp);
    await expect.poll(() => third.closed()).toBe(true);
    expect(idle.map((c) => c.closed())).toEqual([false, false]);
    expect(signed.map((c) => c.closed)).toEqual([false, false, false, false]);
    for (const c of signed) c.close();
  });

  it('lets one user hold at most SIP_MAX_CONNECTIONS_PER_USER signed-in connections', async () => {
    w = await startEdgeWorld({ SIP_MAX_CONNECTIONS_PER_USER: '2', PRESENCE_AUTH: 'none' });
    const cs = await Promise.all([1, 2, 3].map(() => TestClient.tcp(w.edge.ports.tcp)));
    const register = (c: TestClient, epid: string) => c.request(buildRequest(c, { method: 'REGISTER', epid }));
    expect((await register(cs[0]!, 'e1')).status).toBe(200);
    expect((await register(cs[1]!, 'e2')).status).toBe(200);
    const third = await register(cs[2]!, 'e3');
    expect(third.status).toBe(503);
    expect(third.reason).toBe('Too Many Connections');
    // Another user is not affected; and once one of Alice's connections closes, the third may sign in.
    const bob = await TestClient.tcp(w.edge.ports.tcp);
    expect((await bob.request(buildRequest(bob, { method: 'REGISTER', user: 'sip:bob@contoso.com' }))).status).toBe(200);
    cs[0]!.close();
    await new Promise((r) => setTimeout(r, 300)); // past the refused connection's read penalty
    await expect.poll(async () => (await register(cs[2]!, 'e3')).status, { timeout: 3000, interval: 300 }).toBe(200);
    for (const c of [...cs, bob]) c.close();
  });

  it('closes a connection that does not sign in, and keeps one that did (digest) past the same time', async () => {
    w = await startEdgeWorld({ SIP_UNAUTHENTICATED_IDLE_MS: '400' });
    const idle = await conn(w.edge.ports.tcp);
    const signed = await TestClient.tcp(w.edge.ports.tcp);
    const reg = buildRequest(signed, { method: 'REGISTER' });
    expect((await signed.request(authorize(reg, await signed.request(reg), 'alice', 'alice-dev-password'))).status).toBe(200);
    // Challenged but never answering counts as not signed in.
    const challenged = await TestClient.tcp(w.edge.ports.tcp);
    expect((await challenged.request(buildRequest(challenged, { method: 'REGISTER' }))).status).toBe(401);
    // CRLF keep-alives do not keep a connection that never signed in.
    const pinger = setInterval(() => idle.socket.write('\r\n\r\n'), 100);
    await expect.poll(() => idle.closed(), { timeout: 3000 }).toBe(true);
    clearInterval(pinger);
    await expect.poll(() => challenged.closed, { timeout: 3000 }).toBe(true);
    await new Promise((r) => setTimeout(r, 600));
    expect(signed.closed).toBe(false);
    expect((await signed.request(buildRequest(signed, { method: 'OPTIONS' }))).status).toBe(200);
    signed.close();
  });

  it('closes a slow sender (1 byte per 100 ms) once SIP_MESSAGE_TIMEOUT_MS has passed since its first byte', async () => {
    w = await startEdgeWorld({ SIP_MESSAGE_TIMEOUT_MS: '500', SIP_UNAUTHENTICATED_IDLE_MS: '60000' });
    const slow = await conn(w.edge.ports.tcp);
    const text = 'OPTIONS sip:alice@contoso.com SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKslow\r\n';
    const t0 = Date.now();
    for (let i = 0; i < text.length && !slow.closed(); i++) {
      slow.socket.write(text[i]!);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(slow.closed()).toBe(true);
    expect(slow.closedAt() - t0).toBeGreaterThanOrEqual(450);
    expect(slow.closedAt() - t0).toBeLessThan(3000);
  });

  it('closes a TLS connection whose handshake does not finish within SIP_TLS_HANDSHAKE_TIMEOUT_MS', async () => {
    w = await startEdgeWorld({ SIP_TLS_HANDSHAKE_TIMEOUT_MS: '300', SIP_UNAUTHENTICATED_IDLE_MS: '60000' });
    const stalled = await conn(w.edge.ports.tls);
    const t0 = Date.now();
    await expect.poll(() => stalled.closed(), { timeout: 3000 }).toBe(true);
    expect(stalled.closedAt() - t0).toBeGreaterThanOrEqual(250);
  });
});
