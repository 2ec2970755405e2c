import { isPid, type Pid } from '@foundation/runtime';
import { HLC, type Timestamp } from '@foundation/crdt';
import type { PutMode } from '../backend.js';

/** The registered name of a partitioned cache's process on every node. */
export function serverName(cache: string): string {
  return `foundation.cache:${cache}`;
}

/** A stored entry as it travels between nodes (replication, handoff, fetch). `exp` 0: never expires. */
export interface Item {
  readonly k: string;
  readonly key: unknown;
  readonly value: unknown;
  readonly exp: number;
  readonly ver: Timestamp;
}

/** A deletion as it travels: newer than the entry it removes, so a late copy of that entry cannot revive it. */
export interface Tomb {
  readonly k: string;
  readonly tomb: Timestamp;
}

/** Replication and handoff carry either. */
export type Change = Item | Tomb;

/** What a node's cache process is asked, by the clients of every node and by its peers. */
export type Request =
  | { readonly op: 'hello'; readonly from: Pid }
  | { readonly op: 'get' | 'has' | 'take' | 'delete' | 'ttl' | 'touch' | 'fetch'; readonly k: string }
  | { readonly op: 'getMany'; readonly ks: readonly string[] }
  | { readonly op: 'put'; readonly k: string; readonly key: unknown; readonly value: unknown; readonly ttl: number; readonly mode: PutMode }
  | { readonly op: 'putMany'; readonly entries: readonly (readonly [string, unknown, unknown])[]; readonly ttl: number }
  | { readonly op: 'incr'; readonly k: string; readonly key: unknown; readonly by: number; readonly ttl: number }
  | { readonly op: 'expire'; readonly k: string; readonly ttl: number }
  | { readonly op: 'count' | 'size' | 'clear' | 'counters' | 'members' }
  | { readonly op: 'acquire'; readonly k: string; readonly key: unknown }
  | {
      readonly op: 'fill';
      readonly k: string;
      readonly key: unknown;
      readonly lease: number;
      readonly value: unknown;
      readonly ttl: number;
    }
  | { readonly op: 'release'; readonly k: string; readonly lease: number }
  | { readonly op: 'replicate'; readonly changes: readonly Change[] };

/** A reply: refusals travel as values (a throwing handler would crash the cache process). */
export type Reply = { readonly ok: unknown } | { readonly error: Error };

const isStr = (x: unknown): x is string => typeof x === 'string';
const isTtl = (x: unknown): x is number => typeof x === 'number' && x >= 0 && x <= 2_147_483_647;
const MODES = new Set<unknown>(['always', 'new', 'existing']);
const KEY_OPS = new Set<unknown>(['get', 'has', 'take', 'delete', 'ttl', 'touch', 'fetch']);
const BARE_OPS = new Set<unknown>(['count', 'size', 'clear', 'counters', 'members']);

function isTimestamp(x: unknown): x is Timestamp {
  try {
    HLC.check(x);
    return true;
  } catch {
    return false;
  }
}

/** A Change from a peer, or undefined when it is not one. */
function isChange(x: unknown): x is Change {
  if (typeof x !== 'object' || x === null) return false;
  const c = x as Record<string, unknown>;
  if (!isStr(c.k)) return false;
  if ('tomb' in c) return isTimestamp(c.tomb);
  return typeof c.exp === 'number' && c.exp >= 0 && isTimestamp(c.ver) && 'value' in c;
}

/**
 * The one boundary where data from a peer becomes typed: a Request, or undefined for anything
 * else (which the cache process drops and logs). Values and keys are not inspected: the sending
 * front checked them, and the codec carried them.
 */
export function parseRequest(msg: unknown): Request | undefined {
  if (typeof msg !== 'object' || msg === null) return undefined;
  const m = msg as Record<string, unknown>;
  const op = m.op;
  if (KEY_OPS.has(op)) return isStr(m.k) ? (m as Request) : undefined;
  if (BARE_OPS.has(op)) return m as Request;
  switch (op) {
    case 'hello':
      return isPid(m.from) ? (m as Request) : undefined;
    case 'getMany':
      return Array.isArray(m.ks) && m.ks.every(isStr) ? (m as Request) : undefined;
    case 'put':
      return isStr(m.k) && 'value' in m && isTtl(m.ttl) && MODES.has(m.mode) ? (m as Request) : undefined;
    case 'putMany':
      return Array.isArray(m.entries) && isTtl(m.ttl) && m.entries.every((e) => Array.isArray(e) && e.length === 3 && isStr(e[0]))
        ? (m as Request)
        : undefined;
    case 'incr':
      return isStr(m.k) && Number.isSafeInteger(m.by) && isTtl(m.ttl) ? (m as Request) : undefined;
    case 'expire':
      return isStr(m.k) && isTtl(m.ttl) ? (m as Request) : undefined;
    case 'acquire':
      return isStr(m.k) ? (m as Request) : undefined;
    case 'fill':
      return isStr(m.k) && Number.isSafeInteger(m.lease) && 'value' in m && isTtl(m.ttl) ? (m as Request) : undefined;
    case 'release':
      return isStr(m.k) && Number.isSafeInteger(m.lease) ? (m as Request) : undefined;
    case 'replicate':
      return Array.isArray(m.changes) && m.changes.every(isChange) ? (m as Request) : undefined;
    default:
      return undefined;
  }
}

/** True when `a` was written after `b` (HLC order; the replica name breaks ties). */
export function newer(a: Timestamp, b: Timestamp): boolean {
  return HLC.compare(a, b) > 0;
}
