import type { PublishRequest } from '@presence/documents';
import { describe, expect, it } from 'vitest';
import type { ContainerRecord, PublicationRecord, StoredRecord } from '@presence/state';
import {
  DEFAULT_POLICY,
  planContainerMembers,
  planEndpointGone,
  planPublish,
  planServerPublications,
  planSetDelegates,
  publishTime,
  type PublishContext,
} from '../src/index.js';

const now = new Date('2026-11-22T10:00:00.000Z');
const rec = (container: number, instance: string, version: number, extra: Partial<PublicationRecord> = {}): StoredRecord<PublicationRecord> => ({
  id: `${container}:note:${instance}`,
  version,
  value: { categoryName: 'note', instance, container, expireType: 'static', publishTime: '2026-11-22T09:00:00.000', data: `<d${version}/>`, ...extra },
});
const ctx = (current: StoredRecord<PublicationRecord>[] = [], extra: Partial<PublishContext> = {}): PublishContext => ({
  publisher: 'sip:bob@contoso.com',
  toAor: 'sip:bob@contoso.com',
  fromAor: 'sip:bob@contoso.com',
  now,
  current,
  policy: DEFAULT_POLICY,
  ...extra,
});
const req = (...pubs: Partial<PublishRequest['publications'][number]>[]): PublishRequest => ({
  uri: 'sip:bob@contoso.com',
  publications: pubs.map((p, i) => ({ index: i + 1, categoryName: 'note', instance: '0', container: 400, version: 0, expireType: 'static' as const, data: '<n/>', ...p })),
});

describe('publish planning ([MS-PRES] §3.2.5.1.2)', () => {
  it('creates with version 0, updates with the current version, deletes a missing instance as a no-op', () => {
    const r = planPublish(req({}, { container: 200, version: 3 }, { container: 300, expires: 0 }), ctx([rec(200, '0', 3)]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.changes.map((c) => [c.op, c.id, c.expect])).toEqual([
      ['put', '400:note:0', 0],
      ['put', '200:note:0', 3],
    ]);
    expect(r.touched).toEqual([
      { container: 400, name: 'note' },
      { container: 200, name: 'note' },
      { container: 300, name: 'note' },
    ]);
  });

  it('lists every version conflict, with the current version and data, and plans nothing', () => {
    const r = planPublish(req({ version: 1 }, { container: 200, version: 0 }, { container: 300, version: 2 }), ctx([rec(400, '0', 2), rec(200, '0', 1)]));
    expect(r).toEqual({
      ok: false,
      status: 409,
      reason: 'Conflict',
      faults: [
        { index: 1, version: 1, curVersion: 2, data: '<d2/>' },
        { index: 2, version: 0, curVersion: 1, data: '<d1/>' },
        { index: 3, version: 2, curVersion: 0, data: '' },
      ],
    });
  });

  it('checks To, From and the publications uri agree (403 / 400)', () => {
    expect(planPublish(req({}), ctx([], { fromAor: 'sip:alice@contoso.com' }))).toMatchObject({ ok: false, status: 403 });
    expect(planPublish(req({}), ctx([], { toAor: 'sip:alice@contoso.com', fromAor: 'sip:alice@contoso.com' }))).toMatchObject({ ok: false, status: 400 });
  });

  it('sets a time-bound expiry and binds endpoint instances to the endpoint', () => {
    const r = planPublish(req({ expireType: 'time', expires: 60 }, { container: 300, expireType: 'endpoint' }), ctx([], { endpoint: { epid: 'e1', endpointId: 'uuid-1' } }));
    expect(r.ok && r.changes.map((c) => (c.op === 'put' ? [c.expiresAt, (c.value as PublicationRecord).epid] : []))).toEqual([
      [now.getTime() + 60_000, undefined],
      [undefined, 'e1'],
    ]);
  });

  it('enforces the category quota across containers (413)', () => {
    const big = 'x'.repeat(40_000);
    const r = planPublish(req(...Array.from({ length: 14 }, (_, i) => ({ container: 100 + i, data: big }))), ctx());
    expect(r).toMatchObject({ ok: false, status: 413 });
  });
});

describe('publishTime', () => {
  it('is UTC with milliseconds and no zone, and keeps increasing if the clock steps back', () => {
    expect(publishTime(now)).toBe('2026-11-22T10:00:00.000');
    expect(publishTime(now, '2026-11-22T10:00:05.000')).toBe('2026-11-22T10:00:05.001');
  });
});

describe('containers ([MS-PRES] §3.5.5.2)', () => {
  const set = (id: number, version: number, members: ContainerRecord['members']): StoredRecord<ContainerRecord> => ({ id: String(id), version, value: { id, members } });

  it('treats a duplicate add and a missing remove as successes that still bump the version', () => {
    const r = planContainerMembers(
      [{ index: 1, id: 200, version: 1, members: [{ type: 'sameEnterprise', action: 'add' }, { type: 'user', value: 'sip:x@y.z', action: 'remove' }] }],
      [set(200, 1, [{ type: 'sameEnterprise' }])],
      DEFAULT_POLICY,
    );
    expect(r.ok && r.changes).toEqual([{ op: 'put', collection: 'ctr', id: '200', value: { id: 200, members: [{ type: 'sameEnterprise' }] }, expect: 1 }]);
  });

  it('enforces the member quota (413)', () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ type: 'user' as const, value: `u${i}@contoso.com`, action: 'add' as const }));
    expect(planContainerMembers([{ index: 1, id: 300, version: 0, members: many }], [], { ...DEFAULT_POLICY, maxContainerMembers: 4 })).toMatchObject({ ok: false, status: 413 });
  });
});

describe('delegates ([MS-PRES] §3.9.5.2)', () => {
  it('upserts on add and modify', () => {
    const r = planSetDelegates(
      { version: 2, delegates: [{ index: 1, uri: 'sip:john@contoso.com', action: 'modify', publish: true, redelegate: false }] },
      'sip:bob@contoso.com',
      { id: 'set', version: 2, value: { delegates: [] } },
      () => true,
    );
    expect(r.ok && r.changes[0]).toMatchObject({ expect: 2, value: { delegates: [{ uri: 'sip:john@contoso.com', publish: true, redelegate: false }] } });
  });
});

describe('lifetimes and server publications', () => {
  it('ends the endpoint’s endpoint-bound instances, and user-bound ones only with the last endpoint (§3.2.5.5)', () => {
    const current = [rec(400, '1', 1, { expireType: 'endpoint', epid: 'a' }), rec(400, '2', 1, { expireType: 'endpoint', epid: 'b' }), rec(400, '3', 1, { expireType: 'user' })];
    expect(planEndpointGone(current, 'a', false).changes.map((c) => c.id)).toEqual(['400:note:1']);
    expect(planEndpointGone(current, 'b', true).changes.map((c) => c.id)).toEqual(['400:note:2', '400:note:3']);
  });

  it('publishes contactCard, legacyInterop and userProperties once, and nothing when the directory did not change (§3.2.6.2)', () => {
    const first = planServerPublications({ displayName: 'Bob' }, [], now);
    expect(first.touched.map((k) => `${k.name}@${k.container}`).sort()).toEqual(
      ['contactCard@0', 'contactCard@100', 'contactCard@200', 'contactCard@300', 'contactCard@400', 'contactCard@32000', 'legacyInterop@32000', 'userProperties@1'].sort(),
    );
    const stored = first.changes.map((c) => ({ id: c.id, version: 1, value: (c as { value: PublicationRecord }).value }));
    expect(planServerPublications({ displayName: 'Bob' }, stored, now).changes).toEqual([]);
    expect(planServerPublications({ displayName: 'Robert' }, stored, now).changes).toHaveLength(6);
  });
});
