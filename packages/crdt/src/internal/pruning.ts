import type { CausalContext } from '../causal-context.js';
import type { ReplicatedCrdt } from '../crdt.js';
import { nodeOfReplica } from '../replica-id.js';

/** A retirement as digests carry it: the replica, its last counter, and whether the sender pruned it. */
export type RetiredWire = readonly [replica: string, upTo: number, pruned: boolean];

/**
 * A pruned replica as deltas and states carry it: its dots 1..upTo were seen, and none is live;
 * `age`, the ticks since the sender pruned it (a receiver that takes the marker over takes its
 * age too, so a marker passed back and forth still expires).
 */
export type PrunedWire = readonly [replica: string, upTo: number, age: number];

/** What one peer's last digest said of each replica this one is retiring. */
export interface PeerRetirement {
  readonly upTo: number;
  /** The peer has dropped the replica from its context. */
  readonly pruned: boolean;
  /** The peer has seen exactly the dots 1..upTo of the replica (or pruned it). */
  readonly covered: boolean;
  /** The peer's context still has dots of the replica. */
  readonly mentions: boolean;
}

interface Marker {
  /** The dead replica's last counter, as far as this replica and its peers know. */
  upTo: number;
  /** Dropped from this replica's context. */
  pruned: boolean;
  /** Ticks since the marker was made, or since it was pruned. */
  age: number;
}

/**
 * Pruning: how the entries of dead replicas leave the causal contexts.
 *
 * Every start of a replica has a new id (see ../replica-id.ts), so without pruning every
 * context keeps one entry per replica that ever wrote, on every node, forever. Akka Distributed
 * Data solves this for its CRDTs by "pruning" a removed node's entries once the cluster has
 * seen the removal (PruningInitialized, then PruningPerformed, markers kept for a while so late
 * data of the removed node is not merged back in). This is the same idea, shaped for a dotted
 * causal context, where an entry `r → n` means "every dot 1..n of r has been seen" and a dot
 * absent from the store but in the context means "removed".
 *
 * 1. **Evidence.** A node runs one replica of a named CRDT at a time. When a message from node
 *    `x` names a replica other than the one last heard from `x`, or a context holds a replica
 *    of this replica's own node other than itself, the other replica of that node is dead.
 *    (The node is read back out of the id; ids of another form are never retired.) A node
 *    down longer than `retireDownAfterTicks` (ReplicationEngine's option) retires its last
 *    replica too: nodes with generated names never come back to prove anything. A marker
 *    `r → upTo` is made, `upTo` being the highest counter of `r` seen. A replica retired while
 *    alive (only cut off) loses nothing: its later dots un-prune it wherever they arrive (4).
 * 2. **Dissemination.** Digests carry every marker (`[r, upTo, pruned]`). A replica whose
 *    context holds `r` adopts a marker it hears of; `upTo` is the largest anyone reports, so a
 *    last write of `r` that reached only one replica raises it everywhere (and un-prunes).
 *    A replica never adopts a marker naming itself.
 * 3. **Pruning.** A replica drops `r` from its context when (a) it has seen exactly the dots
 *    1..upTo of `r`, (b) no dot of `r` is live in its store, and (c) the last digest of every
 *    peer it replicates with says the same upTo and that the peer has seen all of it too.
 *    (a) and (b) make the drop lossless while the marker remembers upTo: the entry can be put
 *    back exactly (4). (c) is not needed for safety — a later dot of `r` arriving un-prunes —
 *    but waits until that cannot happen among the live replicas, so entries do not flap.
 *    A dead replica's values that are still live keep its entry (b): they are data, bounded
 *    by the store, not history.
 * 4. **Pruned and unpruned data meet.** States and deltas carry the sender's pruned markers
 *    (`[r, upTo, age]`). A receiver puts `1..upTo` back into the incoming context before the
 *    join and takes the marker over — pruned, if it does not hold `r` (a replica that never
 *    knew `r` must still learn that `r`'s dots up to upTo are dead: else a lagging peer could
 *    hand it one of them later, and digests, which compare contexts with pruned entries put
 *    back, would not see the difference). Likewise it puts its own pruned entries back while it
 *    joins data that mentions them, and prunes them again after (unless the join brought new
 *    dots of `r`). Each join is thus the ordinary join of unpruned states: a dot of `r` that a
 *    lagging replica still holds but this one removed stays removed (the restored entry has
 *    "seen" it), and a pruned state removes it on the lagging replica.
 * 5. **Forgetting.** A marker is kept `ttlTicks` after pruning, and until every peer reports
 *    it pruned too; a marker that could not prune is dropped after `ttlTicks` (evidence makes
 *    it again). A marker taken over from data keeps the sender's age, so two replicas handing
 *    one back and forth do not keep it alive. So markers are bounded by the replicas that died
 *    within a TTL, and contexts by the live replicas plus the dead ones whose values still live.
 *
 * Limit (as Akka's `pruning-marker-time-to-live`): a replica cut off from every peer for
 * longer than the TTL, still holding `r`'s entry and a dot of `r` removed elsewhere, brings the
 * dot back when it returns. The TTL must outlast any partition a node rejoins from without a
 * restart; its default (6 hours) is Akka's.
 */
export class Retirements {
  private readonly markers = new Map<string, Marker>();

  constructor(
    private readonly crdt: ReplicatedCrdt,
    private readonly ttlTicks: number,
    /**
     * True for a replica heard from as the current one of a connected node: alive, whatever a
     * marker says (it was retired while only cut off). Such a marker is dropped, never adopted,
     * else it would travel between the other replicas for ever, the live one never reporting it
     * pruned.
     */
    private readonly live: (replica: string) => boolean = () => false,
  ) {}

  /** Markers held (dead replicas being pruned, or pruned within the TTL). */
  get size(): number {
    return this.markers.size;
  }

  /** True when `replica` is known dead here. */
  has(replica: string): boolean {
    return this.markers.has(replica);
  }

  /**
   * Retires the replicas the evidence shows dead: those of this replica's node other than
   * itself, and those of a node whose current replica (`current`) is another one.
   */
  scan(current: ReadonlyMap<string, string>): void {
    const me = this.crdt.replica;
    const myNode = nodeOfReplica(me);
    for (const [r, m] of this.markers) {
      if (!this.live(r)) continue;
      if (m.pruned) this.unprune(r, m);
      this.markers.delete(r);
    }
    for (const { replica } of this.crdt.context.replicas()) {
      if (replica === me || this.markers.has(replica)) continue;
      const node = nodeOfReplica(replica);
      if (node === undefined) continue;
      const live = node === myNode ? me : current.get(node);
      if (live !== undefined && live !== replica) this.retire(replica);
    }
  }

  /** Starts retiring `replica`, known dead (not this one; only while the context holds it). */
  retire(replica: string): void {
    const ctx = this.crdt.context;
    if (replica === this.crdt.replica || this.markers.has(replica) || ctx.max(replica) === 0 || this.live(replica)) return;
    this.markers.set(replica, { upTo: ctx.max(replica), pruned: false, age: 0 });
  }

  /** Takes in a marker a peer reported (adopted only for a replica this context holds or retires). */
  adopt(replica: string, upTo: number): void {
    if (replica === this.crdt.replica || this.live(replica)) return;
    const m = this.markers.get(replica);
    if (!m) {
      const mine = this.crdt.context.max(replica);
      if (mine > 0) this.markers.set(replica, { upTo: Math.max(upTo, mine), pruned: false, age: 0 });
      return;
    }
    if (upTo <= m.upTo) return;
    // Someone saw a later dot of it: the entry comes back until everyone has that one too.
    if (m.pruned) this.unprune(replica, m);
    m.upTo = upTo;
  }

  /** The markers, for digests. */
  wire(): RetiredWire[] {
    return [...this.markers].map(([r, m]) => [r, m.upTo, m.pruned] as const);
  }

  /** The pruned markers, for states and deltas. */
  prunedWire(): PrunedWire[] {
    const out: PrunedWire[] = [];
    for (const [r, m] of this.markers) if (m.pruned) out.push([r, m.upTo, m.age]);
    return out;
  }

  /** `ctx` with the given pruned entries put back (a copy, if any; `ctx` itself otherwise). */
  static restored(ctx: CausalContext, pruned: readonly (readonly [replica: string, upTo: number, ...rest: unknown[]])[]): CausalContext {
    if (pruned.length === 0) return ctx;
    const c = ctx.clone();
    for (const [r, upTo] of pruned) c.addRange(r, upTo);
    return c;
  }

  /**
   * Puts the entries the sender of `incoming` pruned back into its context, and takes their
   * markers over: a replica holding the entry learns the retirement (and may hold dots of it the
   * sender removed: the restored entry removes them); one not holding it (it never knew the
   * replica, or has forgotten it) holds it pruned from now on — else data of a lagging replica
   * still holding one of its removed dots would bring that dot in here, and digests, which
   * compare contexts with pruned entries put back, would never tell the difference.
   */
  restoreIncoming(incoming: CausalContext, pruned: readonly PrunedWire[]): void {
    for (const [r, upTo, age] of pruned) {
      // This replica itself, retired while it was only cut off: it takes no marker, but the
      // entry goes back all the same, so that its values the sender removed go here too.
      if (r === this.crdt.replica || this.live(r)) {
        incoming.addRange(r, upTo);
        continue;
      }
      if (!this.markers.has(r) && this.crdt.context.max(r) === 0) this.markers.set(r, { upTo, pruned: true, age });
      else this.adopt(r, upTo);
      incoming.addRange(r, upTo);
    }
  }

  /** This replica's context as if nothing were pruned: what digests are compared with. */
  effectiveContext(): CausalContext {
    return Retirements.restored(this.crdt.context, this.prunedWire());
  }

  /**
   * Puts back the pruned entries that `incoming` mentions, before a join with it; returns
   * them, for `reprune` after the join.
   */
  restoreFor(incoming: CausalContext): string[] {
    const back: string[] = [];
    for (const [r, m] of this.markers) {
      if (!m.pruned || incoming.max(r) === 0) continue;
      this.crdt.context.addRange(r, m.upTo);
      back.push(r);
    }
    return back;
  }

  /** After a join: prunes again what `restoreFor` put back, unless the join brought later dots of it. */
  reprune(back: readonly string[]): void {
    const ctx = this.crdt.context;
    for (const r of back) {
      const m = this.markers.get(r);
      if (!m) continue;
      if (ctx.max(r) === m.upTo && !this.crdt.hasDotsOf(r)) ctx.forget(r);
      else {
        m.pruned = false;
        m.upTo = Math.max(m.upTo, ctx.max(r));
        m.age = 0;
      }
    }
  }

  /** What a peer's digest (its context, pruned entries put back, and its markers) says of this replica's markers. */
  snapshot(theirs: CausalContext, theirMarkers: readonly RetiredWire[]): Map<string, PeerRetirement> {
    const reported = new Map<string, RetiredWire>();
    for (const w of theirMarkers) if (this.markers.has(w[0])) reported.set(w[0], w);
    const out = new Map<string, PeerRetirement>();
    for (const [r, m] of this.markers) {
      const w = reported.get(r);
      const max = theirs.max(r);
      out.set(r, {
        upTo: w?.[1] ?? 0,
        pruned: w?.[2] ?? false,
        covered: w !== undefined && w[1] === m.upTo && max === m.upTo && theirs.covers(r, m.upTo),
        mentions: max > 0,
      });
    }
    return out;
  }

  /**
   * One tick: prunes what every peer (their last digests: `peers`, null for a peer not yet
   * heard from that way) has acknowledged, and forgets markers past their time.
   */
  tick(peers: readonly (ReadonlyMap<string, PeerRetirement> | null)[]): void {
    const ctx = this.crdt.context;
    for (const [r, m] of this.markers) {
      m.age++;
      if (!m.pruned) {
        m.upTo = Math.max(m.upTo, ctx.max(r));
        const acked = peers.every((p) => p?.get(r)?.covered === true);
        if (acked && ctx.max(r) === m.upTo && ctx.covers(r, m.upTo) && !this.crdt.hasDotsOf(r)) {
          ctx.forget(r);
          m.pruned = true;
          m.age = 0;
        } else if (m.age >= this.ttlTicks) {
          this.markers.delete(r);
        }
      } else if (m.age >= this.ttlTicks && peers.every((p) => p !== null && (p.get(r)?.pruned === true || p.get(r)?.mentions === false))) {
        this.markers.delete(r);
      }
    }
  }

  private unprune(r: string, m: Marker): void {
    this.crdt.context.addRange(r, m.upTo);
    m.pruned = false;
    m.age = 0;
  }
}
