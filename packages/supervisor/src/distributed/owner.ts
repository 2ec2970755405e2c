import {
  InitError,
  definedActors,
  describeValue,
  isDown,
  isExit,
  isNodeDown,
  isNodeUp,
  systemClock,
  type From,
  type Pid,
  type Ref,
} from '@foundation/runtime';
import { replicaId } from '@foundation/crdt';
import { intensity } from '../intensity.js';
import { ChildAlreadyStartedError, ChildNotFoundError, StartChildError } from '../errors.js';
import { NoQuorumError } from './errors.js';
import { stopChildren } from '../internal/stop-children.js';
import { childClass, type StartArgs } from './handoff.js';
import { HANDOFFS_IN_FLIGHT, FORGET_TICKS, MemberInstances, log, type LocalChild, type OwnerArgs } from './instances.js';
import { NO_QUORUM, type DuplicateChild } from './reasons.js';
import { MemberReplica } from './replica.js';
import { isTakeoverLike, parseForget, parseOwnerCall, type Forget, type OwnerCall, type OwnerReply, type WireSpec } from './wire.js';

export type { OwnerArgs } from './instances.js';

/**
 * One member of a DistributedSupervisor: holds a replica of the map of specs, instances and
 * members (MemberReplica), runs the children this member owns (MemberInstances), and keeps the
 * view its handle reads. Placement is settled by
 * `reconcile`, run after every change and every sync interval; each member acts only on its own
 * instances, so every member converges on the same answer without asking the others:
 *
 * - a spec no reachable member runs is started by the member the ring picks (failover);
 * - an instance whose key went missing (another side's cleanup during a partition) is put back;
 * - two instances of one id: the one started last wins, the other's member stops it (`duplicateChild`);
 * - `'active'`: an instance on a member that no longer owns its id is handed over (state and all);
 * - `'quorum'` and no majority here: every local instance stops, nothing starts.
 */
export class DistributedSupervisorOwner extends MemberInstances {
  private readonly tickMsg = Object.freeze({ $ds: 'tick' as const });
  private readonly reconcileMsg = Object.freeze({ $ds: 'reconcile' as const });
  private reconcileQueued = false;
  private classesAnnounced = -1;
  /** The monitor of each connected member's owner. */
  private readonly watches = new Map<string, Ref>();

  override init(args: OwnerArgs): void {
    this.opts = args.opts;
    this.table = args.table;
    this.trapExit = true;
    this.restarts = intensity(this.opts.maxRestarts, this.opts.maxSeconds);
    const name = this.opts.name;
    this.replica = new MemberReplica(
      {
        name,
        self: this.node.name,
        send: (node, msg) => this.send({ name, node }, msg),
        nodes: () => this.node.nodes(),
        changed: () => this.queueReconcile(),
        newReplica: (node) => this.watchMember(node),
        log,
      },
      this.table,
      replicaId(this.node.name, this.node.incarnation, this.self.id),
      this.opts.syncIntervalMs,
    );
    this.monitorNodes();
    this.table.connected = new Set(this.node.nodes());
    this.announce();
    this.replica.flush();
    this.replica.hello();
    this.sendAfter(this.tickMsg, this.opts.syncIntervalMs);
  }

  override handleCall(msg: OwnerCall, from: From): Promise<OwnerReply> {
    let call: OwnerCall;
    try {
      // Anyone may call the owner's name: a malformed call is answered with an error, never a crash.
      call = parseOwnerCall(msg);
    } catch (e) {
      return Promise.resolve({ error: e as Error });
    }
    return this.serve(call, from.pid.node).then(
      (ok) => ({ ok }),
      (e: unknown) => ({ error: e instanceof Error ? e : new Error(describeValue(e)) }),
    );
  }

  private async serve(call: OwnerCall, caller: string): Promise<unknown> {
    switch (call.$ds) {
      case 'start':
        return this.startCalled(call.spec, caller);
      case 'know':
        // Not when the child already ended for good (its member said so before this call came).
        if (!this.table.specs.has(call.spec.id) && !this.forgotten.get(call.spec.id)?.pid.equals(call.pid)) {
          this.replica.set(['spec', call.spec.id], call.spec);
        }
        this.replica.flush();
        return true;
      case 'terminate':
        return this.terminateCalled(call.id);
      case 'whereis':
        return this.local.get(call.id)?.pid ?? this.table.whereis(call.id) ?? null;
      case 'restart':
        return this.restartCalled(call.id);
    }
  }

  override async handleInfo(msg: unknown): Promise<void> {
    let forget: Forget | undefined;
    if (msg === this.tickMsg) {
      this.ticks++;
      for (const [id, f] of this.forgotten) if (this.ticks - f.tick > FORGET_TICKS) this.forgotten.delete(id);
      this.pruneWarnings();
      this.announce();
      await this.reconcile();
      this.replica.tick();
      this.sendAfter(this.tickMsg, this.opts.syncIntervalMs);
    } else if (msg === this.reconcileMsg) {
      this.reconcileQueued = false;
      await this.reconcile();
    } else if (isDown(msg)) {
      this.memberDown(msg.ref);
    } else if (isExit(msg)) {
      this.exited(msg.from, msg.reason);
    } else if (isNodeUp(msg)) {
      this.table.connected.add(msg.nodeup);
      this.replica.nodeUp(msg.nodeup);
      this.queueReconcile();
    } else if (isNodeDown(msg)) {
      this.table.connected.delete(msg.nodedown);
      this.table.gone.delete(msg.nodedown);
      this.watches.delete(msg.nodedown); // its monitor ends with the connection
      this.replica.nodeDown(msg.nodedown);
      // At once, not at the next tick: the lost member's children are restarted elsewhere.
      await this.reconcile();
    } else if ((forget = parseForget(msg))) {
      this.forget(forget);
    } else if (this.killLate(msg)) {
      // Handled: a signalled instance that outlived its shutdown time was killed.
    } else if (isTakeoverLike(msg)) {
      this.takeover(msg);
    } else if (typeof msg === 'object' && msg !== null && '$crdt' in msg) {
      this.replica.receive(msg);
    }
  }

  override async terminate(): Promise<void> {
    // Leaving: with 'active', this member's instances are handed over to the members that own
    // them without it; the rest stop (the others restart them), and its keys go with it.
    this.table.running = false;
    if (this.opts.redistribution === 'active') {
      const moves: [LocalChild, string][] = [];
      for (const c of this.local.values()) {
        if (c.spec.restart === 'temporary') continue;
        const to = this.table.placement(c.spec.id, this.node.name);
        if (to !== undefined && this.replica.heardFrom(to)) moves.push([c, to]);
      }
      for (let i = 0; i < moves.length; i += HANDOFFS_IN_FLIGHT) {
        await Promise.all(moves.slice(i, i + HANDOFFS_IN_FLIGHT).map(([c, to]) => this.handOff(c, to)));
      }
    }
    const mine = [...this.local.values()];
    this.local.clear();
    for (const c of mine) {
      c.stopping = 'shutdown';
      this.replica.del(['run', c.spec.id, this.node.name]);
      if (c.spec.restart === 'temporary') this.replica.del(['spec', c.spec.id]);
    }
    this.replica.del(['member', this.node.name]);
    // The whole state to every node, unasked: one that is not a replication peer yet would
    // otherwise never learn that this member left, and keep placing children here.
    this.replica.farewell();
    await stopChildren(
      this,
      systemClock,
      mine.map((c) => ({ pid: c.pid, shutdown: c.spec.shutdown, restart: c.spec.restart })),
    );
    this.table.clear();
  }

  // ---- calls

  private async startCalled(spec: WireSpec, caller: string): Promise<Pid> {
    const cls = this.classOf(spec);
    if (!this.table.hasQuorum()) throw new NoQuorumError(this.opts.name, this.table.liveMembers(), this.table.knownMembers());
    const running = this.local.get(spec.id)?.pid ?? this.table.whereis(spec.id);
    if (running) throw new ChildAlreadyStartedError(spec.id, String(running));
    let pid: Pid;
    try {
      pid = await this.spawnAndWait(childClass(cls), { args: spec.args } satisfies StartArgs, { link: true });
    } catch (e) {
      throw new StartChildError(spec.id, InitError.is(e) ? ((e as InitError).reason ?? e) : e);
    }
    // Another start of the same id may have won the race while init ran.
    const other = this.local.get(spec.id);
    if (other) {
      this.exit(pid, 'kill');
      throw new ChildAlreadyStartedError(spec.id, String(other.pid));
    }
    this.adopt(spec, pid, caller === this.node.name ? null : caller);
    this.replica.flush();
    return pid;
  }

  private async terminateCalled(id: string): Promise<boolean> {
    const c = this.local.get(id);
    if (!c) {
      if (!this.table.specs.has(id)) throw new ChildNotFoundError(id);
      // Runs nowhere this member can reach (or elsewhere, and was asked here by a stale view): the spec goes.
      this.replica.del(['spec', id]);
      this.replica.flush();
      return true;
    }
    await this.stopLocal(c, 'terminate');
    this.replica.del(['spec', id]);
    this.tellOrigin(c);
    this.replica.flush();
    return true;
  }

  private async restartCalled(id: string): Promise<Pid> {
    const c = this.local.get(id);
    const spec = c?.spec ?? this.table.specs.get(id);
    if (!spec) throw new ChildNotFoundError(id);
    if (c) await this.stopLocal(c, 'restart');
    else if (this.table.whereis(id)) throw new ChildAlreadyStartedError(id, String(this.table.whereis(id)));
    const cls = this.classOf(spec);
    let pid: Pid;
    try {
      pid = await this.spawnAndWait(childClass(cls), { args: spec.args } satisfies StartArgs, { link: true });
    } catch (e) {
      this.replica.del(['run', id, this.node.name]);
      this.replica.flush();
      throw new StartChildError(id, InitError.is(e) ? ((e as InitError).reason ?? e) : e);
    }
    this.adopt(spec, pid);
    this.replica.flush();
    return pid;
  }

  /**
   * Monitors the owner on `node` (a new replica there): if it stops without a farewell (killed)
   * while its node stays up, this member stops counting it as a member at once.
   */
  private watchMember(node: string): void {
    const old = this.watches.get(node);
    if (old) this.demonitor(old);
    this.watches.set(node, this.monitor({ name: this.opts.name, node }));
    this.table.gone.delete(node);
  }

  /** A DOWN of a watched owner: its member is gone (its node may not be). */
  private memberDown(ref: Ref): boolean {
    for (const [node, r] of this.watches) {
      if (!r.equals(ref)) continue;
      this.watches.delete(node);
      this.replica.forget(node);
      this.table.gone.add(node);
      this.queueReconcile();
      return true;
    }
    return false;
  }

  // ---- placement

  private queueReconcile(): void {
    if (this.reconcileQueued) return;
    this.reconcileQueued = true;
    this.send(this.self, this.reconcileMsg);
  }

  private async reconcile(): Promise<void> {
    if (!this.table.running) return;
    this.table.connected = new Set(this.node.nodes());
    const me = this.node.name;
    const quorum = this.table.hasQuorum();
    const moves: [LocalChild, string][] = [];
    for (const c of [...this.local.values()]) {
      const id = c.spec.id;
      if (!quorum) {
        this.signal(c, 'quorum', NO_QUORUM);
        continue;
      }
      if (!this.table.specs.has(id)) this.replica.set(['spec', id], c.spec);
      if (!this.table.runs.get(id)?.get(me)?.pid.equals(c.pid)) this.replica.set(['run', id, me], { pid: c.pid, since: c.since });
      const winner = this.table.liveRunners(id)[0]!;
      if (!winner.pid.equals(c.pid)) {
        const reason: DuplicateChild = { duplicateChild: { supervisor: this.opts.name, id, winner: winner.pid } };
        this.signal(c, 'duplicate', reason);
        continue;
      }
      if (this.opts.redistribution === 'active') {
        const owner = this.table.placement(id);
        if (owner !== undefined && owner !== me && this.replica.heardFrom(owner)) moves.push([c, owner]);
      }
    }
    // A member not heard from directly may run children this view does not show yet (a joiner
    // learns the cluster from whoever answers first): start nothing until every one has spoken.
    const heard = this.table.liveMembers().every((n) => n === me || this.replica.heardFrom(n));
    if (quorum && heard) {
      for (const s of [...this.table.specs.values()]) {
        if (this.local.has(s.id) || this.table.liveRunners(s.id).length > 0) continue;
        if (s.restart === 'temporary') {
          // Its member is gone: a temporary child is not restarted, and its spec goes.
          this.replica.del(['spec', s.id]);
          for (const n of [...(this.table.runs.get(s.id)?.keys() ?? [])]) this.replica.del(['run', s.id, n]);
          continue;
        }
        if (this.table.placement(s.id) === me) this.startLocal(s);
      }
    }
    this.replica.flush();
    if (moves.length > 0) {
      // In flight together (a bounded number at once): one child after the other costs a scheduler turn each.
      for (let i = 0; i < moves.length; i += HANDOFFS_IN_FLIGHT) {
        await Promise.all(moves.slice(i, i + HANDOFFS_IN_FLIGHT).map(([c, to]) => this.handOff(c, to)));
      }
      this.replica.flush();
    }
  }

  /** Publishes this member and the classes it can start (again when more were defined). */
  private announce(): void {
    const classes = definedActors();
    if (classes.length === this.classesAnnounced) return;
    this.classesAnnounced = classes.length;
    this.replica.set(['member', this.node.name], { classes: classes.sort() });
  }
}
