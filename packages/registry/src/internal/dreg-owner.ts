import { Listeners } from './listeners.js';
import {
  Actor,
  InvalidArgumentError,
  MailboxFullError,
  NoProcessError,
  UnknownNameError,
  isDown,
  isNodeDown,
  isNodeUp,
  type Pid,
  type Ref,
  type Target,
} from '@foundation/runtime';
import {
  AWLWWMap,
  DEFAULT_PRUNING_MARKER_TTL_MS,
  DEFAULT_RETIRE_DOWN_AFTER_MS,
  ReplicationEngine,
  checkReplicaMessage,
  isReplicaMessage,
  replicaId,
  type ReplicaMessage,
  type ReplicationStats,
} from '@foundation/crdt';
import { AlreadyRegisteredError } from '../errors.js';
import type { NameConflict } from '../name-conflict.js';
import type { Candidate, DistTable } from './dreg-table.js';
import type { RegistryEntry } from './registry-table.js';

/** The replicated map: one entry per (key, process), holding that process's values under the key. */
type EntryKey<K> = readonly [key: K, pid: Pid];
type EntryMap<K, V> = AWLWWMap<EntryKey<K>, readonly V[]>;

/** What the owner is started with. */
export interface DOwnerArgs<K, V> {
  readonly name: string;
  readonly table: DistTable<K, V>;
  readonly listeners: readonly Target[];
  readonly syncIntervalMs: number;
  readonly antiEntropyIntervalMs: number;
}

/** The writes (and bookkeeping reads), as calls to the owner: one at a time, so ordered. */
export type DOwnerCall<K, V> =
  | { readonly op: 'register'; readonly key: K; readonly pid: Pid; readonly value: V }
  | { readonly op: 'unregister'; readonly key: K; readonly pid: Pid }
  | { readonly op: 'update'; readonly key: K; readonly pid: Pid; readonly value: V }
  | { readonly op: 'listen'; readonly target: Target }
  | { readonly op: 'unlisten'; readonly target: Target }
  | { readonly op: 'stats' };

/** A call's outcome: refusals travel as values (a throwing handler would crash the owner). */
export type DOwnerReply = { readonly ok: unknown } | { readonly error: Error };

const OPS = new Set(['register', 'unregister', 'update', 'listen', 'unlisten', 'stats']);

/** A DistributedRegistry's bookkeeping numbers (see `DistributedRegistry.stats`). */
export interface DistributedRegistryStats extends ReplicationStats {
  /** This replica's id (node, node incarnation, owner pid id). */
  replica: string;
  /** Entries in the replicated map (one per key and process, losers of a conflict included until removed). */
  mapEntries: number;
  /** Name conflicts this node resolved by signalling one of its own processes. */
  conflictsSignalled: number;
  /** Entries removed because their node went down or was not connected when they arrived. */
  nodeDownRemovals: number;
  /** Entries of this node's live processes put back after another node removed them (a partition's node-down cleanup). */
  reasserted: number;
  /** Messages to the owner that were none of its protocols' (dropped). */
  ignored: number;
}

/** One local process holding keys: its monitor and its values per key. */
interface Holder<K, V> {
  readonly pid: Pid;
  readonly ref: Ref;
  readonly keys: Map<K, readonly V[]>;
}

/**
 * The owner of one node's replica of a DistributedRegistry. It embeds a ReplicationEngine over
 * an AWLWWMap keyed by `[key, pid]`, so each entry has exactly one writer in normal operation —
 * the pid's node — and removing one process's registration can never remove another's. It:
 *
 * - applies local writes to the map (batched into one delta per sync interval) and the table;
 * - monitors local holders, removing their entries when they exit;
 * - on every change from a peer: drops entries of nodes not connected (a lost node's writes that
 *   arrive late through a third node), removes entries of this node it does not hold (left by a
 *   previous owner), and puts back entries of its live holders that another node removed (its
 *   node-down cleanup during a partition);
 * - on nodedown, removes the lost node's entries;
 * - in a unique registry, after any change of a key with several holders, signals the losers that
 *   live on this node — only the loser's own node does, once, as it removes the entry at the same
 *   time — with `{ nameConflict: { name, winner } }`. The winner (greatest HLC timestamp, ties by
 *   replica id) is the same on every node that has seen the same writes.
 */
export class DistributedRegistryOwner<K, V> extends Actor<DOwnerCall<K, V>, DOwnerReply, DOwnerArgs<K, V>> {
  private name!: string;
  private table!: DistTable<K, V>;
  private map!: EntryMap<K, V>;
  private engine!: ReplicationEngine;
  private syncIntervalMs = 100;
  /** Local writes since the last sync: one delta group handed to the engine per interval. */
  private pending: EntryMap<K, V> | null = null;
  private readonly holders = new Map<string, Holder<K, V>>();
  /** The replica last heard from on each connected node. */
  private readonly replicas = new Map<string, string>();
  /** The sync timer's message: known by identity, so a tick sent by anyone else starts no second timer. */
  private readonly tickMsg = Object.freeze({ $dreg: 'tick' as const });
  /** Messages that were none of the owner's (dropped). */
  private ignored = 0;
  private readonly listeners = new Listeners(this);
  private readonly counts = { conflictsSignalled: 0, nodeDownRemovals: 0, reasserted: 0 };

  override init(args: DOwnerArgs<K, V>): void {
    this.name = args.name;
    this.table = args.table;
    this.syncIntervalMs = args.syncIntervalMs;
    // Trapping, so that a shutdown from the parent runs terminate (own entries removed, listeners detached).
    this.trapExit = true;
    for (const t of args.listeners) this.listeners.add(t);
    const replica = replicaId(this.node.name, this.node.incarnation, this.self.id);
    this.map = new AWLWWMap<EntryKey<K>, readonly V[]>(replica);
    const name = this.name;
    this.engine = new ReplicationEngine(
      name,
      this.node.name,
      this.map,
      {
        send: (node, msg) => {
          try {
            this.send({ name, node }, msg);
          } catch (e) {
            // A peer without this registry (yet), or one that is full: anti-entropy repairs it later.
            if (!UnknownNameError.is(e) && !MailboxFullError.is(e)) throw e;
          }
        },
        nodes: () => this.node.nodes(),
      },
      {
        antiEntropyTicks: Math.max(1, Math.round(args.antiEntropyIntervalMs / this.syncIntervalMs)),
        pruningMarkerTicks: Math.max(1, Math.round(DEFAULT_PRUNING_MARKER_TTL_MS / this.syncIntervalMs)),
        retireDownAfterTicks: Math.max(1, Math.round(DEFAULT_RETIRE_DOWN_AFTER_MS / this.syncIntervalMs)),
      },
    );
    this.engine.onRemoteChange = (keys) => this.remoteChanged(keys as EntryKey<K>[]);
    // Node events as messages: the engine is only ever touched by this actor.
    this.monitorNodes();
    this.engine.hello();
    this.sendAfter(this.tickMsg, this.syncIntervalMs);
  }

  override handleCall(msg: DOwnerCall<K, V>): DOwnerReply | Promise<DOwnerReply> {
    // The handle checks its arguments, but the owner runs under a name anyone may call: a
    // malformed call is answered with an error, never a crash of the owner.
    if (typeof msg !== 'object' || msg === null || !OPS.has((msg as { op?: unknown }).op as string)) {
      return {
        error: new InvalidArgumentError(
          'DistributedRegistry owner call',
          "{ op: 'register' | 'unregister' | 'update' | 'listen' | 'unlisten' | 'stats', ... }",
          msg,
        ),
      };
    }
    const failed = (e: unknown): DOwnerReply => ({
      error: e instanceof Error ? e : new InvalidArgumentError('DistributedRegistry owner call', 'a well-formed call', msg),
    });
    try {
      const r = this.serve(msg);
      return r instanceof Promise ? r.catch(failed) : r;
    } catch (e) {
      return failed(e);
    }
  }

  private serve(msg: DOwnerCall<K, V>): DOwnerReply | Promise<DOwnerReply> {
    switch (msg.op) {
      case 'register':
        return this.register(msg.key, msg.pid, msg.value);
      case 'unregister': {
        const h = this.holders.get(msg.pid.key);
        if (!h?.keys.has(msg.key)) return { ok: false };
        this.changing([msg.key], () => this.dropLocal(h, msg.key));
        return { ok: true };
      }
      case 'update': {
        const h = this.holders.get(msg.pid.key);
        const old = h?.keys.get(msg.key);
        if (!h || !old) return { ok: false };
        const values = old.map(() => msg.value);
        this.changing([msg.key], () => this.setLocal(h, msg.key, values));
        return { ok: true };
      }
      case 'listen':
        return { ok: this.listeners.add(msg.target) };
      case 'unlisten':
        return { ok: this.listeners.remove(msg.target) };
      case 'stats':
        return {
          ok: {
            ...this.engine.stats(),
            replica: this.map.replica,
            mapEntries: this.map.size,
            ...this.counts,
            ignored: this.ignored,
          } satisfies DistributedRegistryStats,
        };
    }
  }

  override handleInfo(msg: unknown): void {
    if (msg === this.tickMsg) {
      this.flush();
      this.engine.tick();
      this.sendAfter(this.tickMsg, this.syncIntervalMs);
    } else if (typeof msg === 'object' && msg !== null && '$crdt' in msg) {
      this.replicaMessage(msg);
    } else if (isNodeUp(msg)) {
      this.flush();
      this.engine.nodeUp(msg.nodeup);
    } else if (isNodeDown(msg)) {
      this.replicas.delete(msg.nodedown);
      this.engine.nodeDown(msg.nodedown);
      this.nodeDown(msg.nodedown);
    } else if (isDown(msg)) {
      const h = this.holders.get(msg.pid.key);
      if (h?.ref.equals(msg.ref)) {
        this.holders.delete(msg.pid.key);
        const keys = [...h.keys.keys()];
        this.changing(keys, () => {
          for (const k of keys) {
            this.write(this.map.delete([k, h.pid]));
            this.show(k, h.pid);
          }
        });
      }
      this.listeners.down(msg);
    } else {
      this.ignored++;
    }
  }

  /** A message of the replication protocol: checked (the engine drops, counts and warns of a malformed one), then handed over. */
  private replicaMessage(msg: object): void {
    let m: ReplicaMessage;
    try {
      if (!isReplicaMessage(msg)) throw new TypeError('not a replication message');
      m = checkReplicaMessage(msg);
    } catch {
      this.engine.receive(msg);
      return;
    }
    // A digest is compared with what this replica has shipped: hand the engine the writes
    // not yet shipped first, so they do not read as something the peer lacks.
    if (m.$crdt === 'digest') this.flush();
    const connected = this.node.nodes().includes(m.from);
    const isNew = connected && this.replicas.get(m.from) !== m.replica;
    if (connected) this.replicas.set(m.from, m.replica);
    this.engine.receive(m);
    if (isNew && (m.$crdt === 'state' || m.$crdt === 'delta')) {
      // The engine makes a peer of a replica only when it acknowledges or sends a digest; one
      // that just sent its state (a replica that started after this one's hello) would hear of
      // this replica's writes only at the next digest. Introduce this replica: its state, acked.
      this.flush();
      this.engine.nodeUp(m.from);
    }
  }

  override terminate(): void {
    // Leave no entries behind: the peers learn of the removals in one last delta.
    for (const h of this.holders.values()) for (const k of h.keys.keys()) this.write(this.map.delete([k, h.pid]));
    this.holders.clear();
    this.flush();
    this.engine.tick();
    this.table.clear();
  }

  // ---- local writes

  private async register(key: K, pid: Pid, value: V): Promise<DOwnerReply> {
    // A pid of another scheduler is asked about without blocking; this owner waits meanwhile.
    if ((await this.node.processInfo(pid)) === undefined) return { error: new NoProcessError(pid.toString()) };
    let h = this.holders.get(pid.key);
    if (this.table.unique) {
      const holder = this.table.whereis(key);
      if (holder) return { error: new AlreadyRegisteredError(this.name, key, holder) };
    }
    if (!h) this.holders.set(pid.key, (h = { pid, ref: this.monitor(pid), keys: new Map() }));
    const values = [...(h.keys.get(key) ?? []), value];
    const holder = h;
    this.changing([key], () => this.setLocal(holder, key, values));
    return { ok: true };
  }

  private setLocal(h: Holder<K, V>, key: K, values: readonly V[]): void {
    h.keys.set(key, values);
    this.write(this.map.set([key, h.pid], values));
    this.show(key, h.pid);
  }

  /** Removes a local holder's entry under `key` (the monitor goes with its last key). */
  private dropLocal(h: Holder<K, V>, key: K): void {
    h.keys.delete(key);
    if (h.keys.size === 0) {
      this.demonitor(h.ref);
      this.holders.delete(h.pid.key);
    }
    this.write(this.map.delete([key, h.pid]));
    this.show(key, h.pid);
  }

  private write(delta: EntryMap<K, V>): void {
    if (delta.size === 0 && delta.context.isEmpty) return;
    if (this.pending === null) this.pending = delta;
    else this.pending.join(delta);
  }

  private flush(): void {
    if (this.pending === null) return;
    this.engine.local(this.pending);
    this.pending = null;
  }

  // ---- changes from peers and the cluster

  private remoteChanged(entryKeys: readonly EntryKey<K>[]): void {
    const connected = new Set(this.node.nodes());
    const me = this.node.name;
    const keys = entryKeys.map((ek) => ek[0]);
    this.changing(keys, () => {
      for (const ek of entryKeys) {
        const [key, pid] = ek;
        const present = this.map.has(ek);
        if (pid.node === me) {
          const values = this.holders.get(pid.key)?.keys.get(key);
          if (values && !present) {
            // Another node removed a live local registration (it saw this node go down in a
            // partition): this node is its owner, and puts it back.
            this.counts.reasserted++;
            this.write(this.map.set(ek, values));
          } else if (!values && present) {
            // Not held here: left by an earlier owner of this node's registry, or its process is gone.
            this.write(this.map.delete(ek));
          }
        } else if (present && !connected.has(pid.node)) {
          // A lost (or unreachable) node's entry that came through a third node.
          this.counts.nodeDownRemovals++;
          this.write(this.map.delete(ek));
        }
        this.show(key, pid);
      }
    });
  }

  private nodeDown(node: string): void {
    const gone = this.map.keys().filter((ek) => ek[1].node === node);
    if (gone.length === 0) return;
    this.counts.nodeDownRemovals += gone.length;
    this.changing(
      gone.map((ek) => ek[0]),
      () => {
        this.write(this.map.deleteWhere((ek) => ek[1].node === node));
        for (const [key, pid] of gone) this.show(key, pid);
      },
    );
  }

  /** Copies `pid`'s registration of `key` from the map into the table. */
  private show(key: K, pid: Pid): void {
    const r = this.map.getRegister([key, pid]);
    const c: Candidate<V> | undefined = r ? { pid, values: r.v, t: r.t } : undefined;
    this.table.put(key, pid, c);
  }

  /**
   * Runs `fn` (which changes entries of `keys`), then settles conflicts of those keys in a unique
   * registry, then tells listeners what became visible or stopped being so.
   */
  private changing(keys: readonly K[], fn: () => void): void {
    const before = new Map<K, readonly RegistryEntry<V>[]>();
    for (const k of keys) if (!before.has(k)) before.set(k, this.table.lookup(k));
    fn();
    if (this.table.unique) for (const k of before.keys()) this.settle(k);
    if (this.listeners.size > 0) for (const [k, old] of before) this.diff(k, old, this.table.lookup(k));
  }

  /** A unique key with several holders: the ones on this node that lose give it up, and are told. */
  private settle(key: K): void {
    const cands = this.table.candidates(key);
    if (cands.length < 2) return;
    const winner = cands[0]!.pid;
    // A local winner that has exited is about to be removed (its DOWN is queued): nobody loses to
    // it. On another scheduler of this node that cannot be known at once (isAlive answers
    // undefined) and the losers' exits cannot wait inside a merge: there it wins, and its DOWN
    // frees the key right after.
    if (winner.node === this.node.name && this.node.isAlive(winner) === false) return;
    for (const c of cands.slice(1)) {
      const h = this.holders.get(c.pid.key);
      if (c.pid.node !== this.node.name || !h?.keys.has(key)) continue;
      this.dropLocal(h, key);
      this.counts.conflictsSignalled++;
      this.exit(c.pid, { nameConflict: { name: key, winner } } satisfies NameConflict<K>);
    }
  }

  // ---- listeners

  private diff(key: K, before: readonly RegistryEntry<V>[], after: readonly RegistryEntry<V>[]): void {
    if (before === after) return;
    const kept = (e: RegistryEntry<V>, list: readonly RegistryEntry<V>[]) =>
      list.some((x) => x.pid.equals(e.pid) && Object.is(x.value, e.value));
    for (const e of before) if (!kept(e, after)) this.listeners.notify({ unregistered: this.name, key, pid: e.pid, value: e.value });
    for (const e of after) if (!kept(e, before)) this.listeners.notify({ registered: this.name, key, pid: e.pid, value: e.value });
  }
}
