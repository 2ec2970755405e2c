import { MailboxFullError, UnknownNameError } from '@foundation/runtime';
import {
  AWLWWMap,
  DEFAULT_PRUNING_MARKER_TTL_MS,
  DEFAULT_RETIRE_DOWN_AFTER_MS,
  ReplicationEngine,
  checkReplicaMessage,
  isReplicaMessage,
  type ReplicaMessage,
  type Timestamp,
} from '@foundation/crdt';
import type { ChildTable } from './table.js';
import { parseKey, parseValue, type MapKey, type MapValue } from './wire.js';

type ChildMap = AWLWWMap<MapKey, MapValue>;

/** What a member's replica needs from its owner actor. */
export interface ReplicaHost {
  /** The supervisor's name (the owners' registered name on every member). */
  readonly name: string;
  /** This node's name. */
  readonly self: string;
  /** Sends to the owner registered as `name` on `node` (may throw UnknownNameError / MailboxFullError). */
  send(node: string, msg: unknown): void;
  /** The connected nodes. */
  nodes(): string[];
  /** Entries changed by a peer (the table is up to date): placement may have to change. */
  changed(): void;
  /** A replica on a connected node spoke for the first time (a member started there). */
  newReplica(node: string): void;
  log(msg: string): void;
}

/**
 * One member's replica of the supervisor's map (specs, instances, members): an AWLWWMap under
 * a ReplicationEngine, as the DistributedRegistry's owner holds one. Local writes are batched
 * into one delta per flush and copied into the view (the ChildTable) at once; changes from peers
 * are parsed into the view at this boundary (a malformed entry is left out and logged). Only the
 * owner actor touches it.
 */
export class MemberReplica {
  private readonly map: ChildMap;
  private readonly engine: ReplicationEngine;
  private pending: ChildMap | null = null;
  /** The replica last heard from on each connected node: a member counts as synced once it has spoken. */
  private readonly replicas = new Map<string, string>();

  constructor(
    private readonly host: ReplicaHost,
    private readonly table: ChildTable,
    replica: string,
    syncIntervalMs: number,
  ) {
    this.map = new AWLWWMap<MapKey, MapValue>(replica);
    const ticks = (ms: number) => Math.max(1, Math.round(ms / syncIntervalMs));
    this.engine = new ReplicationEngine(
      host.name,
      host.self,
      this.map,
      {
        send: (node, msg) => {
          try {
            host.send(node, msg);
          } catch (e) {
            // A node without this supervisor (yet), or one that is full: anti-entropy repairs it.
            if (!UnknownNameError.is(e) && !MailboxFullError.is(e)) throw e;
          }
        },
        nodes: () => host.nodes(),
      },
      {
        antiEntropyTicks: 10,
        pruningMarkerTicks: ticks(DEFAULT_PRUNING_MARKER_TTL_MS),
        retireDownAfterTicks: ticks(DEFAULT_RETIRE_DOWN_AFTER_MS),
      },
    );
    this.engine.onRemoteChange = (keys) => this.remoteChanged(keys);
  }

  /** A timestamp from this replica's clock (later than every write it has seen). */
  now(): Timestamp {
    return this.map.hlc.now();
  }

  /** True when the member on `node` has spoken since it connected. */
  heardFrom(node: string): boolean {
    return this.replicas.has(node);
  }

  set(key: MapKey, v: MapValue): void {
    this.write(this.map.set(key, v));
    this.table.put(key, v);
  }

  del(key: MapKey): void {
    if (!this.map.has(key)) return;
    this.write(this.map.delete(key));
    this.table.put(key, undefined);
  }

  /** Hands the writes since the last flush to the engine (shipped at the next tick). */
  flush(): void {
    if (this.pending === null) return;
    this.engine.local(this.pending);
    this.pending = null;
  }

  hello(): void {
    this.engine.hello();
  }

  tick(): void {
    this.flush();
    this.engine.tick();
  }

  /** The whole state to every connected node, unasked: a stopping member's last word. */
  farewell(): void {
    this.flush();
    this.engine.farewell();
  }

  nodeUp(node: string): void {
    this.flush();
    this.engine.nodeUp(node);
  }

  nodeDown(node: string): void {
    this.forget(node);
    this.engine.nodeDown(node);
  }

  /** Stops counting `node`'s replica as heard (its member stopped): it counts again when a new one speaks. */
  forget(node: string): void {
    this.replicas.delete(node);
    this.table.heard.delete(node);
  }

  /** A message of the replication protocol: checked (the engine drops, counts and warns of a malformed one), then handed over. */
  receive(msg: object): void {
    let m: ReplicaMessage;
    try {
      if (!isReplicaMessage(msg)) throw new TypeError('not a replication message');
      m = checkReplicaMessage(msg);
    } catch {
      this.engine.receive(msg);
      return;
    }
    // A digest is compared with what this replica has shipped: hand the engine the writes not yet shipped first.
    if (m.$crdt === 'digest') this.flush();
    const connected = this.host.nodes().includes(m.from);
    const isNew = connected && this.replicas.get(m.from) !== m.replica;
    if (connected) {
      if (isNew) this.host.newReplica(m.from);
      this.replicas.set(m.from, m.replica);
      this.table.heard.add(m.from);
    }
    this.engine.receive(m);
    if (isNew && (m.$crdt === 'state' || m.$crdt === 'delta')) {
      // As in the registry's owner: introduce this replica to one that started after it.
      this.flush();
      this.engine.nodeUp(m.from);
    }
  }

  private write(delta: ChildMap): void {
    if (delta.size === 0 && delta.context.isEmpty) return;
    if (this.pending === null) this.pending = delta;
    else this.pending.join(delta);
  }

  private remoteChanged(keys: readonly unknown[]): void {
    for (const k of keys) {
      const key = parseKey(k);
      if (key === undefined) continue;
      const raw = this.map.get(key);
      if (raw === undefined) {
        this.table.put(key, undefined);
        continue;
      }
      try {
        this.table.put(key, parseValue(key, raw));
      } catch (e) {
        this.host.log(`ignored a malformed entry from a peer: ${String(e)}`);
        this.table.put(key, undefined);
      }
    }
    this.host.changed();
  }
}
