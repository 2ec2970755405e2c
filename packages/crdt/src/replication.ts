import { InvalidArgumentError, checkKnownOptions } from '@foundation/runtime';
import { CausalContext } from './causal-context.js';
import { crdtFromWire, type ReplicatedCrdt } from './crdt.js';
import { DeltaBuffer } from './delta-buffer.js';
import { ClockOffsetError, KindMismatchError } from './errors.js';
import type { HLCOptions } from './hlc.js';
import { Retirements, type PeerRetirement, type PrunedWire } from './internal/pruning.js';
import { WarnOnce } from './internal/warn-once.js';
import { nodeOfReplica } from './replica-id.js';
import { checkReplicaMessage, isReplicaMessage, type ReplicaMessage } from './protocol.js';

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
  /**
   * Ticks a retirement marker is kept after its replica was pruned here (and a marker that
   * could not prune lives): see internal/pruning.ts. Default 216 000 (6 hours at 100 ms a
   * tick, Akka's `pruning-marker-time-to-live`).
   */
  pruningMarkerTicks?: number;
  /**
   * Ticks a node may stay down before its replica is retired (pruned from every context), as if
   * a newer replica had come up there: for nodes that never come back under their name (pods
   * with generated names). Default Infinity (only a newer replica retires one). A replica
   * retired while it was only cut off loses nothing: its later writes bring its entry back.
   */
  retireDownAfterTicks?: number;
  /** Where warnings go (a peer sending malformed data, or writes from a clock too far ahead); default console.warn. */
  log?: (msg: string) => void;
}

/** The default of `ReplicationOptions.pruningMarkerTicks`. */
export const DEFAULT_PRUNING_MARKER_TICKS = 216_000;

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
  /** What the peer's last digest said of the replicas this one is retiring (null before one came). */
  retirements: ReadonlyMap<string, PeerRetirement> | null;
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
  /**
   * Messages dropped: malformed, carrying a write stamped too far ahead of this clock, or a
   * delta group that starts after a lost one (`gap`: not acknowledged, so it comes again).
   */
  dropped: { malformed: number; clockOffset: number; gap: number };
  /** Replicas in this replica's causal context, and retirement markers held (see internal/pruning.ts). */
  contextReplicas: number;
  retiring: number;
}

const OPTION_KEYS = [
  'maxBufferedDeltas',
  'retransmitTicks',
  'antiEntropyTicks',
  'hlc',
  'pruningMarkerTicks',
  'retireDownAfterTicks',
  'log',
];

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
 * - Entries of dead replicas leave the contexts (pruning: see internal/pruning.ts).
 * - Data from peers is checked at `receive`: a malformed message, or a delta or state with a
 *   write stamped more than the HLC's `maxOffsetMs` ahead of this clock, is dropped (not
 *   acknowledged, so it comes again later), counted, and warned about once per peer.
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
  private readonly dropped = { malformed: 0, clockOffset: 0, gap: 0 };
  private readonly warnings: WarnOnce;
  private readonly retirements: Retirements;
  /** The replica last heard from on each connected node: newer ones there prove older ones dead. */
  private readonly current = new Map<string, string>();
  /**
   * Per sender node: its replica and the last sequence number of it joined here, with nothing
   * missing before it. A delta group that starts after a later number (one before it was lost)
   * is not joined nor acknowledged: joined, its context would claim the lost group's dots as
   * seen (and their removals as done), and no digest could tell. The sender, unacknowledged,
   * ships again from what was acknowledged (delta-interval anti-entropy, Almeida et al.).
   */
  private readonly received = new Map<string, { replica: string; seq: number }>();
  /** Nodes down (with their last replica, and since when), until they come back or `retireDownAfterTicks` passes. */
  private readonly downSince = new Map<string, { replica: string; tick: number }>();
  private readonly retireDownAfterTicks: number;

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
    checkKnownOptions('ReplicationEngine', opts, OPTION_KEYS);
    this.buffer = new DeltaBuffer(positiveInt('maxBufferedDeltas', opts.maxBufferedDeltas, 1000));
    this.retransmitTicks = positiveInt('retransmitTicks', opts.retransmitTicks, 10);
    this.antiEntropyTicks = positiveInt('antiEntropyTicks', opts.antiEntropyTicks, 10);
    this.hlc = opts.hlc;
    const down = opts.retireDownAfterTicks;
    if (down !== undefined && down !== Infinity) positiveInt('retireDownAfterTicks', down, 0);
    this.retireDownAfterTicks = down ?? Infinity;
    this.retirements = new Retirements(
      crdt,
      positiveInt('pruningMarkerTicks', opts.pruningMarkerTicks, DEFAULT_PRUNING_MARKER_TICKS),
      (r) => {
        const node = nodeOfReplica(r);
        return node !== undefined && this.current.get(node) === r && this.host.nodes().includes(node);
      },
    );
    const log = opts.log ?? ((msg: string) => console.warn(msg));
    this.warnings = new WarnOnce((msg) => log(`[crdt ${name}] ${msg}`));
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
    this.downSince.delete(node);
    this.send(node, {
      $crdt: 'state',
      ...this.header(),
      seq: this.buffer.top,
      state: this.crdt.toWire(),
      pruned: this.retirements.prunedWire(),
    });
    this.collect();
  }

  /** A node went away: forget it, freeing the deltas kept for it. */
  nodeDown(node: string): void {
    const replica = this.current.get(node) ?? this.peers.get(node)?.replica;
    if (replica !== undefined && this.retireDownAfterTicks !== Infinity) this.downSince.set(node, { replica, tick: this.ticks });
    this.peers.delete(node);
    this.current.delete(node);
    this.received.delete(node);
    this.warnings.forget(`${node}\u0000`);
    this.collect();
  }

  /** The full state to every connected node, unasked: for a replica about to stop, so its last writes are not lost. */
  farewell(): void {
    for (const n of this.host.nodes())
      this.send(n, {
        $crdt: 'state',
        ...this.header(),
        seq: this.buffer.top,
        state: this.crdt.toWire(),
        pruned: this.retirements.prunedWire(),
      });
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
        this.send(node, { $crdt: 'delta', ...this.header(), after: p.sent, seq: top, delta: wire, pruned: this.retirements.prunedWire() });
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
    for (const [node, d] of this.downSince) {
      if (this.ticks - d.tick < this.retireDownAfterTicks) continue;
      this.downSince.delete(node);
      this.retirements.retire(d.replica);
    }
    this.retirements.tick([...this.peers.values()].map((p) => p.retirements));
    if (this.ticks % this.antiEntropyTicks === 0) {
      this.retirements.scan(this.current);
      for (const n of this.host.nodes()) this.sendDigest(n, false);
    }
  }

  /**
   * Handles one protocol message from the replica on `msg.from`. Never throws for bad data: a
   * message that is not one of the protocol's, is malformed or is for another CRDT, and a delta
   * or state with a write too far in the future, are dropped, counted and warned about.
   */
  receive(msg: unknown): void {
    let m: ReplicaMessage;
    let incoming: ReplicatedCrdt | null = null;
    let digestContext: CausalContext | null = null;
    try {
      if (!isReplicaMessage(msg)) throw new TypeError('not a message of the replication protocol');
      m = checkReplicaMessage(msg);
      if (m.name !== this.name) throw new TypeError(`a message for the CRDT '${m.name}', not '${this.name}'`);
      if (m.$crdt === 'delta' || m.$crdt === 'state') incoming = this.parseRemote(m.$crdt === 'delta' ? m.delta : m.state, m.pruned ?? []);
      else if (m.$crdt === 'digest') digestContext = CausalContext.fromWire(m.context, 'digest.context');
    } catch (e) {
      this.drop(msg, ClockOffsetError.is(e) ? 'clockOffset' : 'malformed', e);
      return;
    }
    // A replica known dead while another one runs on its node (a late message of it), or one
    // on a node not connected (a `from` that names no peer): its data is joined, but it is not
    // made a peer, nor the node's current replica — so those tables hold connected nodes only.
    const dead =
      (this.retirements.has(m.replica) && this.current.has(m.from) && this.current.get(m.from) !== m.replica) ||
      !this.host.nodes().includes(m.from);
    if (!dead) this.heardFrom(m.from, m.replica);
    switch (m.$crdt) {
      case 'delta':
      case 'state':
        if (m.$crdt === 'delta' && this.gapBefore(m)) {
          this.dropped.gap++;
          return;
        }
        try {
          this.joinRemote(incoming!);
        } catch (e) {
          if (!ClockOffsetError.is(e)) throw e;
          this.drop(m, 'clockOffset', e);
          return;
        }
        if (!dead) this.joined(m.from, m.replica, m.seq);
        // Not answered: it is gone (or not there), and its data came in all the same.
        if (!dead) this.send(m.from, { $crdt: 'ack', ...this.header(), seq: m.seq });
        return;
      case 'ack': {
        if (dead) return;
        const p = this.peers.get(m.from);
        if (!p || p.replica !== m.replica) {
          this.peers.set(m.from, {
            replica: m.replica,
            sent: m.seq,
            acked: m.seq,
            full: false,
            unacked: 'none',
            stalled: 0,
            seenAtLastDigest: null,
            retirements: null,
          });
        } else {
          if (m.seq > p.acked) p.acked = m.seq;
          if (p.sent < p.acked) p.sent = p.acked;
          if (m.seq >= p.sent) p.unacked = 'none';
          p.stalled = 0;
        }
        this.collect();
        return;
      }
      case 'digest': {
        if (dead) return;
        const retired = m.retired ?? [];
        for (const [r, upTo] of retired) this.retirements.adopt(r, upTo);
        // Both contexts as if nothing were pruned, so a pruned entry does not read as a lack.
        const theirs = Retirements.restored(
          digestContext!,
          retired.filter((w) => w[2]),
        );
        let p = this.peers.get(m.from);
        const top = this.buffer.top;
        if (!p || p.replica !== m.replica) {
          // A peer not known (or a new replica there): it has what its digest says, no more.
          p = {
            replica: m.replica,
            sent: top,
            acked: top,
            full: false,
            unacked: 'none',
            stalled: 0,
            seenAtLastDigest: null,
            retirements: null,
          };
          this.peers.set(m.from, p);
        }
        if (!m.reply) p.retirements = this.retirements.snapshot(theirs, retired);
        const mine = this.retirements.effectiveContext();
        const me = this.crdt.replica;
        // It lacks a write of this replica: compared only when nothing is in flight to it, so
        // that a delta on its way does not read as a loss (messages between two nodes arrive
        // in order). Or it still lacks something (of any replica) this replica already had at
        // its previous digest: a delta from a third node was lost, or cannot reach it.
        const quiet = p.sent === top && p.unacked === 'none' && !p.full;
        const lacksOwn = quiet && !theirs.covers(me, mine.max(me));
        // (Only periodic digests, an anti-entropy interval apart, are compared with the last.)
        const lacksOld = !m.reply && p.seenAtLastDigest !== null && !theirs.includes(p.seenAtLastDigest);
        if (lacksOwn || lacksOld) this.sendState(m.from, p);
        if (!m.reply) p.seenAtLastDigest = mine === this.crdt.context ? mine.clone() : mine;
        if (!m.reply && !mine.includes(theirs)) this.sendDigest(m.from, true);
        return;
      }
      default:
        m satisfies never;
    }
  }

  /** A snapshot of the bookkeeping. */
  stats(): ReplicationStats {
    return {
      seq: this.buffer.top,
      buffered: this.buffer.length,
      peers: [...this.peers].map(([node, p]) => ({ node, replica: p.replica, sent: p.sent, acked: p.acked })),
      sent: { ...this.counts },
      dropped: { ...this.dropped },
      contextReplicas: this.crdt.context.size.replicas,
      retiring: this.retirements.size,
    };
  }

  /** Notes the replica a node runs now; a new one there retires the one before it. */
  /**
   * True when the delta group `m` starts after what this replica has of its sender (a group
   * before it was lost). With nothing of that replica yet, only a group from its start fits:
   * the sender ships its whole state to a replica it has not heard acknowledge (see nodeUp).
   */
  private gapBefore(m: { readonly from: string; readonly replica: string; readonly after: number }): boolean {
    const r = this.received.get(m.from);
    const have = r !== undefined && r.replica === m.replica ? r.seq : 0;
    return m.after > have;
  }

  /** Everything of `replica` (on `node`) up to `seq` is joined here now. */
  private joined(node: string, replica: string, seq: number): void {
    const r = this.received.get(node);
    if (r === undefined || r.replica !== replica) this.received.set(node, { replica, seq });
    else if (seq > r.seq) r.seq = seq;
  }

  private heardFrom(node: string, replica: string): void {
    const before = this.current.get(node);
    if (before === replica) return;
    this.current.set(node, replica);
    if (before !== undefined) this.retirements.retire(before);
    this.retirements.scan(this.current);
  }

  /** A state or delta off the wire, with the entries its sender pruned put back into its context. */
  private parseRemote(wire: unknown, pruned: readonly PrunedWire[]): ReplicatedCrdt {
    const other = crdtFromWire(wire, this.crdt.replica, this.hlc);
    if (other.kind !== this.crdt.kind) throw new KindMismatchError(this.crdt.kind, other.kind);
    this.retirements.restoreIncoming(other.context, pruned);
    return other;
  }

  private joinRemote(other: ReplicatedCrdt): void {
    const back = this.retirements.restoreFor(other.context);
    let changed: unknown[];
    try {
      changed = (this.crdt as { join(o: ReplicatedCrdt): unknown[] }).join(other);
    } finally {
      this.retirements.reprune(back);
    }
    if (changed.length > 0) this.onRemoteChange?.(changed);
  }

  private drop(msg: unknown, why: 'malformed' | 'clockOffset', e: unknown): void {
    this.dropped[why]++;
    const from = typeof msg === 'object' && msg !== null ? String((msg as { from?: unknown }).from).slice(0, 100) : '?';
    const what = why === 'malformed' ? 'a malformed message' : 'a write from a clock too far ahead';
    this.warnings.warn(
      `${from}\u0000${why}`,
      `dropped ${what} from node ${from} (${(e as Error)?.message ?? String(e)}); more of that kind from it are dropped without a warning`,
    );
  }

  private sendState(node: string, p: Peer): void {
    p.sent = this.buffer.top;
    p.full = false;
    p.unacked = 'state';
    p.stalled = 0;
    this.send(node, { $crdt: 'state', ...this.header(), seq: p.sent, state: this.crdt.toWire(), pruned: this.retirements.prunedWire() });
  }

  private sendDigest(node: string, reply: boolean): void {
    this.send(node, { $crdt: 'digest', ...this.header(), context: this.crdt.context.toWire(), reply, retired: this.retirements.wire() });
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
