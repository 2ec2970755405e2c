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
} from '@foundation/runtime';
import {
  AWLWWMap,
  DEFAULT_PRUNING_MARKER_TTL_MS,
  DEFAULT_RETIRE_DOWN_AFTER_MS,
  ReplicationEngine,
  checkReplicaMessage,
  isReplicaMessage,
  keyOf,
  replicaId,
  type ReplicaMessage,
} from '@foundation/crdt';
import { AlreadyTrackedError } from '../errors.js';
import type { PresenceDiff, PresenceEntry } from '../presence-diff.js';
import type { PubSub } from '../pubsub.js';

/** The replicated map's key: one entry per (topic, key, process). */
type EntryKey = readonly [topic: string, key: string, pid: Pid];
type EntryMap = AWLWWMap<EntryKey, unknown>;

/** The registered name of Presence `name`'s tracker on every node. */
export const trackerName = (name: string): string => `presence:${name}`;

/** This node's view of the presences: by topic, by entry key. Written by the tracker, read by the handle. */
export class PresenceTable {
  readonly topics = new Map<string, Map<string, PresenceEntry>>();

  list(topic: string): PresenceEntry[] {
    return [...(this.topics.get(topic)?.values() ?? [])];
  }

  put(topic: string, id: string, entry: PresenceEntry | undefined): void {
    let t = this.topics.get(topic);
    if (entry === undefined) {
      if (t?.delete(id) && t.size === 0) this.topics.delete(topic);
      return;
    }
    if (t === undefined) this.topics.set(topic, (t = new Map<string, PresenceEntry>()));
    t.set(id, entry);
  }

  clear(): void {
    this.topics.clear();
  }
}

/** What the tracker is started with. */
export interface TrackerArgs {
  readonly name: string;
  readonly pubsub: PubSub;
  readonly table: PresenceTable;
  readonly syncIntervalMs: number;
  readonly antiEntropyIntervalMs: number;
}

/** The local writes, as calls to the tracker (one at a time, so ordered). */
export type TrackerCall =
  | { readonly op: 'track'; readonly pid: Pid; readonly topic: string; readonly key: string; readonly meta: unknown }
  | { readonly op: 'update'; readonly pid: Pid; readonly topic: string; readonly key: string; readonly meta: unknown }
  | { readonly op: 'untrack'; readonly pid: Pid; readonly topic: string; readonly key: string }
  | { readonly op: 'untrackAll'; readonly pid: Pid };

/** A call's outcome: refusals travel as values (a throwing handler would crash the tracker). */
export type TrackerReply = { readonly ok: unknown } | { readonly error: Error };

/** One local tracked process: its monitor, and its presences by `topic\0key`. */
interface Holder {
  readonly pid: Pid;
  readonly ref: Ref;
  readonly entries: Map<string, { topic: string; key: string; meta: unknown }>;
}

const slot = (topic: string, key: string) => `${topic}\u0000${key}`;
const OPS = new Set(['track', 'update', 'untrack', 'untrackAll']);

/**
 * One node's presence tracker (Phoenix.Tracker's shard): a replica of an AWLWWMap keyed by
 * (topic, key, pid), kept in sync by a ReplicationEngine. Each entry has one writer, its pid's
 * node, which monitors the process and removes the entry when it exits. On nodedown a node
 * removes the lost node's entries from its view (writing the removal); when the partition
 * heals, each node puts back the entries of its live processes that others removed, so every
 * view converges to the live processes of the connected nodes. Every change of a topic's view
 * is broadcast to that topic's subscribers on this node as a PresenceDiff.
 */
export class PresenceTracker extends Actor<TrackerCall, TrackerReply, TrackerArgs> {
  private name!: string;
  private pubsub!: PubSub;
  private table!: PresenceTable;
  private map!: EntryMap;
  private engine!: ReplicationEngine;
  private syncIntervalMs = 100;
  private pending: EntryMap | null = null;
  private readonly holders = new Map<string, Holder>();
  private readonly replicas = new Map<string, string>();
  private readonly tickMsg = Object.freeze({ $presence: 'tick' as const });

  override init(args: TrackerArgs): void {
    this.name = args.name;
    this.pubsub = args.pubsub;
    this.table = args.table;
    this.syncIntervalMs = args.syncIntervalMs;
    this.trapExit = true;
    this.map = new AWLWWMap<EntryKey, unknown>(replicaId(this.node.name, this.node.incarnation, this.self.id));
    const regName = trackerName(this.name);
    this.engine = new ReplicationEngine(
      regName,
      this.node.name,
      this.map,
      {
        send: (node, msg) => {
          try {
            this.send({ name: regName, node }, msg);
          } catch (e) {
            // A peer without this tracker (yet), or a full one: anti-entropy repairs it later.
            if (!UnknownNameError.is(e) && !MailboxFullError.is(e)) throw e;
          }
        },
        nodes: () => this.node.nodes(),
      },
      {
        antiEntropyTicks: Math.max(1, Math.round(args.antiEntropyIntervalMs / this.syncIntervalMs)),
        pruningMarkerTicks: Math.max(1, Math.round(DEFAULT_PRUNING_MARKER_TTL_MS / this.syncIntervalMs)),
        retireDownAfterTicks: Math.max(1, Math.round(DEFAULT_RETIRE_DOWN_AFTER_MS / this.syncIntervalMs)),
        log: (msg) => this.pubsub.core.log('warn', msg),
      },
    );
    this.engine.onRemoteChange = (keys) => this.remoteChanged(keys as EntryKey[]);
    this.monitorNodes();
    this.engine.hello();
    this.sendAfter(this.tickMsg, this.syncIntervalMs);
  }

  override async handleCall(msg: TrackerCall): Promise<TrackerReply> {
    if (typeof msg !== 'object' || msg === null || !OPS.has((msg as { op?: unknown }).op as string)) {
      return {
        error: new InvalidArgumentError('Presence tracker call', "{ op: 'track' | 'update' | 'untrack' | 'untrackAll', ... }", msg),
      };
    }
    try {
      return await this.serve(msg);
    } catch (e) {
      return { error: e instanceof Error ? e : new InvalidArgumentError('Presence tracker call', 'a well-formed call', msg) };
    }
  }

  private async serve(msg: TrackerCall): Promise<TrackerReply> {
    const h = this.holders.get(msg.pid.key);
    switch (msg.op) {
      case 'track': {
        if (h?.entries.has(slot(msg.topic, msg.key))) return { error: new AlreadyTrackedError(this.name, msg.topic, msg.key, msg.pid) };
        if ((await this.node.processInfo(msg.pid)) === undefined) return { error: new NoProcessError(msg.pid.toString()) };
        let holder = this.holders.get(msg.pid.key);
        if (holder === undefined)
          this.holders.set(msg.pid.key, (holder = { pid: msg.pid, ref: this.monitor(msg.pid), entries: new Map() }));
        const e = { topic: msg.topic, key: msg.key, meta: msg.meta };
        holder.entries.set(slot(msg.topic, msg.key), e);
        this.changing([msg.topic], () => this.setLocal(msg.pid, e));
        return { ok: undefined };
      }
      case 'update': {
        const e = h?.entries.get(slot(msg.topic, msg.key));
        if (e === undefined) return { ok: false };
        e.meta = msg.meta;
        this.changing([msg.topic], () => this.setLocal(msg.pid, e));
        return { ok: true };
      }
      case 'untrack': {
        if (h === undefined || !h.entries.delete(slot(msg.topic, msg.key))) return { ok: false };
        this.dropHolderIfEmpty(h);
        this.changing([msg.topic], () => this.deleteLocal([msg.topic, msg.key, msg.pid]));
        return { ok: true };
      }
      case 'untrackAll': {
        if (h === undefined) return { ok: false };
        this.demonitor(h.ref);
        this.removeHolder(h);
        return { ok: true };
      }
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
      if (h?.ref.equals(msg.ref)) this.removeHolder(h);
    }
  }

  override terminate(): void {
    // Leave no entries behind: the peers learn of the removals in one last delta.
    for (const h of this.holders.values()) for (const e of h.entries.values()) this.write(this.map.delete([e.topic, e.key, h.pid]));
    this.holders.clear();
    this.flush();
    this.engine.tick();
    this.table.clear();
  }

  private replicaMessage(msg: object): void {
    let m: ReplicaMessage;
    try {
      if (!isReplicaMessage(msg)) throw new TypeError('not a replication message');
      m = checkReplicaMessage(msg);
    } catch {
      this.engine.receive(msg); // the engine drops, counts and warns
      return;
    }
    if (m.$crdt === 'digest') this.flush();
    const connected = this.node.nodes().includes(m.from);
    const isNew = connected && this.replicas.get(m.from) !== m.replica;
    if (connected) this.replicas.set(m.from, m.replica);
    this.engine.receive(m);
    if (isNew && (m.$crdt === 'state' || m.$crdt === 'delta')) {
      this.flush();
      this.engine.nodeUp(m.from);
    }
  }

  private removeHolder(h: Holder): void {
    this.holders.delete(h.pid.key);
    const gone = [...h.entries.values()];
    this.changing(
      gone.map((e) => e.topic),
      () => {
        for (const e of gone) this.deleteLocal([e.topic, e.key, h.pid]);
      },
    );
  }

  private dropHolderIfEmpty(h: Holder): void {
    if (h.entries.size > 0) return;
    this.demonitor(h.ref);
    this.holders.delete(h.pid.key);
  }

  private setLocal(pid: Pid, e: { topic: string; key: string; meta: unknown }): void {
    const ek: EntryKey = [e.topic, e.key, pid];
    this.write(this.map.set(ek, e.meta));
    this.show(ek);
  }

  private deleteLocal(ek: EntryKey): void {
    this.write(this.map.delete(ek));
    this.show(ek);
  }

  private write(delta: EntryMap): void {
    if (delta.size === 0 && delta.context.isEmpty) return;
    if (this.pending === null) this.pending = delta;
    else this.pending.join(delta);
  }

  private flush(): void {
    if (this.pending === null) return;
    this.engine.local(this.pending);
    this.pending = null;
  }

  private remoteChanged(keys: readonly EntryKey[]): void {
    const connected = new Set(this.node.nodes());
    const me = this.node.name;
    this.changing(
      keys.map((k) => k[0]),
      () => {
        for (const ek of keys) {
          const [topic, key, pid] = ek;
          const present = this.map.has(ek);
          if (pid.node === me) {
            const mine = this.holders.get(pid.key)?.entries.get(slot(topic, key));
            // Removed by a node that saw this one go down: its owner puts it back.
            if (mine !== undefined && !present) this.write(this.map.set(ek, mine.meta));
            // Not tracked here (an earlier tracker's, or a process that is gone): its owner removes it.
            else if (mine === undefined && present) this.write(this.map.delete(ek));
          } else if (present && !connected.has(pid.node)) {
            // A lost node's entry that came through a third node.
            this.write(this.map.delete(ek));
          }
          this.show(ek);
        }
      },
    );
  }

  private nodeDown(node: string): void {
    const gone = this.map.keys().filter((ek) => ek[2].node === node);
    if (gone.length === 0) return;
    this.changing(
      gone.map((ek) => ek[0]),
      () => {
        this.write(this.map.deleteWhere((ek) => ek[2].node === node));
        for (const ek of gone) this.show(ek);
      },
    );
  }

  /** Copies one entry from the map into the table. */
  private show(ek: EntryKey): void {
    const r = this.map.getRegister(ek);
    this.table.put(ek[0], keyOf(ek), r === undefined ? undefined : { key: ek[1], pid: ek[2], meta: r.v });
  }

  /** Runs `fn` (which changes entries of `topics`), then broadcasts each topic's diff to its subscribers here. */
  private changing(topics: readonly string[], fn: () => void): void {
    const before = new Map<string, Map<string, PresenceEntry>>();
    for (const t of topics) if (!before.has(t)) before.set(t, new Map(this.table.topics.get(t)));
    fn();
    for (const [topic, old] of before) {
      const now = this.table.topics.get(topic) ?? new Map<string, PresenceEntry>();
      const same = (a: PresenceEntry, b: PresenceEntry | undefined) =>
        b !== undefined && (a.meta === b.meta || metaKey(a.meta) === metaKey(b.meta));
      const joins = [...now].filter(([id, e]) => !same(e, old.get(id))).map(([, e]) => e);
      const leaves = [...old].filter(([id, e]) => !same(e, now.get(id))).map(([, e]) => e);
      if (joins.length === 0 && leaves.length === 0) continue;
      const diff: PresenceDiff = { presenceDiff: this.name, topic, joins, leaves };
      try {
        if (this.pubsub.alive) this.pubsub.localBroadcast(topic, diff);
      } catch (e) {
        this.pubsub.core.log('warn', `presence '${this.name}': cannot broadcast the diff of '${topic}': ${String(e)}`);
      }
    }
  }
}

/** A meta's canonical text, for telling a re-sent equal meta from a changed one; unique when it has none. */
function metaKey(meta: unknown): string | object {
  try {
    return keyOf(meta);
  } catch {
    return {};
  }
}
