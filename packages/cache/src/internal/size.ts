/*
 * A rough byte estimate of a stored entry, for maxBytes and stats().memoryBytes: V8's sizes for
 * the common shapes (2 bytes per string character, 8 per number, ~16 per object header and
 * property slot), walked to a bounded number of nodes so a huge value costs a bounded time.
 * It is an estimate of what the entry keeps alive, not an exact heap measure.
 */

const ENTRY_OVERHEAD = 64; // the map slot, the record object and lru-cache's index arrays
const MAX_NODES = 10_000;

/** Estimated bytes of an entry: its key string, its value and the store's own overhead. */
export function entryBytes(k: string, value: unknown): number {
  return ENTRY_OVERHEAD + 2 * k.length + valueBytes(value);
}

/** Estimated bytes of a value. */
export function valueBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return 16 + 2 * value.length;
    case 'number':
    case 'boolean':
    case 'undefined':
      return 8;
    case 'bigint':
      return 16 + Math.ceil(value.toString(16).length / 2);
    default: {
      if (value === null) return 8;
      const budget = { nodes: MAX_NODES };
      return walk(value, budget, new Set());
    }
  }
}

function walk(v: unknown, budget: { nodes: number }, seen: Set<object>): number {
  if (typeof v !== 'object' || v === null) return valueBytes(v);
  if (seen.has(v) || --budget.nodes < 0) return 8;
  seen.add(v);
  if (ArrayBuffer.isView(v)) return 64 + v.byteLength;
  if (v instanceof ArrayBuffer) return 32 + v.byteLength;
  if (v instanceof Date) return 32;
  let n = 32;
  if (Array.isArray(v)) {
    for (const x of v) n += 8 + walk(x, budget, seen);
  } else if (v instanceof Map) {
    for (const [a, b] of v) n += 16 + walk(a, budget, seen) + walk(b, budget, seen);
  } else if (v instanceof Set) {
    for (const x of v) n += 16 + walk(x, budget, seen);
  } else {
    for (const key of Object.keys(v)) n += 8 + 2 * key.length + walk((v as Record<string, unknown>)[key], budget, seen);
  }
  return n;
}
