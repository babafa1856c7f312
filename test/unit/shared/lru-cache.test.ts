import { describe, expect, it } from 'vitest';
import LRUCache from '../../../lambdas/shared/lru-cache.js';

describe('the LRU cache that stands in for mnemonist in the bundles', () => {
  it('drops the least recently used entry past its capacity; get counts as a use, peek does not', () => {
    const cache = new LRUCache<string, number>(2);
    cache.set('a', 1).set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3); // evicts b
    expect(cache.has('b')).toBe(false);
    expect(cache.peek('a')).toBe(1);
    cache.set('d', 4); // peek did not refresh a: a goes
    expect([...['a', 'c', 'd'].map((k) => cache.has(k))]).toEqual([false, true, true]);
    expect(cache.size).toBe(2);
  });

  it('replaces a value without growing, answers undefined for a missing key, and clears', () => {
    const cache = new LRUCache<string, string[]>(1);
    cache.set('k', ['x']);
    cache.set('k', []);
    expect(cache.size).toBe(1);
    expect(cache.peek('k')).toEqual([]);
    expect(cache.get('missing')).toBeUndefined();
    cache.clear();
    expect(cache.has('k')).toBe(false);
  });
});
