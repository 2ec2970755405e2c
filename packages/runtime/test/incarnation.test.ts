import { vi, describe, expect, test } from 'vitest';
import { Actor, Node } from '../src/index.js';

class Idle extends Actor {}
import { INCARNATION_LIMIT } from '../src/internal/incarnation.js';

/** A fresh copy of the module, as a new OS process would load it. */
async function freshNextIncarnation(): Promise<(name: string) => number> {
  vi.resetModules();
  return (await import('../src/internal/incarnation.js')).nextIncarnation;
}

describe('incarnation', () => {
  test('two OS processes starting one node name in the same millisecond draw different incarnations', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 30, 12, 0, 0, 0) });
    try {
      const seen = new Set<number>();
      for (let i = 0; i < 50; i++) seen.add((await freshNextIncarnation())('a'));
      expect(seen.size).toBe(50);
    } finally {
      vi.useRealTimers();
    }
  });

  test('an incarnation is a positive safe integer under 2^48', async () => {
    const next = await freshNextIncarnation();
    for (let i = 0; i < 1000; i++) {
      const inc = next('a');
      expect(Number.isSafeInteger(inc)).toBe(true);
      expect(inc).toBeGreaterThan(0);
      expect(inc).toBeLessThan(INCARNATION_LIMIT);
    }
  });

  test('two starts of one node in one millisecond never share a pid', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 30, 12, 0, 0, 0), toFake: ['Date'] });
    try {
      const a1 = await Node.start({ name: 'a' });
      const p1 = a1.spawn(Idle, undefined);
      await a1.stop();
      const a2 = await Node.start({ name: 'a' });
      const p2 = a2.spawn(Idle, undefined);
      expect(p1.id).toBe(p2.id);
      expect(p1.equals(p2)).toBe(false);
      expect(a1.incarnation).not.toBe(a2.incarnation);
      await a2.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
