import {
  Actor,
  type Clock,
  isDown,
  isNodeDown,
  isNodeUp,
  noReply,
  type DownMessage,
  type From,
  type Pid,
  type Ref,
} from '@foundation/runtime';
import { HLC } from '@foundation/crdt';
import { CacheOptionError, NotAnIntegerError } from '../../errors.js';
import type { LocalBounds } from '../local-store.js';
import type { Membership } from './membership.js';
import { parseRequest, serverName, type Change, type Item, type Reply, type Request } from './protocol.js';
import { Shard } from './shard.js';

/** What the cache process of a node starts with. */
export interface ServerArgs {
  readonly cache: string;
  readonly membership: Membership;
  readonly bounds: LocalBounds;
  readonly timeoutMs: number;
  /** How long after a membership change entries may still be on their way to their new owners. */
  readonly graceMs: number;
  /** How long one caller may hold the lease to fill a key before the next waiter gets it. */
  readonly leaseMs: number;
  /** The HLC's physical clock (default: the wall clock); tests give nodes skewed clocks. */
  readonly clock?: Pick<Clock, 'now'>;
}

/** Asked by this node's Cache.start only: resolves once the first round of hellos has settled. */
export const READY = { op: 'ready' } as const;

// Messages this process sends itself: class instances, which no peer can forge (a decoded
// message is a plain object).
class Met {
  constructor(readonly pid: Pid) {}
}
class Settled {}
class Dropped {
  constructor(readonly items: readonly Item[]) {}
}
class LeaseExpired {
  constructor(
    readonly k: string,
    readonly id: number,
  ) {}
}
class Tick {}

interface Lease {
  id: number;
  holder: string;
  timer: Ref;
  readonly waiters: From[];
}

const HANDOFF_CHUNK = 1000;

/**
 * One node's process of a partitioned cache (registered as `foundation.cache:<name>`). It holds
 * this node's Shard, answers the clients of every node for the keys this node owns, replicates
 * each write to the key's backups before it acknowledges it, hands entries over when members
 * come and go, and grants the lease that makes getOrSet run its function once cluster-wide.
 *
 * Every handler is synchronous: a handler that waited on a peer would suspend this process, and
 * two processes waiting on each other would stall until a timeout. Writes reply later instead
 * (noReply), once their backups acknowledged.
 */
export class PartitionServer extends Actor<Request | typeof READY, Reply, ServerArgs> {
  private a!: ServerArgs;
  private shard!: Shard;
  private hlc!: HLC;
  private readonly peers = new Map<string, { pid: Pid; ref: Ref }>();
  private readonly leases = new Map<string, Lease>();
  private leaseSeq = 0;
  private settled = false;
  /** A handoff of the last rebalance failed: the next tick hands everything over again. */
  private handoffFailed = false;
  private readonly readyWaiters: From[] = [];

  override init(args: ServerArgs): void {
    this.a = args;
    this.shard = new Shard(args.bounds, () => undefined);
    this.hlc = new HLC(this.node.name, args.clock === undefined ? {} : { clock: args.clock });
    this.trapExit = true;
    this.monitorNodes();
    const hellos = this.node.nodes().map((n) => this.hello(n));
    void Promise.allSettled(hellos)
      .then(() => this.send(this.self, new Settled()))
      .catch(this.guard('the first hellos'));
    this.sendAfter(new Tick(), this.a.graceMs);
  }

  override handleCall(msg: Request | typeof READY, from: From): Reply | typeof noReply {
    if (msg === READY || (msg as { op?: unknown }).op === 'ready') {
      if (from.pid.node !== this.node.name) return { error: new CacheOptionError('request', 'a request from a peer', msg) };
      if (this.settled) return { ok: true };
      this.readyWaiters.push(from);
      return noReply;
    }
    const req = parseRequest(msg);
    if (req === undefined) {
      return { error: new CacheOptionError(`partitioned cache '${this.a.cache}' request`, 'a request of this package', msg) };
    }
    return this.serve(req, from);
  }

  override handleInfo(msg: unknown): void {
    if (msg instanceof Met) this.meet(msg.pid);
    else if (msg instanceof Dropped) this.drop(msg.items);
    else if (msg instanceof LeaseExpired) this.releaseLease(msg.k, msg.id);
    else if (msg instanceof Tick) this.tick();
    else if (msg instanceof Settled) this.settle();
    else if (isNodeUp(msg)) void this.hello(msg.nodeup);
    else if (isNodeDown(msg)) this.peerDown(msg.nodedown);
    else if (isDown(msg)) this.down(msg);
    else this.handedOver(msg);
  }

  /**
   * A member that stops hands its entries to their next holders (a plain message: it is about
   * to exit). Its DOWN follows on the same connection, so these arrive before the ring changes.
   */
  override terminate(): void {
    const m = this.a.membership;
    if (m.replicas === Infinity || m.members().length < 2) return;
    const owners = m.ownersWithout(this.node.name);
    const byNode = new Map<string, Item[]>();
    for (const item of this.shard.items(Date.now())) {
      for (const n of owners(item.k)) {
        let list = byNode.get(n);
        if (list === undefined) byNode.set(n, (list = []));
        list.push(item);
      }
    }
    for (const [n, list] of byNode) {
      for (let i = 0; i < list.length; i += HANDOFF_CHUNK) {
        this.send({ name: serverName(this.a.cache), node: n }, {
          op: 'replicate',
          changes: list.slice(i, i + HANDOFF_CHUNK),
        } satisfies Request);
      }
    }
  }

  /** Entries a stopping member sent: taken like a replication; anything else is dropped. */
  private handedOver(msg: unknown): void {
    const req = parseRequest(msg);
    if (req?.op !== 'replicate') return;
    const now = Date.now();
    for (const change of req.changes) this.take(change, now);
  }

  private serve(req: Request, from: From): Reply | typeof noReply {
    const now = Date.now();
    switch (req.op) {
      case 'hello':
        this.meet(req.from);
        return { ok: this.self };
      case 'get': {
        const item = this.shard.get(req.k, now);
        return { ok: item === undefined ? undefined : { value: item.value } };
      }
      case 'getMany':
        return { ok: req.ks.map((k) => this.shard.get(k, now)).map((item) => (item === undefined ? undefined : { value: item.value })) };
      case 'fetch': {
        const item = this.shard.peek(req.k, now);
        const tomb = this.shard.tomb(req.k);
        return { ok: item ?? (tomb === undefined ? undefined : { k: req.k, tomb }) };
      }
      case 'has':
        return { ok: this.shard.get(req.k, now) !== undefined };
      case 'touch':
        return { ok: this.shard.touch(req.k, now) };
      case 'ttl': {
        const item = this.shard.get(req.k, now);
        return { ok: item === undefined ? undefined : item.exp === 0 ? Infinity : Math.max(0, item.exp - now) };
      }
      case 'put': {
        const present = this.shard.get(req.k, now) !== undefined;
        if ((req.mode === 'new' && present) || (req.mode === 'existing' && !present)) return { ok: false };
        return this.commit([this.item(req.k, req.key, req.value, req.ttl, now)], from, true);
      }
      case 'putMany':
        return this.commit(
          req.entries.map(([k, key, value]) => this.item(k, key, value, req.ttl, now)),
          from,
          undefined,
        );
      case 'delete':
      case 'take': {
        const item = this.shard.get(req.k, now);
        if (item === undefined) return { ok: req.op === 'delete' ? false : undefined };
        return this.commit([{ k: req.k, tomb: this.hlc.now() }], from, req.op === 'delete' ? true : { value: item.value });
      }
      case 'incr': {
        const item = this.shard.get(req.k, now);
        const current = item === undefined ? 0 : item.value;
        if (typeof current !== 'number' || !Number.isSafeInteger(current)) return { error: new NotAnIntegerError(this.a.cache, current) };
        const n = current + req.by;
        if (!Number.isSafeInteger(n)) return { error: new NotAnIntegerError(this.a.cache, n) };
        const exp = item === undefined ? expiry(req.ttl, now) : item.exp;
        return this.commit([{ k: req.k, key: req.key, value: n, exp, ver: this.hlc.now() }], from, n);
      }
      case 'expire': {
        const item = this.shard.get(req.k, now);
        if (item === undefined) return { ok: false };
        return this.commit([{ ...item, exp: expiry(req.ttl, now), ver: this.hlc.now() }], from, true);
      }
      case 'count': {
        const self = this.node.name;
        return { ok: this.shard.count(now, (k) => this.a.membership.owners(k)[0] === self) };
      }
      case 'size':
        return { ok: this.shard.count(now, () => true) };
      case 'clear': {
        const self = this.node.name;
        const n = this.shard.count(now, (k) => this.a.membership.owners(k)[0] === self);
        this.shard.clear();
        return { ok: n };
      }
      case 'counters':
        return { ok: this.shard.counters() };
      case 'members':
        return { ok: this.a.membership.members() };
      case 'acquire':
        return this.acquire(req.k, from, now);
      case 'fill': {
        const lease = this.leases.get(req.k);
        if (lease !== undefined && lease.id === req.lease) {
          this.cancelTimer(lease.timer);
          this.leases.delete(req.k);
          for (const w of lease.waiters) this.reply(w, { ok: { value: req.value } });
        }
        return this.commit([this.item(req.k, req.key, req.value, req.ttl, now)], from, undefined);
      }
      case 'release':
        this.releaseLease(req.k, req.lease);
        return { ok: undefined };
      case 'replicate':
        for (const change of req.changes) this.take(change, now);
        return { ok: true };
    }
  }

  private item(k: string, key: unknown, value: unknown, ttl: number, now: number): Item {
    return { k, key, value, exp: expiry(ttl, now), ver: this.hlc.now() };
  }

  /** Takes in a change from a peer: its stamp moves this clock forward, so later local writes win over it. */
  private take(change: Change, now: number): void {
    try {
      this.hlc.update('tomb' in change ? change.tomb : change.ver);
    } catch (e) {
      // A peer's clock far ahead (ClockOffsetError): its change is refused rather than let it win for the offset.
      console.warn(`cache '${this.a.cache}': a change from a peer was refused`, e);
      return;
    }
    this.shard.apply(change, now);
  }

  /**
   * Applies the changes here, sends them to every other holder of their keys and answers `from`
   * with `result` once those acknowledged (a backup that is gone or silent does not hold the
   * write back: it is answered for after timeoutMs).
   */
  private commit(changes: readonly Change[], from: From, result: unknown): typeof noReply {
    const now = Date.now();
    const byNode = new Map<string, Change[]>();
    for (const c of changes) {
      this.shard.apply(c, now);
      for (const n of this.a.membership.owners(c.k)) {
        if (n === this.node.name) continue;
        let list = byNode.get(n);
        if (list === undefined) byNode.set(n, (list = []));
        list.push(c);
      }
    }
    if (byNode.size === 0) {
      this.reply(from, { ok: result });
      return noReply;
    }
    const acks = [...byNode].map(([n, list]) =>
      // Half the clients' timeout: a stalled backup must not make the client give up on a write the owner made.
      this.call({ name: serverName(this.a.cache), node: n }, { op: 'replicate', changes: list }, Math.max(1, this.a.timeoutMs / 2)),
    );
    void Promise.allSettled(acks)
      .then(() => this.reply(from, { ok: result }))
      .catch(this.guard('a replicated write'));
    return noReply;
  }

  private acquire(k: string, from: From, now: number): Reply | typeof noReply {
    const item = this.shard.get(k, now);
    if (item !== undefined) return { ok: { value: item.value } };
    const lease = this.leases.get(k);
    if (lease !== undefined) {
      lease.waiters.push(from);
      return noReply;
    }
    const id = ++this.leaseSeq;
    this.leases.set(k, { id, holder: from.pid.node, timer: this.sendAfter(new LeaseExpired(k, id), this.a.leaseMs), waiters: [] });
    return { ok: { lease: id } };
  }

  /** The holder gave the lease back (its function failed), or it ran out: the next waiter gets it. */
  private releaseLease(k: string, id: number): void {
    const lease = this.leases.get(k);
    if (lease === undefined || lease.id !== id) return;
    this.cancelTimer(lease.timer);
    const next = lease.waiters.shift();
    if (next === undefined) {
      this.leases.delete(k);
      return;
    }
    lease.id = ++this.leaseSeq;
    lease.holder = next.pid.node;
    lease.timer = this.sendAfter(new LeaseExpired(k, lease.id), this.a.leaseMs);
    this.reply(next, { ok: { lease: lease.id } });
  }

  // ---- members

  /**
   * Asks `node`'s cache process to meet this one. Never rejects: a node that does not run this
   * cache (yet) answers 'noproc', one that is gone 'noconnection'; either way it is no member, and
   * if it starts the cache later its own hello comes here.
   */
  private async hello(node: string): Promise<void> {
    try {
      const reply = await this.call<Reply>({ name: serverName(this.a.cache), node }, { op: 'hello', from: this.self }, this.a.timeoutMs);
      if ('ok' in reply && reply.ok !== null && typeof reply.ok === 'object' && (reply.ok as Pid).node === node) {
        this.send(this.self, new Met(reply.ok as Pid));
      }
    } catch {
      // Not a member (see above).
    }
  }

  private meet(pid: Pid): void {
    if (pid.node === this.node.name) return;
    const known = this.peers.get(pid.node);
    if (known?.pid.equals(pid)) return;
    if (known !== undefined) this.peerDown(pid.node);
    this.peers.set(pid.node, { pid, ref: this.monitor(pid) });
    if (this.a.membership.change(pid.node, undefined)) this.rebalance();
  }

  private down(msg: DownMessage): void {
    const peer = this.peers.get(msg.pid.node);
    if (peer?.ref.equals(msg.ref)) this.peerDown(msg.pid.node);
  }

  private peerDown(node: string): void {
    const peer = this.peers.get(node);
    if (peer === undefined) return;
    this.peers.delete(node);
    this.demonitor(peer.ref);
    for (const [k, lease] of [...this.leases]) if (lease.holder === node) this.releaseLease(k, lease.id);
    if (this.a.membership.change(undefined, node)) this.rebalance();
  }

  /**
   * After a membership change: sends every entry here to the other members that now hold it,
   * and drops the entries this node no longer holds once every send was acknowledged. Until
   * then this node still answers for them, and the clients ask around for keys that are on
   * their way (Membership.graceUntil), so a present key never reads as missing.
   *
   * Every holder is sent the entry, not only the ones new since the previous ring: a holder
   * of the previous ring may never have received it — its handoff failed, or it was on the
   * other side of a partition while the entry was written — and assuming it had it let the
   * last copies go after a heal (found by the chaos suite: acknowledged writes lost when a
   * node of the other side was killed right after the heal). The receiver keeps the newest
   * stamp, so a copy it already has changes nothing. A failed send is retried at the next tick.
   */
  private rebalance(): void {
    const m = this.a.membership;
    const now = Date.now();
    m.graceUntil = now + this.a.graceMs;
    const self = this.node.name;
    const byNode = new Map<string, Item[]>();
    const leaving: Item[] = [];
    for (const item of this.shard.items(now)) {
      const after = m.owners(item.k);
      for (const n of after) {
        if (n === self) continue;
        let list = byNode.get(n);
        if (list === undefined) byNode.set(n, (list = []));
        list.push(item);
      }
      if (!after.includes(self)) leaving.push(item);
    }
    const sends: Promise<unknown>[] = [];
    for (const [n, list] of byNode) {
      for (let i = 0; i < list.length; i += HANDOFF_CHUNK) {
        const changes = list.slice(i, i + HANDOFF_CHUNK);
        sends.push(this.call({ name: serverName(this.a.cache), node: n }, { op: 'replicate', changes }, this.a.timeoutMs));
      }
    }
    void Promise.allSettled(sends)
      .then((results) => {
        // An entry leaves only when every handoff went through: otherwise this may be its last copy.
        if (results.every((r) => r.status === 'fulfilled')) {
          if (leaving.length > 0) this.send(this.self, new Dropped(leaving));
        } else this.handoffFailed = true;
      })
      .catch(this.guard('a handoff'));
  }

  /**
   * The end of a promise chain this process started outside a handler (replication, handoff):
   * a throw there (this process stopped meanwhile) is logged, never an unhandled rejection.
   */
  private guard(what: string): (e: unknown) => void {
    return (e) => console.warn(`cache '${this.a.cache}': ${what} could not finish`, e);
  }

  /** Drops handed-off entries, unless a later change made this node one of their holders again. */
  private drop(items: readonly Item[]): void {
    for (const item of items) if (!this.a.membership.owners(item.k).includes(this.node.name)) this.shard.drop(item.k, item.ver);
  }

  private settle(): void {
    this.settled = true;
    for (const w of this.readyWaiters.splice(0)) this.reply(w, { ok: true });
  }

  private tick(): void {
    const now = Date.now();
    this.shard.purgeTombs(now, this.a.graceMs);
    if (this.handoffFailed) {
      this.handoffFailed = false;
      this.rebalance();
    }
    this.sendAfter(new Tick(), this.a.graceMs);
  }
}

function expiry(ttl: number, now: number): number {
  return ttl === 0 ? 0 : now + ttl;
}
