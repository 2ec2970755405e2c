import type { Pid, Ref } from '@foundation/runtime';
import { PatternTrie } from './trie.js';
import type { Subscriber } from '../dispatcher.js';

/** The local subscriptions of one pattern: by pid key. */
export type PatternEntry = Map<string, Subscriber>;

interface Holder {
  readonly pid: Pid;
  /** The server's monitor of it (set by the server once it monitors). */
  ref: Ref | undefined;
  readonly patterns: Set<string>;
}

/**
 * This node's subscriptions: a pattern index for matching and, per subscriber, its patterns (so
 * a dead subscriber's entries all go, and a pattern whose last subscriber goes leaves the index).
 * Written by the PubSub's server actor only; read by broadcasts, on the same thread.
 */
export class SubscriptionTable {
  private readonly trie = new PatternTrie<PatternEntry>();
  private readonly holders = new Map<string, Holder>();

  /** Adds (or updates the metadata of) one subscription; says whether the pattern and the pid are new here. */
  add(pid: Pid, pattern: string, metadata: unknown): { newPattern: boolean; holder: Holder; newPid: boolean } {
    const newPattern = this.trie.get(pattern) === undefined;
    this.trie.getOrCreate(pattern, () => new Map()).set(pid.key, { pid, metadata });
    let holder = this.holders.get(pid.key);
    const newPid = holder === undefined;
    if (holder === undefined) this.holders.set(pid.key, (holder = { pid, ref: undefined, patterns: new Set() }));
    holder.patterns.add(pattern);
    return { newPattern, holder, newPid };
  }

  /** Removes one subscription; `removed` false when there was none. */
  remove(pid: Pid, pattern: string): { removed: boolean; patternGone: boolean; ref: Ref | undefined; pidGone: boolean } {
    const holder = this.holders.get(pid.key);
    if (holder === undefined || !holder.patterns.delete(pattern))
      return { removed: false, patternGone: false, ref: undefined, pidGone: false };
    const patternGone = this.dropFromPattern(pid, pattern);
    const pidGone = holder.patterns.size === 0;
    if (pidGone) this.holders.delete(pid.key);
    return { removed: true, patternGone, ref: holder.ref, pidGone };
  }

  /** Removes every subscription of `pid`; the patterns left without subscribers. */
  removePid(pid: Pid): string[] {
    const holder = this.holders.get(pid.key);
    if (holder === undefined) return [];
    this.holders.delete(pid.key);
    const gone: string[] = [];
    for (const p of holder.patterns) if (this.dropFromPattern(pid, p)) gone.push(p);
    return gone;
  }

  private dropFromPattern(pid: Pid, pattern: string): boolean {
    const entry = this.trie.get(pattern)!;
    entry.delete(pid.key);
    if (entry.size > 0) return false;
    this.trie.delete(pattern);
    return true;
  }

  /** The entries of the patterns that match the topic `segments`. */
  match(segments: readonly string[]): PatternEntry[] {
    return this.trie.match(segments);
  }

  /** The patterns `pid` is subscribed to. */
  patternsOf(pid: Pid): string[] {
    return [...(this.holders.get(pid.key)?.patterns ?? [])];
  }

  /** Every pattern with at least one subscriber. */
  patterns(): string[] {
    return [...this.trie.entries()].map(([p]) => p);
  }

  /** Every subscriber's monitor (for the server to drop at stop). */
  clear(): void {
    for (const [p] of [...this.trie.entries()]) this.trie.delete(p);
    this.holders.clear();
  }

  get subscriberCount(): number {
    return this.holders.size;
  }
}

/** The matching subscribers, each once (several of a pid's patterns may match). */
export function uniqueSubscribers(entries: readonly PatternEntry[]): Subscriber[] {
  if (entries.length === 1) return [...entries[0]!.values()];
  const seen = new Map<string, Subscriber>();
  for (const e of entries) for (const [k, s] of e) if (!seen.has(k)) seen.set(k, s);
  return [...seen.values()];
}
