import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { repoRoot } from './support/process.js';
import { startWorld, type World } from './support/world.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ALICE = 'sip:alice@contoso.com';
const BOB = 'sip:bob@contoso.com';
const PUBLISH = 'application/msrtc-category-publish+xml';
const STATE_NS = 'xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const machineState = (container: number, version: number, availability: number) =>
  `<publication categoryName="state" instance="809938687" container="${container}" version="${version}" expireType="endpoint"><state ${STATE_NS} manual="false" xsi:type="machineState"><availability>${availability}</availability><device>computer</device></state></publication>`;
const userState = (container: number, version: number, availability: number) =>
  `<publication categoryName="state" instance="536870912" container="${container}" version="${version}" expireType="static"><state ${STATE_NS} manual="true" xsi:type="userState"><availability>${availability}</availability></state></publication>`;
const publish = (pubs: string) => `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${BOB}">${pubs}</publications></publish>`;
const note = (container: number, text: string) =>
  `<publication categoryName="note" instance="0" container="${container}" version="0" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">${text}</body></note></publication>`;

/** Where the test's screenshot goes; `WEB_SCREENSHOT=docs/web-page.png` refreshes README's picture. */
const SCREENSHOT = process.env.WEB_SCREENSHOT ? join(repoRoot, process.env.WEB_SCREENSHOT) : join(tmpdir(), 'presence-web-page.png');

describe('the presence page in a real browser (Debian chromium) with a Lync-style SIP client', () => {
  let w: World;
  let browser: Browser;
  let profile: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does), or set CHROMIUM_PATH`);
    }
    profile = mkdtempSync(join(tmpdir(), 'web-e2e-chromium-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`].filter(
        // playwright passes its own profile directory unless told otherwise; ours is fresh too.
        (a) => !a.startsWith('--user-data-dir'),
      ),
    });
    // The server's own minimum subscription length, as `npm start` runs (the test worlds lower it).
    w = await startWorld({ mode: 'embedded', env: { SUBSCRIBE_MIN_EXPIRES: '1200' } });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await w?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('alice signs in with the keyboard; bob’s Busy shows within 1 s; her Away reaches bob’s client as 15500 within 1 s', async () => {
    const bob = await LyncClient.connect(w.ports.tcp, BOB, 'b1');
    try {
      await bob.register();
      // Bob's colleagues container, as Lync sets it up; he is available and has a note.
      expect((await bob.service('application/msrtc-setcontainermembers+xml', '<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management"><container id="200" version="0"><member type="sameEnterprise"/></container></setContainerMembers>')).status).toBe(200);
      expect((await bob.service(PUBLISH, publish(machineState(2, 0, 3500) + machineState(3, 0, 3500) + note(200, 'In the lab today')))).status).toBe(200);

      const page = await browser.newPage({ viewport: { width: 900, height: 620 } });
      page.setDefaultTimeout(10_000);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${w.proc.httpPort}/`);

      // Keyboard only: the skip link, then the form fields in order, Enter submits.
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
      await page.focus('#user');
      await page.keyboard.type('alice@contoso.com');
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('password');
      await page.keyboard.type('alice-dev-password');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#app-view:not([hidden])');
      expect(await page.textContent('#who')).toBe('Signed in as alice@contoso.com');
      await page.waitForSelector('#live:text("Live")');

      // Alice adds Bob on the page: the list change comes back over the stream with his presence.
      await page.fill('#add-uri', 'bob@contoso.com');
      await page.press('#add-uri', 'Enter');
      const bobRow = `li[data-uri="${BOB}"]`;
      await page.waitForSelector(`${bobRow} .state[data-availability="available"]`);
      expect(await page.textContent(`${bobRow} .detail`)).toContain('“In the lab today”');

      // Bob subscribes to Alice as his Lync client would.
      await bob.categorySubscribe([{ uri: ALICE }], { categories: ['state', 'note'] });
      await new Promise((r) => setTimeout(r, 200));
      bob.sip.received.length = 0;

      // Bob sets Busy in his client: the page shows it within 1 s.
      const t0 = Date.now();
      expect((await bob.service(PUBLISH, publish(userState(2, 0, 6500) + userState(3, 0, 6500)))).status).toBe(200);
      await page.waitForSelector(`${bobRow} .state[data-availability="busy"]`, { timeout: 1000 });
      const shownMs = Date.now() - t0;
      expect(await page.textContent(`${bobRow} .state`)).toBe('Busy');
      expect(shownMs).toBeLessThan(1000);

      // Alice sets Away on the page: Bob's SIP client gets availability 15500 within 1 s.
      await page.selectOption('#availability', 'away');
      const t1 = Date.now();
      await page.click('#me button[type="submit"]');
      const n = await bob.nextNotify(1000, (m) => m.body.toString().includes('<availability>15500</availability>'));
      const deliveredMs = Date.now() - t1;
      expect(n.body.toString()).toContain('uri="sip:alice@contoso.com"');
      expect(deliveredMs).toBeLessThan(1000);
      await page.waitForSelector('#me-status:text("You are away.")');

      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(existsSync(SCREENSHOT)).toBe(true);
      expect(errors).toEqual([]);
      console.log(`[web-browser] Busy shown on the page after ${shownMs} ms; Away at Bob's client after ${deliveredMs} ms; screenshot ${SCREENSHOT}`);
      await page.close();
    } finally {
      bob.close();
    }
  }, 60_000);
});
