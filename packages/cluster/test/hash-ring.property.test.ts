import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HashRing } from '../src/index.js';

// Laws of rendezvous placement. Bounds are stated where they are tested; each is ≥ 5 standard
// deviations of what a uniform hash gives, so they fail for a biased hash, not by bad luck.

const memberName = fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' });
const members = (min: number, max: number) => fc.uniqueArray(memberName, { minLength: min, maxLength: max });
const keys = fc.uniqueArray(fc.string({ maxLength: 16, unit: 'grapheme' }), { minLength: 1, maxLength: 200 });

function sequentialKeys(k: number, prefix: string): string[] {
  return Array.from({ length: k }, (_, i) => `${prefix}:${i}`);
}

describe('HashRing laws', () => {
  it('determinism: the same members in any insertion order give the same owners', () => {
    fc.assert(
      fc.property(members(1, 10), keys, fc.integer({ min: 1, max: 12 }), fc.func(fc.integer()), (ms, ks, n, rank) => {
        const shuffled = [...ms].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
        const one = new HashRing(ms);
        const other = new HashRing();
        for (const m of shuffled) other.add(m);
        for (const k of ks) {
          expect(other.owner(k)).toBe(one.owner(k));
          expect(other.owners(k, n)).toEqual(one.owners(k, n));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('determinism: a ring built after adds and removes places like one built from its final members', () => {
    fc.assert(
      fc.property(members(2, 10), keys, (ms, ks) => {
        const [gone, ...stay] = ms;
        const churned = new HashRing(ms);
        churned.remove(gone!);
        churned.add(gone!);
        churned.remove(gone!);
        const fresh = new HashRing(stay);
        for (const k of ks) expect(churned.owners(k, 3)).toEqual(fresh.owners(k, 3));
      }),
    );
  });

  it('minimal movement: adding a member moves only the keys it now owns', () => {
    fc.assert(
      fc.property(members(2, 11), keys, (ms, ks) => {
        const [joiner, ...rest] = ms;
        const ring = new HashRing(rest);
        const before = ks.map((k) => ring.owner(k));
        ring.add(joiner!);
        ks.forEach((k, i) => {
          const now = ring.owner(k);
          if (now !== before[i]) expect(now).toBe(joiner);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('minimal movement: removing a member moves only the keys it owned', () => {
    fc.assert(
      fc.property(members(2, 11), keys, fc.nat(), (ms, ks, pick) => {
        const leaver = ms[pick % ms.length]!;
        const ring = new HashRing(ms);
        const before = ks.map((k) => ring.owner(k));
        ring.remove(leaver);
        ks.forEach((k, i) => {
          if (before[i] !== leaver) expect(ring.owner(k)).toBe(before[i]);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('minimal movement for replicas: a joiner is inserted into each preference list, the others keep their order', () => {
    fc.assert(
      fc.property(members(2, 9), keys, (ms, ks) => {
        const [joiner, ...rest] = ms;
        const ring = new HashRing(rest);
        const before = ks.map((k) => ring.owners(k, rest.length));
        ring.add(joiner!);
        ks.forEach((k, i) => {
          const after = ring.owners(k, ms.length);
          expect(after).toContain(joiner);
          expect(after.filter((m) => m !== joiner)).toEqual(before[i]);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('minimal movement is about 1/(n+1): adding an (n+1)th member to n moves within ±25% of k/(n+1) of k = 5,000 keys', () => {
    // For n = 10, k/(n+1) ≈ 455 with σ ≈ 20, so ±25% ≈ ±114 is 5.6σ.
    fc.assert(
      fc.property(members(3, 11), fc.string({ maxLength: 6 }), (ms, prefix) => {
        const [joiner, ...rest] = ms;
        const ring = new HashRing(rest);
        const ks = sequentialKeys(5_000, prefix);
        const before = ks.map((k) => ring.owner(k));
        ring.add(joiner!);
        const moved = ks.filter((k, i) => ring.owner(k) !== before[i]).length;
        const expected = ks.length / ms.length;
        expect(Math.abs(moved - expected)).toBeLessThanOrEqual(0.25 * expected);
      }),
      { numRuns: 30 },
    );
  });

  it('balance: with n ≤ 10 equal members, each owns within ±12% of k/n of k = 20,000 keys', () => {
    // For n = 10, k/n = 2,000 with σ ≈ 42, so ±12% = ±240 is 5.7σ (looser multiples of σ for smaller n).
    fc.assert(
      fc.property(members(2, 10), fc.string({ maxLength: 6 }), (ms, prefix) => {
        const ring = new HashRing(ms);
        const counts = new Map(ms.map((m) => [m, 0]));
        for (const k of sequentialKeys(20_000, prefix)) {
          const o = ring.owner(k);
          counts.set(o, counts.get(o)! + 1);
        }
        const expected = 20_000 / ms.length;
        for (const [m, c] of counts) {
          expect(Math.abs(c - expected), `member ${JSON.stringify(m)} owns ${c}, expected ${expected}`).toBeLessThanOrEqual(
            0.12 * expected,
          );
        }
      }),
      { numRuns: 40 },
    );
  });

  it('balance of replicas: each member is among the 2 owners of within ±12% of 2k/n of k = 10,000 keys', () => {
    fc.assert(
      fc.property(members(3, 8), fc.string({ maxLength: 6 }), (ms, prefix) => {
        const ring = new HashRing(ms);
        const counts = new Map(ms.map((m) => [m, 0]));
        for (const k of sequentialKeys(10_000, prefix)) for (const o of ring.owners(k, 2)) counts.set(o, counts.get(o)! + 1);
        const expected = (2 * 10_000) / ms.length;
        for (const c of counts.values()) expect(Math.abs(c - expected)).toBeLessThanOrEqual(0.12 * expected);
      }),
      { numRuns: 20 },
    );
  });

  it('weights: each member owns within ±20% of k·w/W of k = 20,000 keys, weights in [0.5, 4]', () => {
    // The smallest expected share here is 0.5/(0.5 + 5·4) of k ≈ 488 keys, σ ≈ 22: ±20% ≈ 4.4σ;
    // for typical draws the bound is 8σ or more.
    const weighted = fc.uniqueArray(fc.record({ name: memberName, weight: fc.integer({ min: 1, max: 8 }).map((w) => w / 2) }), {
      minLength: 2,
      maxLength: 6,
      selector: (m) => m.name,
    });
    fc.assert(
      fc.property(weighted, fc.string({ maxLength: 6 }), (ms, prefix) => {
        const ring = new HashRing(ms);
        const total = ms.reduce((s, m) => s + m.weight, 0);
        const counts = new Map(ms.map((m) => [m.name, 0]));
        for (const k of sequentialKeys(20_000, prefix)) {
          const o = ring.owner(k);
          counts.set(o, counts.get(o)! + 1);
        }
        for (const m of ms) {
          const expected = (20_000 * m.weight) / total;
          expect(Math.abs(counts.get(m.name)! - expected), `${JSON.stringify(m)} of ${total}`).toBeLessThanOrEqual(0.2 * expected);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("weights: raising one member's weight moves keys only to that member", () => {
    fc.assert(
      fc.property(members(2, 8), keys, fc.integer({ min: 2, max: 5 }), (ms, ks, w) => {
        const ring = new HashRing(ms);
        const before = ks.map((k) => ring.owner(k));
        ring.add(ms[0]!, w);
        ks.forEach((k, i) => {
          const now = ring.owner(k);
          if (now !== before[i]) expect(now).toBe(ms[0]);
        });
      }),
    );
  });
});
