import { InvalidArgumentError } from '@foundation/runtime';
import { CausalContext } from './causal-context.js';
import { crdtFromWire, type ReplicatedCrdt } from './crdt.js';
import { DeltaBuffer } from './delta-buffer.js';
import type { HLCOptions } from './hlc.js';
import { checkReplicaMessage, type ReplicaMessage } from './protocol.js';

/** How a ReplicationEngine reaches the replicas of its CRDT on other nodes. */
export interface ReplicationHost {
  /** Sends a protocol message to the replica of this CRDT on `node` (dropped if unreachable). */
  send(node: string, msg: ReplicaMessage): void;
  /** The nodes connected now. */
  nodes(): readonly string[];
}

/** Tuning of a ReplicationEngine; every count is in ticks (calls of `tick`). */
export interface ReplicationOptions {
  /** Most local deltas held for peers that have not acknowledged them (default 1000). */
  maxBufferedDeltas?: number;
  /** Ticks without an acknowledgement before shipping again from the last one (default 10). */
  retransmitTicks?: number;
  /** Ticks between digests sent to every connected node (default 10). */
  antiEntropyTicks?: number;
  /** For AWLWWMap states rebuilt from the wire: the HLC options of this replica. */
  hlc?: HLCOptions;
}

/** What the engine knows of one peer replica it has heard from. */
interface Peer {
  replica: string;
  /** The last local delta shipped to it (or covered by a state shipped to it). */
  sent: number;
  /** The last local delta it acknowledged. */
  acked: number;
  /** It needs the full state: its deltas were freed, or its digest showed it lacks something. */
  full: boolean;
  /** What was last shipped to it and is not yet acknowledged. */
  unacked: 'none' | 'delta' | 'state';
  /** Ticks since it last acknowledged while something was unacknowledged. */
  stalled: number;
  /** This replica's context when the peer's previous digest came. */
  seenAtLastDigest: CausalContext | null;
}

/** A snapshot of an engine's bookkeeping, for tests and monitoring. */
export interface ReplicationStats {
  /** Local deltas so far. */
  seq: number;
  /** Local deltas still buffered. */
  buffered: number;
  /** Peers heard from, with what was shipped to and acknowledged by each. */
  peers: { node: string; replica: string; sent: number; acked: number }[];
  /** Protocol messages sent, by kind. */
  sent: { delta: number; state: number; ack: number; digest: number };
}

/**
 * The delta-state anti-entropy of one CRDT replica, without an actor: the owner calls `local`
 * after each write, `receive` for each protocol message, `tick` every sync interval, and
 * `nodeUp` / `nodeDown` as the cluster changes. An actor (the Replicator, or a registry that
 * reads its map locally) drives it.
 *
 * - Local deltas are buffered, numbered, and shipped to each peer as one delta group per tick;
 *   the peer acknowledges, and deltas every peer acknowledged are freed.
 * - A peer that connects gets the full state; one that goes down is forgotten (its share of
 *   the buffer freed at once) and gets the full state when it returns.
 * - Every few ticks each node gets a digest (the causal context); a peer whose digest lacks
 *   dots seen here gets the full state. This repairs any loss — a dropped frame, a replica
 *   restarted without a node restart, a write that reached only some nodes before a
 *   partition — without relying on delivery order: deltas carry exact dots, so they may be
 *   joined in any order, any number of times.
 */
export class ReplicationEngine {
  /** Called after a remote delta or state changed keys here. */
  onRemoteChange: ((keys: unknown[]) => void) | null = null;

  private readonly buffer: DeltaBuffer;
  private readonly peers = new Map<string, Peer>();
  private readonly retransmitTicks: number;
  private readonly antiEntropyTicks: number;
  private readonly hlc: HLCOptions | undefined;
  private ticks = 0;
  private readonly counts = { delta: 0, state: 0, ack: 0, digest: 0 };

  constructor(
    /** The CRDT's name, the same on every node. */
    readonly name: string,
    /** This node's name (where peers answer). */
    readonly node: string,
    /** The replica this engine keeps in sync. */
    readonly crdt: ReplicatedCrdt,
    private readonly host: ReplicationHost,
    opts: ReplicationOptions = {},
  ) {
    this.buffer = new DeltaBuffer(positiveInt('maxBufferedDeltas', opts.maxBufferedDeltas, 1000));
    this.retransmitTicks = positiveInt('retransmitTicks', opts.retransmitTicks, 10);
    this.antiEntropyTicks = positiveInt('antiEntropyTicks', opts.antiEntropyTicks, 10);
    this.hlc = opts.hlc;
  }

  /** Records the delta of a local write (already joined into `crdt`) for shipping. */
  local(delta: ReplicatedCrdt): void {
    if (delta.size === 0 && delta.context.isEmpty) return;
    this.buffer.push(delta);
    this.collect();
  }

  /** Announces this replica to every connected node (on start): each answers as to a digest. */
  hello(): void {
    for (const n of this.host.nodes()) this.sendDigest(n, false);
  }

  /** A node connected: it gets the full state (its replica, if any, acknowledges and becomes a peer). */
  nodeUp(node: string): void {
    this.peers.delete(node);
    this.send(node, { $crdt: 'state', ...this.header(), seq: this.buffer.top, state: this.crdt.toWire() });
    this.collect();
  }

  /** A node went away: forget it, freeing the deltas kept for it. */
  nodeDown(node: string): void {
    this.peers.delete(node);
    this.collect();
  }

  /** One sync interval: ship delta groups (or states) to peers, and every few ticks a digest to every node. */
  tick(): void {
    this.ticks++;
    const top = this.buffer.top;
    const groups = new Map<number, unknown>();
    for (const [node, p] of this.peers) {
      if (p.full || (top > p.sent && p.sent < this.buffer.floor)) {
        this.sendState(node, p);
      } else if (top > p.sent) {
        let wire = groups.get(p.sent);
        if (wire === undefined) {
          wire = this.buffer.since(p.sent, () => this.crdt.empty()).toWire();
          groups.set(p.sent, wire);
        }
        this.send(node, { $crdt: 'delta', ...this.header(), seq: top, delta: wire });
        p.sent = top;
        p.unacked = 'delta';
        p.stalled = 0;
      } else if (p.unacked !== 'none' && ++p.stalled >= this.retransmitTicks) {
        // Nothing came back for a while: ship again from what was acknowledged.
        if (p.unacked === 'state') p.full = true;
        else p.sent = p.acked;
        p.unacked = 'none';
        p.stalled = 0;
      }
    }
    if (this.ticks % this.antiEntropyTicks === 0) for (const n of this.host.nodes()) this.sendDigest(n, false);
  }

  /** Handles one protocol message from the replica on `msg.from`. */
  receive(msg: ReplicaMessage): void {
    checkReplicaMessage(msg);
    switch (msg.$crdt) {
      case 'delta':
        this.joinRemote(msg.delta);
        this.send(msg.from, { $crdt: 'ack', ...this.header(), seq: msg.seq });
        return;
      case 'state':
        this.joinRemote(msg.state);
        this.send(msg.from, { $crdt: 'ack', ...this.header(), seq: msg.seq });
        return;
      case 'ack': {
        const p = this.peers.get(msg.from);
        if (!p || p.replica !== msg.replica) {
          this.peers.set(msg.from, { replica: msg.replica, sent: msg.seq, acked: msg.seq, full: false, unacked: 'none', stalled: 0, seenAtLastDigest: null });
        } else {
          if (msg.seq > p.acked) p.acked = msg.seq;
          if (p.sent < p.acked) p.sent = p.acked;
          if (msg.seq >= p.sent) p.unacked = 'none';
          p.stalled = 0;
        }
        this.collect();
        return;
      }
      case 'digest': {
        const theirs = CausalContext.fromWire(msg.context, 'digest.context');
        let p = this.peers.get(msg.from);
        const top = this.buffer.top;
        if (!p || p.replica !== msg.replica) {
          // A peer not known (or a new replica there): it has what its digest says, no more.
          p = { replica: msg.replica, sent: top, acked: top, full: false, unacked: 'none', stalled: 0, seenAtLastDigest: null };
          this.peers.set(msg.from, p);
        }
        const mine = this.crdt.context;
        const me = this.crdt.replica;
        // It lacks a write of this replica: compared only when nothing is in flight to it, so
        // that a delta on its way does not read as a loss (messages between two nodes arrive
        // in order). Or it still lacks something (of any replica) this replica already had at
        // its previous digest: a delta from a third node was lost, or cannot reach it.
        const quiet = p.sent === top && p.unacked === 'none' && !p.full;
        const lacksOwn = quiet && !theirs.covers(me, mine.max(me));
        // (Only periodic digests, an anti-entropy interval apart, are compared with the last.)
        const lacksOld = !msg.reply && p.seenAtLastDigest !== null && !theirs.includes(p.seenAtLastDigest);
        if (lacksOwn || lacksOld) this.sendState(msg.from, p);
        if (!msg.reply) p.seenAtLastDigest = mine.clone();
        if (!msg.reply && !mine.includes(theirs)) this.sendDigest(msg.from, true);
        return;
      }
      default:
        msg satisfies never;
    }
  }

  /** A snapshot of the bookkeeping. */
  stats(): ReplicationStats {
    return {
      seq: this.buffer.top,
      buffered: this.buffer.length,
      peers: [...this.peers].map(([node, p]) => ({ node, replica: p.replica, sent: p.sent, acked: p.acked })),
      sent: { ...this.counts },
    };
  }

  private joinRemote(wire: unknown): void {
    const other = crdtFromWire(wire, this.crdt.replica, this.hlc);
    const changed = (this.crdt as { join(o: ReplicatedCrdt): unknown[] }).join(other);
    if (changed.length > 0) this.onRemoteChange?.(changed);
  }

  private sendState(node: string, p: Peer): void {
    p.sent = this.buffer.top;
    p.full = false;
    p.unacked = 'state';
    p.stalled = 0;
    this.send(node, { $crdt: 'state', ...this.header(), seq: p.sent, state: this.crdt.toWire() });
  }

  private sendDigest(node: string, reply: boolean): void {
    this.send(node, { $crdt: 'digest', ...this.header(), context: this.crdt.context.toWire(), reply });
  }

  private header() {
    return { name: this.name, from: this.node, replica: this.crdt.replica };
  }

  private send(node: string, msg: ReplicaMessage): void {
    this.counts[msg.$crdt]++;
    this.host.send(node, msg);
  }

  /** Frees the deltas every peer has acknowledged (all of them, with no peer). */
  private collect(): void {
    let min = this.buffer.top;
    for (const p of this.peers.values()) if (p.acked < min) min = p.acked;
    this.buffer.dropThrough(min);
  }
}

function positiveInt(field: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!(Number.isSafeInteger(v) && v > 0)) throw new InvalidArgumentError(field, 'an integer ≥ 1', v);
  return v;
}
