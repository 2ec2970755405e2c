import { LRUCache } from 'lru-cache';
import type { Timestamp } from '@foundation/crdt';
import type { LocalBounds } from '../local-store.js';
import { entryBytes } from '../size.js';
import { newer, type Change, type Item } from './protocol.js';

/**
 * @internal One node's share of a partitioned cache: the entries it owns or backs up, each with
 * the HLC stamp of the write that made it, and recent deletions (tombstones) so that a late
 * copy of a deleted entry — a handoff or replication that crossed the delete — cannot revive
 * it. Whatever order changes arrive in, the newest stamp wins, so every holder of a key agrees.
 * Bounded like the local adapter (lru-cache); tombstones live `tombMs`.
 */
export class Shard {
  private readonly lru: LRUCache<string, Item>;
  private readonly tombs = new Map<string, { ver: Timestamp; at: number }>();
  private evictions = 0;

  constructor(
    bounds: LocalBounds,
    private readonly onEvict: (item: Item) => void,
  ) {
    this.lru = new LRUCache<string, Item>({
      max: bounds.maxEntries,
      ...(bounds.maxBytes === undefined ? { maxEntrySize: Number.MAX_SAFE_INTEGER } : { maxSize: bounds.maxBytes }),
      sizeCalculation: (item, k) => entryBytes(k, item.value),
      dispose: (item, _k, reason) => {
        if (reason === 'evict') {
          this.evictions++;
          this.onEvict(item);
        }
      },
    });
  }

  /** The live entry under `k` (an expired one is removed and reads as absent). */
  get(k: string, now: number): Item | undefined {
    const item = this.lru.get(k);
    if (item === undefined) return undefined;
    if (item.exp !== 0 && item.exp <= now) {
      this.lru.delete(k);
      return undefined;
    }
    return item;
  }

  /** The live entry without touching its LRU position (handoff, counts). */
  peek(k: string, now: number): Item | undefined {
    const item = this.lru.peek(k);
    return item === undefined || (item.exp !== 0 && item.exp <= now) ? undefined : item;
  }

  /** The tombstone stamp of `k`, if it was deleted recently. */
  tomb(k: string): Timestamp | undefined {
    return this.tombs.get(k)?.ver;
  }

  /** Takes in a change if it is newer than what is here (entry or tombstone); true when it did. */
  apply(change: Change, now: number): boolean {
    const current = this.lru.peek(change.k);
    const tomb = this.tombs.get(change.k);
    if ('tomb' in change) {
      if (current !== undefined && !newer(change.tomb, current.ver)) return false;
      if (tomb !== undefined && !newer(change.tomb, tomb.ver)) return false;
      this.lru.delete(change.k);
      this.tombs.set(change.k, { ver: change.tomb, at: now });
      return true;
    }
    if (current !== undefined && !newer(change.ver, current.ver)) return false;
    if (tomb !== undefined && !newer(change.ver, tomb.ver)) return false;
    this.tombs.delete(change.k);
    if (change.exp !== 0 && change.exp <= now) {
      this.lru.delete(change.k);
      return true;
    }
    this.lru.set(change.k, change);
    return true;
  }

  /** Removes `k` without a tombstone: this node no longer holds the key (it was handed off). */
  drop(k: string, ver: Timestamp): void {
    const item = this.lru.peek(k);
    if (item !== undefined && !newer(item.ver, ver)) this.lru.delete(k);
  }

  /** Marks `k` as just used. */
  touch(k: string, now: number): boolean {
    return this.get(k, now) !== undefined;
  }

  /** Every live entry (a snapshot: safe to change the shard while going through it). */
  items(now: number): Item[] {
    const out: Item[] = [];
    for (const item of this.lru.values()) if (item.exp === 0 || item.exp > now) out.push(item);
    return out;
  }

  /** Live entries whose key `pick` accepts. */
  count(now: number, pick: (k: string) => boolean): number {
    let n = 0;
    for (const [k, item] of this.lru.entries()) if ((item.exp === 0 || item.exp > now) && pick(k)) n++;
    return n;
  }

  /** Forgets tombstones older than `maxAgeMs`. */
  purgeTombs(now: number, maxAgeMs: number): void {
    for (const [k, t] of this.tombs) if (now - t.at > maxAgeMs) this.tombs.delete(k);
  }

  /** Removes everything (entries and tombstones). */
  clear(): void {
    this.lru.clear();
    this.tombs.clear();
  }

  /** Evictions by the size bound, and the estimated bytes held. */
  counters(): { evictions: number; memoryBytes: number } {
    return { evictions: this.evictions, memoryBytes: this.lru.calculatedSize };
  }
}
