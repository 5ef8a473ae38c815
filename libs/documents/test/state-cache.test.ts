import { describe, expect, it } from 'vitest';
import { ParsedDocCache } from '../src/doc-cache.js';
import { STATE_DOC_CACHE_ENTRIES, parseStateDoc, stateDocCacheSize } from '../src/state.js';

const userState = (availability: number, token = 'in-a-meeting') =>
  `<state xsi:type="userState" manual="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/2006/09/sip/state">` +
  `<availability>${availability}</availability><activity token="${token}"><custom LCID="1033">Busy here</custom></activity></state>`;

describe('parsed state documents are cached by text and cannot be corrupted by callers', () => {
  it('returns the same frozen value for the same text', () => {
    const a = parseStateDoc(userState(6500));
    const b = parseStateDoc(userState(6500));
    expect(a).toBeDefined();
    expect(b).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a!.activities)).toBe(true);
    expect(Object.isFrozen(a!.activities[0])).toBe(true);
    expect(Object.isFrozen(a!.activities[0]!.custom)).toBe(true);
    expect(Object.isFrozen(a!.activities[0]!.custom[0])).toBe(true);
  });

  it('a caller mutation attempt throws and a later parse still reads the document as published', () => {
    const doc = userState(9500, 'on-the-phone');
    const first = parseStateDoc(doc) as unknown as Record<string, unknown> & { activities: { token?: string; custom: { text: string }[] }[] };
    // ESM modules run in strict mode: writing a frozen object throws instead of silently failing.
    expect(() => {
      first.availability = 3500;
    }).toThrow(TypeError);
    expect(() => {
      first.type = 'aggregateState';
    }).toThrow(TypeError);
    expect(() => {
      first.activities.push({ custom: [] });
    }).toThrow(TypeError);
    expect(() => {
      first.activities[0]!.token = 'available';
    }).toThrow(TypeError);
    expect(() => {
      first.activities[0]!.custom[0]!.text = 'changed';
    }).toThrow(TypeError);
    expect(() => {
      delete first.startTime;
      (first as { manual: boolean }).manual = false;
    }).toThrow(TypeError);
    expect(parseStateDoc(doc)).toEqual({
      type: 'userState',
      manual: true,
      availability: 9500,
      activities: [{ token: 'on-the-phone', custom: [{ lcid: '1033', text: 'Busy here' }], minAvailability: 0, maxAvailability: Infinity }],
    });
  });

  it('caches results that are not a state too, and different texts give different results', () => {
    expect(parseStateDoc('<note/>')).toBeUndefined();
    expect(parseStateDoc('<state')).toBeUndefined();
    expect(parseStateDoc('')).toBeUndefined();
    expect(parseStateDoc(userState(3500))?.availability).toBe(3500);
    expect(parseStateDoc(userState(15500))?.availability).toBe(15500);
  });

  it('never holds more than its bound of entries', () => {
    for (let i = 0; i < STATE_DOC_CACHE_ENTRIES + 500; i++) parseStateDoc(userState(i));
    expect(stateDocCacheSize()).toBe(STATE_DOC_CACHE_ENTRIES);
    // Still correct after eviction.
    expect(parseStateDoc(userState(7))?.availability).toBe(7);
    expect(parseStateDoc(userState(STATE_DOC_CACHE_ENTRIES + 499))?.availability).toBe(STATE_DOC_CACHE_ENTRIES + 499);
  }, 60_000);

  it('does not keep texts longer than 4 KiB', () => {
    const before = stateDocCacheSize();
    const long = userState(4500).replace('Busy here', 'x'.repeat(5000));
    const a = parseStateDoc(long);
    expect(a?.availability).toBe(4500);
    expect(Object.isFrozen(a)).toBe(true);
    expect(stateDocCacheSize()).toBe(before);
    expect(parseStateDoc(long)).not.toBe(a);
  });
});

describe('ParsedDocCache', () => {
  it('evicts the least recently used text, not the oldest inserted', () => {
    let parses = 0;
    const parse = (k: string) => {
      parses++;
      return { k };
    };
    const c = new ParsedDocCache<{ k: string }>(2, 100);
    c.getOrParse('a', parse);
    c.getOrParse('b', parse);
    c.getOrParse('a', parse); // a is now the most recent
    c.getOrParse('c', parse); // evicts b
    expect(parses).toBe(3);
    c.getOrParse('a', parse);
    expect(parses).toBe(3);
    c.getOrParse('b', parse);
    expect(parses).toBe(4);
    expect(c.size).toBe(2);
  });
});
