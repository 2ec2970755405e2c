import {
  Actor,
  InvalidArgumentError,
  checkDuration,
  checkEncodable,
  checkKnownOptions,
  isNodeDown,
  isNodeUp,
  resolvePidOf,
  type Pid,
  type ProcessContext,
} from '@foundation/runtime';
import { createCrdt, isCrdtKind, type CrdtKind, type ReplicatedCrdt } from './crdt.js';
import { replicatorHandle, type MapReplicator, type SetReplicator } from './replicator-handle.js';
import type { HLCOptions } from './hlc.js';
import { ReplicationEngine, type ReplicationStats } from './replication.js';
import { replicaId } from './replica-id.js';
import { AWORSet } from './aworset.js';
import { AWLWWMap } from './awlwwmap.js';

/** Options of a Replicator (its spawn argument). */
export interface ReplicatorOptions {
  /** The CRDT's name: registered on this node, and how replicas on other nodes are reached. */
  name: string;
  /** Which CRDT it holds. */
  kind: CrdtKind;
  /** Milliseconds between shipments of buffered deltas (default 100). */
  syncIntervalMs?: number;
  /** Milliseconds between digests to every connected node (default 10 sync intervals). */
  antiEntropyIntervalMs?: number;
  /** Most local deltas held for peers that have not acknowledged them (default 1000). */
  maxBufferedDeltas?: number;
  /** This replica's id; default `node.incarnation.pid-id`, new for every start, as it must be. */
  replica?: string;
  /** Options of the hybrid logical clock (AWLWWMap): a clock for tests, the offset allowed (default 60 s). */
  hlc?: HLCOptions;
  /**
   * Milliseconds a dead replica's retirement marker is kept after pruning (default 6 hours,
   * as Akka's `pruning-marker-time-to-live`): longer than any partition a node may rejoin from
   * without a restart (see internal/pruning.ts).
   */
  pruningMarkerTtlMs?: number;
  /**
   * Milliseconds a node may stay down before its replica is retired here (default 1 hour):
   * nodes that never come back under their name (pods with generated names) would otherwise
   * keep an entry in every context. Retiring a replica that was only cut off loses nothing.
   */
  retireDownAfterMs?: number;
}

/** The default of `ReplicatorOptions.retireDownAfterMs`. */
export const DEFAULT_RETIRE_DOWN_AFTER_MS = 3600_000;

/** The default of `ReplicatorOptions.pruningMarkerTtlMs`. */
export const DEFAULT_PRUNING_MARKER_TTL_MS = 6 * 3600_000;

/** What a Replicator answers: a closed union of calls. */
export type ReplicatorCall =
  | { readonly op: 'add'; readonly value: unknown }
  | { readonly op: 'remove'; readonly value: unknown }
  | { readonly op: 'set'; readonly key: unknown; readonly value: unknown }
  | { readonly op: 'delete'; readonly key: unknown }
  | { readonly op: 'read' }
  | { readonly op: 'state' }
  | { readonly op: 'stats' }
  | { readonly op: 'sync' };

/** What a Replicator answers to every call: the value, or the error the request met (as the registry owner and Supervisor do). */
export type ReplicatorReply = { readonly ok: unknown } | { readonly error: Error };

const OPS = new Set(['add', 'remove', 'set', 'delete', 'read', 'state', 'stats', 'sync']);
const CALL_SHAPE = "{ op: 'add' | 'remove' | 'set' | 'delete' | 'read' | 'state' | 'stats' | 'sync', key?, value? }";
const OPTION_KEYS = [
  'name',
  'kind',
  'syncIntervalMs',
  'antiEntropyIntervalMs',
  'maxBufferedDeltas',
  'replica',
  'hlc',
  'pruningMarkerTtlMs',
  'retireDownAfterMs',
];

/** A Replicator's counters: the engine's, plus its replica id and number of keys. */
export interface ReplicatorStats extends ReplicationStats {
  replica: string;
  size: number;
  /** Messages that were neither protocol messages nor this replicator's own (dropped). */
  ignored: number;
}

/**
 * An actor holding one replica of a named CRDT and keeping it in sync with the replicas of the
 * same name on the other connected nodes (see ReplicationEngine): deltas every
 * `syncIntervalMs`, the full state when a node connects, digests every `antiEntropyIntervalMs`,
 * acknowledgements that free buffered deltas. Writes and reads are calls (ReplicatorCall),
 * answered with a ReplicatorReply: `{ ok: value }`, or `{ error }` for a request it cannot
 * serve (a malformed call, an op of the other kind, an unencodable value) — the replicator
 * never crashes on one. `Replicator.start` and `Replicator.of` give a typed handle that makes
 * those calls and throws the error:
 *
 * ```ts
 * const sessions = await Replicator.start(node, { name: 'sessions', kind: 'awlwwmap' });
 * await sessions.set('u1', 'alive');
 * await sessions.read();      // -> [['u1', 'alive']]
 * ```
 */
export class Replicator extends Actor<ReplicatorCall, unknown, ReplicatorOptions> {
  private engine!: ReplicationEngine;
  private crdt!: ReplicatedCrdt;
  private syncIntervalMs = 100;
  private ignored = 0;
  /** The tick timer's message: known by identity, so a tick sent by anyone else starts no second timer. */
  private readonly tickMsg = Object.freeze({ $replicator: 'tick' as const });

  /**
   * Spawns a Replicator registered under `opts.name` from `ctx` (the node, or an actor: then it
   * is the replicator's parent) and resolves with its typed handle once started.
   */
  static start<T = unknown>(ctx: ProcessContext, opts: ReplicatorOptions & { kind: 'aworset' }): Promise<SetReplicator<T>>;
  static start<K = unknown, V = unknown>(ctx: ProcessContext, opts: ReplicatorOptions & { kind: 'awlwwmap' }): Promise<MapReplicator<K, V>>;
  static start(ctx: ProcessContext, opts: ReplicatorOptions): Promise<SetReplicator<unknown> | MapReplicator<unknown, unknown>>;
  static async start(ctx: ProcessContext, opts: ReplicatorOptions): Promise<SetReplicator<unknown> | MapReplicator<unknown, unknown>> {
    checkOptions(opts);
    return replicatorHandle(ctx, await ctx.spawnAndWait(Replicator, opts, { name: opts.name }), opts.kind);
  }

  /**
   * The handle of a running Replicator of `kind` known by pid or local registered name (its
   * CRDT's name), calling from `ctx`. The kind types the handle; a call of the other kind is
   * refused by the replicator (InvalidArgumentError).
   */
  static of<T = unknown>(ctx: ProcessContext, target: Pid | string, kind: 'aworset'): SetReplicator<T>;
  static of<K = unknown, V = unknown>(ctx: ProcessContext, target: Pid | string, kind: 'awlwwmap'): MapReplicator<K, V>;
  static of(ctx: ProcessContext, target: Pid | string, kind: CrdtKind): SetReplicator<unknown> | MapReplicator<unknown, unknown> {
    if (!isCrdtKind(kind)) throw new InvalidArgumentError('Replicator.of kind', "'aworset' or 'awlwwmap'", kind);
    return replicatorHandle(ctx, resolvePidOf(ctx, target, 'Replicator.of'), kind);
  }

  override init(opts: ReplicatorOptions): void {
    checkOptions(opts);
    this.syncIntervalMs = opts.syncIntervalMs ?? 100;
    const antiEntropy = opts.antiEntropyIntervalMs ?? this.syncIntervalMs * 10;
    const replica = opts.replica ?? replicaId(this.node.name, this.node.incarnation, this.self.id);
    this.crdt = createCrdt(opts.kind, replica, opts.hlc);
    const name = opts.name;
    this.engine = new ReplicationEngine(
      name,
      this.node.name,
      this.crdt,
      {
        send: (node, msg) => this.send({ name, node }, msg),
        nodes: () => this.node.nodes(),
      },
      {
        maxBufferedDeltas: opts.maxBufferedDeltas,
        antiEntropyTicks: Math.max(1, Math.round(antiEntropy / this.syncIntervalMs)),
        pruningMarkerTicks: Math.max(1, Math.round((opts.pruningMarkerTtlMs ?? DEFAULT_PRUNING_MARKER_TTL_MS) / this.syncIntervalMs)),
        retireDownAfterTicks: Math.max(1, Math.round((opts.retireDownAfterMs ?? DEFAULT_RETIRE_DOWN_AFTER_MS) / this.syncIntervalMs)),
        hlc: opts.hlc,
      },
    );
    // Node events arrive as messages, so that the engine is only ever touched by this actor.
    this.monitorNodes();
    this.engine.hello();
    this.sendAfter(this.tickMsg, this.syncIntervalMs);
  }

  override handleCall(req: ReplicatorCall): ReplicatorReply {
    try {
      return { ok: this.serve(checkCall(req)) };
    } catch (e) {
      return { error: e instanceof Error ? e : new InvalidArgumentError('Replicator call', CALL_SHAPE, req) };
    }
  }

  private serve(req: ReplicatorCall): unknown {
    const c = this.crdt;
    switch (req.op) {
      case 'add':
        this.engine.local(this.asSet('add').add(req.value));
        return 'ok';
      case 'remove':
        this.engine.local(c instanceof AWORSet ? c.remove(req.value) : (c as AWLWWMap<unknown, unknown>).delete(req.value));
        return 'ok';
      case 'set':
        this.engine.local(this.asMap('set').set(req.key, req.value));
        return 'ok';
      case 'delete':
        this.engine.local(this.asMap('delete').delete(req.key));
        return 'ok';
      case 'read':
        return c instanceof AWORSet ? c.values() : (c as AWLWWMap<unknown, unknown>).toArray();
      case 'state':
        return c.toWire();
      case 'stats':
        return { ...this.engine.stats(), replica: c.replica, size: c.size, ignored: this.ignored } satisfies ReplicatorStats;
      case 'sync':
        this.engine.tick();
        return 'ok';
      default:
        req satisfies never;
        throw new InvalidArgumentError('Replicator call', CALL_SHAPE, req);
    }
  }

  override handleInfo(msg: unknown): void {
    if (msg === this.tickMsg) {
      this.engine.tick();
      this.sendAfter(this.tickMsg, this.syncIntervalMs);
    } else if (isNodeUp(msg)) {
      this.engine.nodeUp(msg.nodeup);
    } else if (isNodeDown(msg)) {
      this.engine.nodeDown(msg.nodedown);
    } else if (typeof msg === 'object' && msg !== null && '$crdt' in msg) {
      // Checked by the engine: malformed ones are dropped, counted in stats().dropped and warned about once per peer.
      this.engine.receive(msg);
    } else {
      this.ignored++;
    }
  }

  override terminate(): void {
    // Writes not yet shipped (and anything a peer lacks) go out once more before this replica is gone.
    this.engine.farewell();
  }

  private asSet(op: string): AWORSet<unknown> {
    if (this.crdt instanceof AWORSet) return this.crdt;
    throw new InvalidArgumentError(`Replicator call '${op}'`, "a call for this CRDT's kind (awlwwmap: set, delete, remove)", op);
  }

  private asMap(op: string): AWLWWMap<unknown, unknown> {
    if (this.crdt instanceof AWLWWMap) return this.crdt;
    throw new InvalidArgumentError(`Replicator call '${op}'`, "a call for this CRDT's kind (aworset: add, remove)", op);
  }
}

/** Checks a call's shape (it may come from another node, as anything): InvalidArgumentError names what is wrong. */
function checkCall(req: unknown): ReplicatorCall {
  if (typeof req !== 'object' || req === null || !OPS.has((req as { op?: unknown }).op as string)) {
    throw new InvalidArgumentError('Replicator call', CALL_SHAPE, req);
  }
  const r = req as ReplicatorCall;
  const need = (field: 'key' | 'value') => {
    if (!(field in r)) throw new InvalidArgumentError(`Replicator call '${r.op}'`, `a field '${field}'`, req);
    checkEncodable((r as Record<string, unknown>)[field], `Replicator call '${r.op}' ${field}`);
  };
  if (r.op === 'add' || r.op === 'remove') need('value');
  if (r.op === 'set' || r.op === 'delete') need('key');
  if (r.op === 'set') need('value');
  return r;
}

function checkOptions(o: ReplicatorOptions): void {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError('Replicator options', 'an object', o);
  checkKnownOptions('Replicator', o, OPTION_KEYS);
  if (typeof o.name !== 'string' || o.name === '') throw new InvalidArgumentError('name', 'a non-empty string', o.name);
  if (!isCrdtKind(o.kind)) throw new InvalidArgumentError('kind', "'aworset' or 'awlwwmap'", o.kind);
  for (const f of ['syncIntervalMs', 'antiEntropyIntervalMs', 'pruningMarkerTtlMs', 'retireDownAfterMs'] as const) {
    if (o[f] !== undefined) checkDuration(f, o[f], { positive: true });
  }
  if (o.replica !== undefined && (typeof o.replica !== 'string' || o.replica === '')) {
    throw new InvalidArgumentError('replica', 'a non-empty string', o.replica);
  }
}
