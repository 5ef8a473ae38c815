import { describe, expect, it } from 'vitest';
import { collectionKey, dueKey, encodeUser } from '../src/index.js';

/** The Redis Cluster hash tag: the part between the first `{` and the next `}` (if non-empty). */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('Redis keys', () => {
  it('put every collection of one user under the same hash tag (one Redis Cluster slot)', () => {
    const p = { pool: 'pool1', user: 'sip:alice@contoso.com' };
    const tags = ['pub', 'ctr', 'sbr', 'dlg', 'reg', 'dia', 'wat'].map((c) => hashTag(collectionKey(p, c)));
    expect(new Set(tags).size).toBe(1);
    expect(tags[0]).toBe('sip%3Aalice@contoso.com');
  });

  it('give different users different tags, even when their URIs contain braces', () => {
    const a = collectionKey({ pool: 'pool1', user: 'sip:{x}@contoso.com' }, 'pub');
    const b = collectionKey({ pool: 'pool1', user: 'sip:x@contoso.com' }, 'pub');
    expect(hashTag(a)).not.toBe(hashTag(b));
    expect(hashTag(a)).toBe('sip%3A%7Bx%7D@contoso.com');
  });

  it('encode users reversibly (percent-encoding of everything but unreserved characters)', () => {
    for (const u of ['sip:alice@contoso.com', 'sip:ä%{}:@x', 'tel:+1-555']) expect(decodeURIComponent(encodeUser(u))).toBe(u);
  });

  it('refuse pool ids that would change the key layout', () => {
    expect(() => collectionKey({ pool: 'a:b', user: 'u' }, 'pub')).toThrow(/invalid pool id/);
    expect(() => dueKey('a{b', 'pub', 0)).toThrow(/invalid pool id/);
  });
});
