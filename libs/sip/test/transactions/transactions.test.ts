import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createResponse,
  NonInviteClientTransaction,
  NonInviteServerTransaction,
  parseMessage,
  TransactionStateError,
  type SipRequest,
  type SipResponse,
  type Timers,
} from '../../src/index.js';
import { sip } from '../support/messages.js';

const fakeTimers: Timers = { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as NodeJS.Timeout) };
const T1 = 500;

function request(): SipRequest {
  const r = parseMessage(
    sip(['REGISTER sip:contoso.com SIP/2.0', 'Via: SIP/2.0/UDP h:5060;branch=z9hG4bK1', 'From: <sip:a@contoso.com>;tag=1', 'To: <sip:a@contoso.com>', 'Call-ID: c1', 'CSeq: 1 REGISTER', 'Content-Length: 0']),
  );
  if (!r.ok || r.value.type !== 'request') throw new Error('fixture');
  return r.value;
}

function transport(reliable: boolean) {
  const sent: Buffer[] = [];
  return { sent, t: { reliable, send: (b: Buffer) => void sent.push(b) } };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('RFC 3261 §17.2.2 non-INVITE server transaction', () => {
  it('MUST discard request retransmissions in Trying', () => {
    const { sent, t } = transport(false);
    const tx = new NonInviteServerTransaction('x', t, () => undefined, fakeTimers);
    tx.receiveRequest();
    expect(sent).toHaveLength(0);
    expect(tx.state).toBe('trying');
  });

  it('MUST pass the final response to the transport again for each retransmission in Completed', () => {
    const { sent, t } = transport(false);
    const tx = new NonInviteServerTransaction('x', t, () => undefined, fakeTimers);
    tx.respond(createResponse(request(), 200, { toTag: 'tt' }));
    expect(tx.state).toBe('completed');
    tx.receiveRequest();
    tx.receiveRequest();
    expect(sent).toHaveLength(3);
    expect(sent[1]!.equals(sent[0]!)).toBe(true);
  });

  it('MUST resend the last provisional response in Proceeding', () => {
    const { sent, t } = transport(false);
    const tx = new NonInviteServerTransaction('x', t, () => undefined, fakeTimers);
    tx.respond(createResponse(request(), 100));
    tx.receiveRequest();
    expect(sent.map((b) => b.toString().split('\r\n')[0])).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 100 Trying']);
  });

  it('terminates after Timer J = 64*T1 on UDP, at once on TCP', () => {
    const done: string[] = [];
    const udp = new NonInviteServerTransaction('udp', transport(false).t, (x) => done.push(x.id), fakeTimers);
    const tcp = new NonInviteServerTransaction('tcp', transport(true).t, (x) => done.push(x.id), fakeTimers);
    udp.respond(createResponse(request(), 200));
    tcp.respond(createResponse(request(), 200));
    expect(done).toEqual(['tcp']);
    vi.advanceTimersByTime(64 * T1 - 1);
    expect(done).toEqual(['tcp']);
    vi.advanceTimersByTime(1);
    expect(done).toEqual(['tcp', 'udp']);
  });

  it('MUST NOT send a provisional response other than 100 (RFC 4320), nor a second final one', () => {
    const tx = new NonInviteServerTransaction('x', transport(false).t, () => undefined, fakeTimers);
    expect(() => tx.respond(createResponse(request(), 180))).toThrow(TransactionStateError);
    tx.respond(createResponse(request(), 200));
    expect(() => tx.respond(createResponse(request(), 500))).toThrow(TransactionStateError);
  });
});

describe('RFC 3261 §17.1.2 non-INVITE client transaction', () => {
  const ok: SipResponse = { type: 'response', status: 200, reason: 'OK', headers: [], body: Buffer.alloc(0) };

  it('retransmits on UDP at T1, 2T1, 4T1, capped at T2, and times out after Timer F = 64*T1', () => {
    const { sent, t } = transport(false);
    const events: string[] = [];
    const tx = new NonInviteClientTransaction('n', Buffer.from('NOTIFY'), t, { onFinal: () => events.push('final'), onTimeout: () => events.push('timeout') }, () => events.push('terminated'), fakeTimers);
    tx.start();
    const times: number[] = [];
    let now = 0;
    while (events.length === 0 && now < 64 * T1) {
      vi.advanceTimersByTime(1);
      now++;
      if (sent.length > times.length + 1) times.push(now);
    }
    expect(times.slice(0, 5)).toEqual([500, 1500, 3500, 7500, 11500]); // intervals 500, 1000, 2000, 4000, 4000
    expect(events).toEqual(['terminated', 'timeout']);
    expect(now).toBe(64 * T1);
  });

  it('does not retransmit on TCP, and reports the final response once', () => {
    const { sent, t } = transport(true);
    const finals: number[] = [];
    const tx = new NonInviteClientTransaction('n', Buffer.from('NOTIFY'), t, { onFinal: (r) => finals.push(r.status), onTimeout: () => finals.push(-1) }, () => undefined, fakeTimers);
    tx.start();
    vi.advanceTimersByTime(10_000);
    tx.receiveResponse(ok);
    tx.receiveResponse(ok);
    vi.advanceTimersByTime(64 * T1);
    expect(sent).toHaveLength(1);
    expect(finals).toEqual([200]);
    expect(tx.state).toBe('terminated');
  });

  it('absorbs response retransmissions for Timer K = T4 on UDP', () => {
    const { t } = transport(false);
    const tx = new NonInviteClientTransaction('n', Buffer.from('NOTIFY'), t, { onFinal: () => undefined, onTimeout: () => undefined }, () => undefined, fakeTimers);
    tx.start();
    tx.receiveResponse(ok);
    expect(tx.state).toBe('completed');
    vi.advanceTimersByTime(5000);
    expect(tx.state).toBe('terminated');
  });
});
