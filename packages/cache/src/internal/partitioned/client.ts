import { CallExitError, CallTimeoutError, stopProcess, type Node, type Pid } from '@foundation/runtime';
import { CacheUnavailableError, NotAnIntegerError } from '../../errors.js';
import type { Backend, Flight, Found, KeyRef, Lease, PutMode, StoreCounters } from '../backend.js';
import type { Membership } from './membership.js';
import { newer, serverName, type Change, type Reply, type Request } from './protocol.js';

/** What a cache process answers to `acquire`. */
type Acquired = Found | { lease: number };

/**
 * @internal The partitioned adapter's Backend on one node: sends each operation to the cache
 * process of the key's owner (by this node's Membership), falling over to the key's backups
 * when the owner's node is gone. Calls have the cache's timeout; a silent owner is a
 * CacheUnavailableError, never a hang.
 */
export class PartitionClient implements Backend {
  readonly flight: Flight;
  private readonly name: string;

  constructor(
    private readonly node: Node,
    private readonly cache: string,
    private readonly membership: Membership,
    private readonly pid: Pid,
    private readonly timeoutMs: number,
    private readonly leaseMs: number,
    private readonly replicated: boolean,
  ) {
    this.name = serverName(cache);
    this.flight = {
      acquire: async (ref) => {
        await this.prime(ref);
        const r = await this.askNodes<Acquired>(
          'getOrSet',
          this.membership.owners(ref.k),
          { op: 'acquire', k: ref.k, key: ref.key },
          this.leaseMs + this.timeoutMs,
        );
        return 'lease' in r ? { lease: { id: r.lease } } : r;
      },
      fill: async (ref, lease, value, ttlMs) => {
        await this.askNodes('getOrSet', this.membership.owners(ref.k), {
          op: 'fill',
          k: ref.k,
          key: ref.key,
          lease: lease.id,
          value,
          ttl: ttlMs ?? 0,
        });
      },
      release: async (ref: KeyRef, lease: Lease) => {
        await this.askNodes('getOrSet', this.membership.owners(ref.k), { op: 'release', k: ref.k, lease: lease.id });
      },
    };
  }

  async get(ref: KeyRef): Promise<Found | undefined> {
    const found = await this.ask<Found | undefined>('get', ref.k, { op: 'get', k: ref.k });
    if (found !== undefined || !this.moving()) return found;
    // A miss just after a membership change: the entry may be on its way to its new owner.
    return (await this.prime(ref)) ? this.ask<Found | undefined>('get', ref.k, { op: 'get', k: ref.k }) : undefined;
  }

  async getMany(refs: readonly KeyRef[]): Promise<(Found | undefined)[]> {
    const out: (Found | undefined)[] = new Array<Found | undefined>(refs.length);
    const byOwner = new Map<string, number[]>();
    refs.forEach((ref, i) => {
      const owner = this.replicated ? this.node.name : this.membership.owners(ref.k)[0]!;
      let list = byOwner.get(owner);
      if (list === undefined) byOwner.set(owner, (list = []));
      list.push(i);
    });
    await Promise.all(
      [...byOwner.values()].map(async (idx) => {
        const ks = idx.map((i) => refs[i]!.k);
        const owner = this.replicated ? this.node.name : this.membership.owners(ks[0]!)[0]!;
        try {
          const found = await this.askNodes<(Found | undefined)[]>('getAll', [owner], { op: 'getMany', ks });
          idx.forEach((i, j) => (out[i] = found[j]));
        } catch (e) {
          if (!CacheUnavailableError.is(e) || !CallExitError.is((e as Error).cause)) throw e;
          // The owner's node is gone: each key from its own backups.
          await Promise.all(
            idx.map(async (i) => (out[i] = await this.ask<Found | undefined>('getAll', refs[i]!.k, { op: 'get', k: refs[i]!.k }))),
          );
        }
      }),
    );
    if (this.moving()) {
      await Promise.all(out.map(async (f, i) => (f === undefined ? (out[i] = await this.get(refs[i]!)) : f)));
    }
    return out;
  }

  async put(ref: KeyRef, value: unknown, ttlMs: number | undefined, mode: PutMode): Promise<boolean> {
    // Even a plain put: the new owner must have seen the moving entry's stamp, or a late handoff could win over this write.
    await this.prime(ref);
    return this.ask<boolean>('put', ref.k, { op: 'put', k: ref.k, key: ref.key, value, ttl: ttlMs ?? 0, mode });
  }

  async putMany(entries: readonly (readonly [KeyRef, unknown])[], ttlMs: number | undefined): Promise<void> {
    const byOwner = new Map<string, [string, unknown, unknown][]>();
    for (const [ref, value] of entries) {
      const owner = this.replicated ? this.node.name : this.membership.owners(ref.k)[0]!;
      let list = byOwner.get(owner);
      if (list === undefined) byOwner.set(owner, (list = []));
      list.push([ref.k, ref.key, value]);
    }
    if (this.moving()) await Promise.all(entries.map(([ref]) => this.prime(ref)));
    await Promise.all(
      [...byOwner].map(async ([owner, list]) => {
        try {
          await this.askNodes('putAll', [owner], { op: 'putMany', entries: list, ttl: ttlMs ?? 0 });
        } catch (e) {
          if (!CacheUnavailableError.is(e) || !CallExitError.is((e as Error).cause)) throw e;
          // The owner's node is gone: each entry to its own next holder.
          for (const [k, key, value] of list) await this.ask('putAll', k, { op: 'put', k, key, value, ttl: ttlMs ?? 0, mode: 'always' });
        }
      }),
    );
  }

  async delete(ref: KeyRef): Promise<boolean> {
    await this.prime(ref);
    return this.ask<boolean>('delete', ref.k, { op: 'delete', k: ref.k });
  }

  async take(ref: KeyRef): Promise<Found | undefined> {
    await this.prime(ref);
    return this.ask<Found | undefined>('take', ref.k, { op: 'take', k: ref.k });
  }

  async has(ref: KeyRef): Promise<boolean> {
    await this.prime(ref);
    return this.ask<boolean>('has', ref.k, { op: 'has', k: ref.k });
  }

  async incr(ref: KeyRef, by: number, ttlMs: number | undefined): Promise<number> {
    await this.prime(ref);
    return this.ask<number>('incr', ref.k, { op: 'incr', k: ref.k, key: ref.key, by, ttl: ttlMs ?? 0 });
  }

  async ttl(ref: KeyRef): Promise<number | undefined> {
    await this.prime(ref);
    return this.ask<number | undefined>('ttl', ref.k, { op: 'ttl', k: ref.k });
  }

  async expire(ref: KeyRef, ttlMs: number | undefined): Promise<boolean> {
    await this.prime(ref);
    return this.ask<boolean>('expire', ref.k, { op: 'expire', k: ref.k, ttl: ttlMs ?? 0 });
  }

  async touch(ref: KeyRef): Promise<boolean> {
    await this.prime(ref);
    return this.ask<boolean>('touch', ref.k, { op: 'touch', k: ref.k });
  }

  async size(): Promise<number> {
    if (this.replicated) return this.ask<number>('size', '', { op: 'size' });
    const counts = await this.everyMember<number>('size', { op: 'count' });
    return counts.reduce((a, b) => a + b, 0);
  }

  async clear(): Promise<number> {
    const counts = await this.everyMember<number>('clear', { op: 'clear' });
    return counts.reduce((a, b) => a + b, 0);
  }

  async counters(): Promise<StoreCounters> {
    const all = await this.everyMember<StoreCounters>('stats', { op: 'counters' });
    return all.reduce((a, b) => ({ evictions: a.evictions + b.evictions, memoryBytes: a.memoryBytes + b.memoryBytes }), {
      evictions: 0,
      memoryBytes: 0,
    });
  }

  stop(): Promise<void> {
    return stopProcess(this.node, this.pid, this.timeoutMs);
  }

  /** True while entries may still be moving after a membership change. */
  private moving(): boolean {
    // Replicated: a node serves only once filled, and every write goes to every member.
    return !this.replicated && this.membership.graceUntil > Date.now();
  }

  /**
   * While entries move: asks every other member for `ref`'s entry (or its deletion) and hands the
   * newest one found to the key's owner, so the operation that follows sees it. True when it
   * found one. Outside that window: nothing to do. A silent member gets half the timeout, so that
   * the operation that follows still has its own.
   */
  private async prime(ref: KeyRef): Promise<boolean> {
    if (!this.moving()) return false;
    const owner = this.membership.owners(ref.k)[0]!;
    const others = this.membership.members().filter((n) => n !== owner);
    const found = await Promise.allSettled(
      others.map((n) => this.callNode<Change | undefined>(n, { op: 'fetch', k: ref.k }, Math.max(1, this.timeoutMs / 2))),
    );
    let best: Change | undefined;
    for (const r of found) {
      if (r.status !== 'fulfilled' || r.value === undefined) continue;
      if (best === undefined || newer(stamp(r.value), stamp(best))) best = r.value;
    }
    if (best === undefined) return false;
    await this.ask('get', ref.k, { op: 'replicate', changes: [best] });
    return !('tomb' in best);
  }

  /**
   * Sends `req` to the key's owner, then to its backups while the node asked is gone. Replicated:
   * this node's copy answers (and a write goes out from here to every member).
   */
  private ask<T>(op: string, k: string, req: Request, timeoutMs = this.timeoutMs): Promise<T> {
    return this.askNodes<T>(op, this.replicated ? [this.node.name] : this.membership.owners(k), req, timeoutMs);
  }

  /** Sends `req` to the first of `nodes` that is there. */
  private async askNodes<T>(op: string, nodes: readonly string[], req: Request, timeoutMs = this.timeoutMs): Promise<T> {
    let last: unknown;
    for (const n of nodes) {
      try {
        return await this.callNode<T>(n, req, timeoutMs);
      } catch (e) {
        if (CallExitError.is(e)) {
          // 'noconnection' / 'noproc': that node or its cache process is gone; the next holder has the key.
          last = e;
          continue;
        }
        throw this.unavailable(op, e);
      }
    }
    throw this.unavailable(op, last);
  }

  private async everyMember<T>(op: string, req: Request): Promise<T[]> {
    try {
      return await Promise.all(this.membership.members().map((n) => this.callNode<T>(n, req, this.timeoutMs)));
    } catch (e) {
      throw this.unavailable(op, e);
    }
  }

  private async callNode<T>(n: string, req: Request, timeoutMs: number): Promise<T> {
    const target = n === this.node.name ? this.pid : { name: this.name, node: n };
    const reply = await this.node.call<Reply>(target, req, timeoutMs);
    if ('error' in reply) throw rebuild(this.cache, reply.error);
    return reply.ok as T;
  }

  private unavailable(op: string, e: unknown): Error {
    if (e instanceof Error && !CallExitError.is(e) && !CallTimeoutError.is(e)) return e;
    const detail = CallTimeoutError.is(e)
      ? `no answer within ${this.timeoutMs} ms`
      : `no node holding the key answered (${e instanceof Error ? e.message : String(e)})`;
    return new CacheUnavailableError(this.cache, op, detail, { cause: e });
  }
}

function stamp(c: Change) {
  return 'tomb' in c ? c.tomb : c.ver;
}

/** An error a peer answered with, as the class this package throws (a decoded error keeps only its name and fields). */
function rebuild(cache: string, e: Error): Error {
  if (NotAnIntegerError.is(e) && !(e instanceof NotAnIntegerError)) return new NotAnIntegerError(cache, (e as { given?: unknown }).given);
  return e;
}
