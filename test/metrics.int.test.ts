import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from './support/process.js';
import { LyncClient } from './support/lync-client.js';
import { startWorld, type World } from './support/world.js';

const BOB = 'sip:bob@contoso.com';
const ALICE = 'sip:alice@contoso.com';
const PUBLISH = 'application/msrtc-category-publish+xml';
const NOTE = `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${BOB}"><publication categoryName="note" instance="0" container="400" version="0" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">In a meeting</body></note></publication></publications></publish>`;

/** Parses Prometheus text into `name{labels}` → value, labels sorted as the exporter writes them. */
async function scrape(w: World): Promise<{ text: string; value(name: string, labels?: Record<string, string>): number | undefined }> {
  const text = await fetch(`http://127.0.0.1:${w.proc.httpPort}/metrics`).then((r) => r.text());
  return {
    text,
    value(name, labels = {}) {
      let total: number | undefined;
      for (const line of text.split('\n')) {
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const got = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
        if (Object.entries(labels).every(([k, v]) => got[k] === v)) total = (total ?? 0) + Number(m[3]);
      }
      return total;
    },
  };
}

describe('/metrics after a scripted sign-in, publish and subscribe (issue 16 item 1)', () => {
  let w: World | undefined;
  const clients: LyncClient[] = [];
  /** What the runs above exposed (the tests of this file run in order). */
  const scraped: string[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await w?.stop();
    w = undefined;
  });

  it('counts SIP requests by method, status, transport and pool; registrations, subscriptions by kind, notifications, connections; runtime metrics', async () => {
    w = await startWorld({ mode: 'embedded' });
    const pool = w.pool;
    const bob = await LyncClient.connect(w.ports.tcp, BOB);
    const alice = await LyncClient.connect(w.ports.tcp, ALICE);
    clients.push(bob, alice);
    await bob.register();
    await alice.register();
    expect((await bob.selfSubscribe()).status).toBe(200);
    expect((await bob.service(PUBLISH, NOTE)).status).toBe(200);
    // Alice's client takes NOTIFY, not BENOTIFY: the server waits for her answers.
    expect((await alice.categorySubscribe([{ uri: BOB }], { benotify: false })).status).toBe(200);
    expect((await bob.request('OPTIONS')).status).toBe(200);
    // Bob's self subscription hears of his publication.
    await bob.nextNotify();
    // Readiness probes ping every service over the bus: that is not traffic to count (issue 16 item 3).
    for (let i = 0; i < 3; i++) expect((await fetch(`http://127.0.0.1:${w.proc.httpPort}/readyz`)).status).toBe(200);

    const m = await scrape(w);
    expect(m.text).toMatch(/^bus_requests_total\{/m);
    expect(m.text).not.toMatch(/command="[^"]*\.ping"/);
    const tcp = { transport: 'tcp' };
    expect(m.value('sip_server_requests_total', { ...tcp, method: 'REGISTER', status_code: '200', pool: 'none' })).toBe(2);
    expect(m.value('sip_server_requests_total', { ...tcp, method: 'OPTIONS', status_code: '200', pool: 'none' })).toBe(1);
    expect(m.value('sip_server_requests_total', { ...tcp, method: 'SUBSCRIBE', status_code: '200', pool })).toBe(2);
    expect(m.value('sip_server_requests_total', { ...tcp, method: 'SERVICE', status_code: '200', pool })).toBe(1);
    expect(m.value('sip_server_requests_total')).toBe(6);
    expect(m.value('sip_server_request_duration_seconds_count', { method: 'SUBSCRIBE', pool })).toBe(2);
    expect(m.value('sip_server_request_duration_seconds_bucket', { method: 'SUBSCRIBE', pool, le: '+Inf' })).toBe(2);
    expect(m.value('sip_server_request_duration_seconds_sum', { method: 'SUBSCRIBE', pool })).toBeGreaterThan(0);
    expect(m.value('sip_server_connections', tcp)).toBe(2);
    expect(m.value('sip_server_connections', { transport: 'tls' })).toBe(0);
    expect(m.value('presence_registrations_total', { action: 'register' })).toBe(2);
    expect(m.value('presence_registrations_active')).toBe(2);
    expect(m.value('presence_subscriptions_total', { kind: 'vnd-microsoft-roaming-self', status_code: '200', pool })).toBe(1);
    expect(m.value('presence_subscriptions_total', { kind: 'presence', status_code: '200', pool })).toBe(1);
    expect(m.value('presence_notifications_total', { result: 'sent' })).toBeGreaterThanOrEqual(1);
    expect(m.value('presence_notifications_total', { result: 'failed' })).toBeUndefined();
    expect(m.value('sip_server_auth_failures_total')).toBeUndefined();
    // Active subscription dialogs by kind: Bob's self dialog, Alice's batch category dialog.
    expect(m.value('presence_dialogs_active', { kind: 'vnd-microsoft-roaming-self' })).toBe(1);
    expect(m.value('presence_dialogs_active', { kind: 'presence' })).toBe(1);
    expect(m.value('presence_dialogs_active', { kind: 'other' })).toBe(0);
    expect(m.value('presence_dialogs_active')).toBe(2);
    // Runtime metrics, OTel semantic-convention names with their units.
    expect(m.value('v8js_memory_heap_used_bytes')).toBeGreaterThan(1_000_000);
    expect(m.value('process_memory_usage_bytes')).toBeGreaterThan(1_000_000);
    expect(m.value('process_open_file_descriptor_count')).toBeGreaterThan(5);
    expect(m.value('nodejs_eventloop_delay_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(m.value('process_cpu_time_seconds_total', { cpu_mode: 'user' })).toBeGreaterThan(0);

    scraped.push(m.text);
    // Bob's next note, in the default container (0), reaches Alice as a NOTIFY, which her client answers 200.
    expect((await bob.service(PUBLISH, NOTE.replace('container="400"', 'container="0"').replace('In a meeting', 'Back at 3'))).status).toBe(200);
    await alice.nextNotify(5000, (n) => n.body.toString().includes('Back at 3'));
    await expect
      .poll(async () => (await scrape(w!)).value('presence_notification_responses_total', { method: 'NOTIFY', status_code: '200' }), { timeout: 3000 })
      .toBeGreaterThanOrEqual(1);

    // Sign-out: one unregister, one binding fewer; a closed connection leaves the gauge.
    expect((await alice.unregister()).status).toBe(200);
    alice.close();
    clients.splice(clients.indexOf(alice), 1);
    await expect.poll(async () => (await scrape(w!)).value('sip_server_connections', tcp), { timeout: 3000 }).toBe(1);
    const after = await scrape(w);
    scraped.push(after.text);
    expect(after.value('presence_registrations_total', { action: 'unregister' })).toBe(1);
    expect(after.value('presence_registrations_active')).toBe(1);
    // Alice's connection is gone, and her dialog with it; Bob's self dialog stays.
    expect(after.value('presence_dialogs_active', { kind: 'presence' })).toBe(0);
    expect(after.value('presence_dialogs_active', { kind: 'vnd-microsoft-roaming-self' })).toBe(1);
    // Bob ends his self subscription (Expires: 0).
    expect((await bob.selfSubscribe({ expires: 0 })).status).toBe(200);
    expect((await scrape(w)).value('presence_dialogs_active')).toBe(0);
  });

  it('counts refused credentials as authentication failures, not the first challenge', async () => {
    w = await startWorld({ mode: 'embedded', env: { PRESENCE_AUTH: 'digest' } });
    const bob = await LyncClient.connect(w.ports.tcp, BOB);
    clients.push(bob);
    const challenge = await bob.request('REGISTER');
    expect(challenge.status).toBe(401);
    const bad = await bob.request('REGISTER', {
      headers: [{ name: 'Authorization', value: 'Digest username="bob@contoso.com", realm="contoso.com", nonce="x", uri="sip:contoso.com", response="00", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="c"' }],
    });
    expect([401, 403]).toContain(bad.status);
    const m = await scrape(w);
    scraped.push(m.text);
    expect(m.value('sip_server_auth_failures_total')).toBe(1);
    expect(m.value('sip_server_auth_failures_total', { status_code: String(bad.status) })).toBe(1);
    expect(m.value('sip_server_requests_total', { method: 'REGISTER', status_code: '401' })).toBe(bad.status === 401 ? 2 : 1);
  });

  it('every metric the Grafana dashboard queries is one the runs above exposed', () => {
    const dashboard = readFileSync(`${repoRoot}deploy/grafana/presence.json`, 'utf8');
    const queried = new Set(dashboard.match(/\b(?:sip|presence|bus|nodejs|v8js|process)_[a-z0-9_]+/g));
    expect(queried.size).toBeGreaterThan(10);
    expect(scraped).toHaveLength(3);
    for (const name of queried) expect(scraped.join('\n'), name).toMatch(new RegExp(`^${name}[{ ]`, 'm'));
  });
});
