import { Actor, InvalidArgumentError, isNodeDown, isNodeUp, type Node, type Pid, type Target } from '@foundation/runtime';
import { createCrdt, isCrdtKind, type CrdtKind, type ReplicatedCrdt } from './crdt.js';
import type { HLCOptions } from './hlc.js';
import { isReplicaMessage, type ReplicaMessage } from './protocol.js';
import { ReplicationEngine, type ReplicationStats } from './replication.js';
import { AWORSet } from './aworset.js';
import { AWLWWMap } from './awlwwmap.js';

/** Options of a Replicator (its spawn argument). */
export interface ReplicatorOptions {
  /** The CRDT's name: registered on this node, and how replicas on other nodes are reached. */
  name: string;
  /** Which CRDT it holds. */
  kind: CrdtKind;
  /** Milliseconds between shipments of buffered deltas (default 100). */
  syncInterval?: number;
  /** Milliseconds between digests to every connected node (default 10 sync intervals). */
  antiEntropyInterval?: number;
  /** Most local deltas held for peers that have not acknowledged them (default 1000). */
  maxBufferedDeltas?: number;
  /** This replica's id; default `node.incarnation.pid-id`, new for every start, as it must be. */
  replica?: string;
  /** Options of the hybrid logical clock (AWLWWMap): a clock for tests, the offset allowed. */
  hlc?: HLCOptions;
}

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

/** The Replicator's own timer and cluster events. */
type Internal = { readonly $replicator: 'tick' };

const isInternal = (m: unknown): m is Internal => typeof m === 'object' && m !== null && '$replicator' in m;

/** A Replicator's counters: the engine's, plus its replica id and number of keys. */
export interface ReplicatorStats extends ReplicationStats {
  replica: string;
  size: number;
}

/**
 * An actor holding one replica of a named CRDT and keeping it in sync with the replicas of the
 * same name on the other connected nodes (see ReplicationEngine): deltas every
 * `syncInterval`, the full state when a node connects, digests every `antiEntropyInterval`,
 * acknowledgements that free buffered deltas. Writes and reads are calls:
 *
 * ```ts
 * const pid = await Replicator.start(node, { name: 'sessions', kind: 'awlwwmap' });
 * await node.call(pid, { op: 'set', key: 'u1', value: 'alive' });
 * await node.call(pid, { op: 'read' });      // -> [['u1', 'alive']]
 * ```
 */
export class Replicator extends Actor<ReplicatorCall, unknown, ReplicatorOptions> {
  private engine!: ReplicationEngine;
  private crdt!: ReplicatedCrdt;
  private syncInterval = 100;

  /** Spawns a Replicator registered under `opts.name`; resolves with its pid once started. */
  static start(node: Node, opts: ReplicatorOptions): Promise<Pid> {
    checkOptions(opts);
    return node.spawnAndWait(Replicator, opts, { name: opts.name });
  }

  /** Calls a Replicator (a pid or the name it runs under) with a typed request. */
  static call<R = unknown>(from: { call(to: Target, msg: unknown, timeoutMs?: number): Promise<unknown> }, to: Target, req: ReplicatorCall, timeoutMs?: number): Promise<R> {
    return from.call(to, req, timeoutMs) as Promise<R>;
  }

  override init(opts: ReplicatorOptions): void {
    checkOptions(opts);
    this.syncInterval = opts.syncInterval ?? 100;
    const antiEntropy = opts.antiEntropyInterval ?? this.syncInterval * 10;
    const replica = opts.replica ?? `${this.node.name}.${this.node.incarnation}.${this.self.id}`;
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
        antiEntropyTicks: Math.max(1, Math.round(antiEntropy / this.syncInterval)),
        hlc: opts.hlc,
      },
    );
    // Node events arrive as messages, so that the engine is only ever touched by this actor.
    this.monitorNodes();
    this.engine.hello();
    this.sendAfter({ $replicator: 'tick' }, this.syncInterval);
  }

  override handleCall(req: ReplicatorCall): unknown {
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
        return { ...this.engine.stats(), replica: c.replica, size: c.size } satisfies ReplicatorStats;
      case 'sync':
        this.engine.tick();
        return 'ok';
      default:
        throw new InvalidArgumentError('Replicator call', "{ op: 'add' | 'remove' | 'set' | 'delete' | 'read' | 'state' | 'stats' | 'sync' }", req);
    }
  }

  override handleInfo(msg: unknown): void {
    if (isReplicaMessage(msg)) {
      this.engine.receive(msg as ReplicaMessage);
    } else if (isInternal(msg)) {
      switch (msg.$replicator) {
        case 'tick':
          this.engine.tick();
          this.sendAfter({ $replicator: 'tick' }, this.syncInterval);
          break;
        default:
          msg.$replicator satisfies 'tick';
      }
    } else if (isNodeUp(msg)) {
      this.engine.nodeUp(msg.nodeup);
    } else if (isNodeDown(msg)) {
      this.engine.nodeDown(msg.nodedown);
    }
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

function checkOptions(o: ReplicatorOptions): void {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError('Replicator options', 'an object', o);
  if (typeof o.name !== 'string' || o.name === '') throw new InvalidArgumentError('name', 'a non-empty string', o.name);
  if (!isCrdtKind(o.kind)) throw new InvalidArgumentError('kind', "'aworset' or 'awlwwmap'", o.kind);
  for (const f of ['syncInterval', 'antiEntropyInterval'] as const) {
    const v = o[f];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
      throw new InvalidArgumentError(f, 'a number of milliseconds > 0', v);
    }
  }
  if (o.replica !== undefined && (typeof o.replica !== 'string' || o.replica === '')) {
    throw new InvalidArgumentError('replica', 'a non-empty string', o.replica);
  }
}
