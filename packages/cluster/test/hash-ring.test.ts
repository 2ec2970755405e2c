import { describe, expect, it } from 'vitest';
import { EmptyHashRingError, HashRing, HashRingArgumentError } from '../src/index.js';

describe('HashRing', () => {
  it('places every key on one of its members, the same way every time', () => {
    const ring = new HashRing(['a', 'b', 'c']);
    const placed = Array.from({ length: 100 }, (_, i) => ring.owner(`key-${i}`));
    expect(new Set(placed)).toEqual(new Set(['a', 'b', 'c']));
    expect(Array.from({ length: 100 }, (_, i) => ring.owner(`key-${i}`))).toEqual(placed);
  });

  it('gives the same placement on another ring with the same members (pinned values)', () => {
    // Pinned so that a change of the hash, which would move keys between nodes of different
    // versions, cannot go unnoticed.
    const ring = new HashRing(['node-a', 'node-b', 'node-c']);
    const got = ['user:1', 'user:2', 'user:3', 'order:42', 'ünïcødé', '🦀'].map((k) => ring.owner(k));
    expect(got).toEqual(PINNED);
  });

  it('owners(key, n) lists n distinct members, owner first', () => {
    const ring = new HashRing(['a', 'b', 'c', 'd', 'e']);
    for (let i = 0; i < 50; i++) {
      const key = `k${i}`;
      const three = ring.owners(key, 3);
      expect(three).toHaveLength(3);
      expect(new Set(three).size).toBe(3);
      expect(three[0]).toBe(ring.owner(key));
      expect(ring.owners(key, 5).slice(0, 3)).toEqual(three);
    }
  });

  it('owners(key, n) gives every member when n exceeds the ring, and none on an empty ring', () => {
    expect(new HashRing(['a', 'b']).owners('x', 5).sort()).toEqual(['a', 'b']);
    expect(new HashRing().owners('x', 2)).toEqual([]);
  });

  it('add and remove change the membership; members() is sorted', () => {
    const ring = new HashRing(['b']);
    ring.add('c').add({ name: 'a', weight: 2 });
    expect(ring.members()).toEqual(['a', 'b', 'c']);
    expect(ring.weight('a')).toBe(2);
    ring.add('a', 3);
    expect(ring.weight('a')).toBe(3);
    expect(ring.remove('b')).toBe(true);
    expect(ring.remove('b')).toBe(false);
    expect(ring.members()).toEqual(['a', 'c']);
    expect(ring.size).toBe(2);
    expect(ring.has('c')).toBe(true);
  });

  it('owner on an empty ring throws EmptyHashRingError', () => {
    const ring = new HashRing(['a']);
    ring.remove('a');
    expect(() => ring.owner('k')).toThrow(EmptyHashRingError);
    try {
      ring.owner('k');
    } catch (e) {
      expect(EmptyHashRingError.is(e)).toBe(true);
      expect((e as Error).message).toContain("'k'");
    }
  });

  it('rejects bad input with HashRingArgumentError naming the argument', () => {
    const ring = new HashRing(['a']);
    expect(() => ring.owners('k', 0)).toThrow(/n must be an integer ≥ 1, got 0/);
    expect(() => ring.owners('k', 1.5)).toThrow(HashRingArgumentError);
    expect(() => ring.owner(42 as unknown as string)).toThrow(/key must be a string, got 42/);
    expect(() => new HashRing([{ name: 'a', weight: 0 }])).toThrow(/weight of 'a' must be a finite number > 0, got 0/);
    expect(() => new HashRing([{ name: 'a', weight: -1 }])).toThrow(HashRingArgumentError);
    expect(() => new HashRing([{ name: 'a', weight: Number.NaN }])).toThrow(HashRingArgumentError);
    expect(() => new HashRing([{ name: 'a', weight: Infinity }])).toThrow(HashRingArgumentError);
    expect(() => new HashRing([''])).toThrow(/member name must be a non-empty string/);
    expect(() => new HashRing(['a', 'a'])).toThrow(/members must be distinct names, got 'a'/);
    expect(() => new HashRing('abc')).toThrow(HashRingArgumentError);
    expect(() => ring.add('b', 0)).toThrow(HashRingArgumentError);
    expect(() => ring.add(null as unknown as string)).toThrow(HashRingArgumentError);
    expect(ring.members()).toEqual(['a']);
  });

  it('a member of weight 3 owns about three times the keys of a member of weight 1', () => {
    const ring = new HashRing([{ name: 'big', weight: 3 }, 'small']);
    let big = 0;
    for (let i = 0; i < 20_000; i++) if (ring.owner(`key-${i}`) === 'big') big++;
    // Expected 15,000 (3/4); σ ≈ 61, so ±600 is about 10σ.
    expect(Math.abs(big - 15_000)).toBeLessThan(600);
  });
});

const PINNED = ['node-a', 'node-b', 'node-b', 'node-b', 'node-c', 'node-b'];
