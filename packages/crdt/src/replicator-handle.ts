import { stopProcess, type Pid, type ProcessContext } from '@foundation/runtime';
import type { CrdtKind } from './crdt.js';
import type { AWORSetWire } from './aworset.js';
import type { AWLWWMapWire } from './awlwwmap.js';
import type { ReplicatorCall, ReplicatorReply, ReplicatorStats } from './replicator.js';

/**
 * What every Replicator handle has. Calls go out from the context the handle was made with
 * (the node, or an actor whose calls suspend only that actor); each resolves with the value or
 * throws the error the replicator answered. `timeoutMs` defaults to the runtime's call timeout.
 */
export interface ReplicatorHandle {
  /** The replicator's process: link to it, monitor it, list it in a supervisor's children. */
  readonly pid: Pid;
  /** Which CRDT it holds. */
  readonly kind: CrdtKind;
  /** Its counters (deltas sent and acknowledged, peers, buffered deltas...). */
  stats(timeoutMs?: number): Promise<ReplicatorStats>;
  /** Ships buffered deltas now instead of at the next tick. */
  sync(timeoutMs?: number): Promise<void>;
  /** Stops the replicator (exit reason `'normal'`) once its last deltas went out; at once when it is not running. */
  stop(timeoutMs?: number): Promise<void>;
}

/** The handle of a Replicator holding an AWORSet of `T`. */
export interface SetReplicator<T = unknown> extends ReplicatorHandle {
  /** Always `'aworset'`. */
  readonly kind: 'aworset';
  /** Adds `value` here (an add wins over a concurrent remove); replicated at the next tick. */
  add(value: T, timeoutMs?: number): Promise<void>;
  /** Removes `value` as this replica has seen it (observed-remove). */
  remove(value: T, timeoutMs?: number): Promise<void>;
  /** The values of this replica. */
  read(timeoutMs?: number): Promise<T[]>;
  /** The full state of this replica, in wire form. */
  state(timeoutMs?: number): Promise<AWORSetWire<T>>;
}

/** The handle of a Replicator holding an AWLWWMap from `K` to `V`. */
export interface MapReplicator<K = unknown, V = unknown> extends ReplicatorHandle {
  /** Always `'awlwwmap'`. */
  readonly kind: 'awlwwmap';
  /** Sets `key` to `value` here, stamped by the HLC (the greatest stamp wins everywhere). */
  set(key: K, value: V, timeoutMs?: number): Promise<void>;
  /** Removes `key` as this replica has seen it (a concurrent set wins). */
  delete(key: K, timeoutMs?: number): Promise<void>;
  /** The entries of this replica (each key's last-writer-wins value). */
  read(timeoutMs?: number): Promise<[K, V][]>;
  /** The full state of this replica, in wire form. */
  state(timeoutMs?: number): Promise<AWLWWMapWire<K, V>>;
}

/** @internal The typed handle of the Replicator `pid` holding a CRDT of `kind`, calling from `ctx`. */
export function replicatorHandle(ctx: ProcessContext, pid: Pid, kind: CrdtKind): SetReplicator<unknown> | MapReplicator<unknown, unknown> {
  const ask = async <R>(req: ReplicatorCall, timeoutMs?: number): Promise<R> => {
    const reply = await ctx.call<ReplicatorReply>(pid, req, timeoutMs);
    if ('error' in reply) throw reply.error;
    return reply.ok as R;
  };
  const done = async (req: ReplicatorCall, timeoutMs?: number): Promise<void> => {
    await ask(req, timeoutMs);
  };
  const common = {
    pid,
    stats: (timeoutMs?: number) => ask<ReplicatorStats>({ op: 'stats' }, timeoutMs),
    sync: (timeoutMs?: number) => done({ op: 'sync' }, timeoutMs),
    stop: (timeoutMs?: number) => stopProcess(ctx, pid, timeoutMs),
  };
  if (kind === 'aworset') {
    return Object.freeze({
      ...common,
      kind,
      add: (value: unknown, timeoutMs?: number) => done({ op: 'add', value }, timeoutMs),
      remove: (value: unknown, timeoutMs?: number) => done({ op: 'remove', value }, timeoutMs),
      read: (timeoutMs?: number) => ask<unknown[]>({ op: 'read' }, timeoutMs),
      state: (timeoutMs?: number) => ask<AWORSetWire<unknown>>({ op: 'state' }, timeoutMs),
    });
  }
  return Object.freeze({
    ...common,
    kind,
    set: (key: unknown, value: unknown, timeoutMs?: number) => done({ op: 'set', key, value }, timeoutMs),
    delete: (key: unknown, timeoutMs?: number) => done({ op: 'delete', key }, timeoutMs),
    read: (timeoutMs?: number) => ask<[unknown, unknown][]>({ op: 'read' }, timeoutMs),
    state: (timeoutMs?: number) => ask<AWLWWMapWire<unknown, unknown>>({ op: 'state' }, timeoutMs),
  });
}
