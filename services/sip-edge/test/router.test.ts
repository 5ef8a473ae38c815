import { dialogTag } from '@presence/presence';
import type { SipRequest } from '@presence/sip';
import { describe, expect, it } from 'vitest';
import { routeRequest } from '../src/router.js';

const subscribe = (headers: Record<string, string | string[]>): SipRequest => ({
  type: 'request',
  method: 'SUBSCRIBE',
  uri: 'sip:alice@contoso.com',
  headers: Object.entries(headers).flatMap(([name, v]) => (Array.isArray(v) ? v : [v]).map((value) => ({ name, value }))),
  body: Buffer.alloc(0),
});
const CATEGORIES = 'application/msrtc-event-categories+xml, application/rlmi+xml, multipart/related';

describe('routing SUBSCRIBE (RFC 6665 §4.1.2.3: within a dialog, to its owner)', () => {
  it('routes dialog-creating presence SUBSCRIBEs by Accept: categories to subscription, PIDF to federation', () => {
    expect(routeRequest(subscribe({ To: '<sip:alice@contoso.com>', Event: 'presence', Accept: CATEGORIES }))).toEqual({ service: 'subscription' });
    expect(routeRequest(subscribe({ To: '<sip:alice@contoso.com>', Event: 'presence', Accept: 'application/pidf+xml' }))).toEqual({ service: 'federation' });
    expect(routeRequest(subscribe({ To: '<sip:alice@contoso.com>', Event: 'presence' }))).toEqual({ service: 'federation' });
    // RFC 3857 watcher info comes from the subscriber list the federation service keeps for legacy watchers.
    expect(routeRequest(subscribe({ To: '<sip:alice@contoso.com>', Event: 'presence.winfo' }))).toEqual({ service: 'federation' });
  });

  it('routes a SUBSCRIBE within a dialog by the To tag its owner chose, whatever its Accept or Event', () => {
    const tag = dialogTag('subscription', 'c9230080');
    expect(tag).toBe('C9230080'); // the form of [MS-PRES] §4.5's tags, and of every tag the service gave
    // The sign-out unSUBSCRIBE of a Lync-family client: no Accept, no body.
    expect(routeRequest(subscribe({ To: `<sip:alice@contoso.com>;tag=${tag}`, Event: 'presence', Expires: '0' }))).toEqual({ service: 'subscription' });
    expect(routeRequest(subscribe({ To: `<sip:alice@contoso.com>;tag=${tag}`, Event: 'presence', Accept: 'application/pidf+xml' }))).toEqual({ service: 'subscription' });
    // The owner answers a wrong Event on its dialog (481); the edge does not second-guess it.
    expect(routeRequest(subscribe({ To: `<sip:alice@contoso.com>;tag=${tag}`, Event: 'nonsense' }))).toEqual({ service: 'subscription' });
    expect(routeRequest(subscribe({ To: `<sip:alice@contoso.com>;tag=${dialogTag('federation', 'ab12cd34')}`, Event: 'presence', Accept: CATEGORIES }))).toEqual({ service: 'federation' });
  });

  it('falls back to Event and Accept for tags that name no owner (another form)', () => {
    // The edge's own tags (16 lower-case hex digits), another server's, malformed ones.
    for (const tag of ['3f9a0c1d2e4b5a69', 'c9230080', 'C923008', 'fed-', 'fed-12', 'sub-C9230080']) {
      expect(routeRequest(subscribe({ To: `<sip:alice@contoso.com>;tag=${tag}`, Event: 'presence' }))).toEqual({ service: 'federation' });
      expect(routeRequest(subscribe({ To: `<sip:alice@contoso.com>;tag=${tag}`, Event: 'bogus' }))).toEqual({ status: 489, allowEvents: true });
    }
  });

  it('refuses to make a tag of anything but eight hex digits', () => {
    expect(() => dialogTag('subscription', 'xyz')).toThrow(RangeError);
  });
});
