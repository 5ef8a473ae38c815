import { describe, expect, it } from 'vitest';
import { availabilityName, availabilityValue, AVAILABILITY_NAMES } from '../src/availability.js';
import { FailureCounter, RateLimiter } from '../src/rate-limit.js';
import { TokenSigner } from '../src/tokens.js';
import { CategoryCache, presenceView } from '../src/views.js';

describe('tokens (HMAC-SHA256, shared by every web instance)', () => {
  const signer = new TokenSigner('s'.repeat(32));
  const claims = { sub: 'sip:alice@contoso.com', sid: 'abc', typ: 'access' as const, exp: 2_000 };

  it('verifies its own token of the right kind before it expires, and nothing else', () => {
    const t = signer.sign(claims);
    expect(signer.verify(t, 'access', 1_999)).toEqual(claims);
    expect(signer.verify(t, 'access', 2_000)).toBeUndefined();
    expect(signer.verify(t, 'refresh', 1_000)).toBeUndefined();
    expect(new TokenSigner('t'.repeat(32)).verify(t, 'access', 1_000)).toBeUndefined();
    const [body, mac] = t.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'sip:bob@contoso.com' })).toString('base64url');
    expect(signer.verify(`${forged}.${mac}`, 'access', 1_000)).toBeUndefined();
    for (const junk of ['', '.', 'x', `${body}.`, `${body}.${mac}x`, 'a'.repeat(5000), `${Buffer.from('{').toString('base64url')}.${mac}`]) {
      expect(signer.verify(junk, 'access', 1_000)).toBeUndefined();
    }
  });
});

describe('per-user limits', () => {
  it('lets a burst through, then refills at the rate; answers how long to wait', () => {
    let now = 0;
    const l = new RateLimiter(2, 3, 100, () => now);
    expect([l.take('a'), l.take('a'), l.take('a')]).toEqual([0, 0, 0]);
    expect(l.take('a')).toBe(1);
    expect(l.take('b')).toBe(0);
    now = 500;
    expect(l.take('a')).toBe(0);
    expect(l.take('a')).toBe(1);
  });

  it('keeps at most maxKeys keys', () => {
    const l = new RateLimiter(1, 1, 2, () => 0);
    l.take('a');
    l.take('b');
    l.take('c'); // drops 'a', which starts again with a full bucket
    expect(l.take('a')).toBe(0);
  });

  it('counts failures in a window', () => {
    let now = 0;
    const f = new FailureCounter(2, 1000, 10, () => now);
    f.fail('u');
    expect(f.blocked('u')).toBe(false);
    f.fail('u');
    expect(f.blocked('u')).toBe(true);
    now = 1001;
    expect(f.blocked('u')).toBe(false);
  });
});

describe('availability names ([MS-PRES] §3.7.5.5 bands)', () => {
  it('maps each name to the value Lync publishes, and back', () => {
    for (const n of AVAILABILITY_NAMES) expect(availabilityName(availabilityValue(n))).toBe(n);
    expect([2999, 3000, 5999, 6000, 8999, 9000, 11999, 12000, 14999, 15000, 17999, 18000].map(availabilityName)).toEqual([
      'unknown', 'available', 'available', 'busy', 'busy', 'do-not-disturb', 'do-not-disturb', 'be-right-back', 'be-right-back', 'away', 'away', 'offline',
    ]);
    expect(availabilityName(undefined)).toBe('unknown');
  });
});

describe('what a watcher holds of a presentity', () => {
  const state = (a: number) => `<state xsi:type="aggregateState" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/2006/09/sip/state"><availability>${a}</availability></state>`;

  it('merges changed categories; an emptied category goes unless a newer instance replaced it', () => {
    const c = new CategoryCache();
    c.apply('sip:b@x', [{ name: 'state', instance: '0', data: state(3500) }, { name: 'note', data: '<note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">hi</body></note>' }]);
    // Instance 1 appears and instance 0 is emptied in the same notification (aggregation moves instances).
    const merged = c.apply('sip:b@x', [{ name: 'state', instance: '1', data: state(6500) }, { name: 'state', instance: '0', data: '' }]);
    expect(presenceView('sip:b@x', merged)).toMatchObject({ availability: 6500, availabilityName: 'busy', note: 'hi' });
    const gone = c.apply('sip:b@x', [{ name: 'note', data: '' }, { name: 'state', data: '' }]);
    expect(presenceView('sip:b@x', gone)).toEqual({ uri: 'sip:b@x', availability: null, availabilityName: 'unknown', activity: null, note: null, displayName: null, lastActive: null });
  });
});
