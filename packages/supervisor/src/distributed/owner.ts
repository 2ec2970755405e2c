import {
  Actor,
  InitError,
  MailboxFullError,
  UnknownNameError,
  actorClass,
  definedActors,
  describeValue,
  isDown,
  isExit,
  isPid,
  isNodeDown,
  isNodeUp,
  systemClock,
  type ActorClass,
  type From,
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
  replicaId,
  type ReplicaMessage,
  type Timestamp,
} from '@foundation/crdt';
import { addRestart, intensity, type Intensity } from '../intensity.js';
import { reachedMaxRestartIntensity, shouldRestart } from '../reasons.js';
import { ChildAlreadyStartedError, ChildNotFoundError, StartChildError } from '../errors.js';
import { stopChildren } from '../internal/stop-children.js';
import { NoQuorumError, UnknownChildClassError } from './errors.js';
import { HANDOFF_REQUEST, childClass, type HandedOver, type StartArgs } from './handoff.js';
import type { CheckedOptions } from './options.js';
import { NO_QUORUM, type DuplicateChild } from './reasons.js';
import type { ChildTable } from './table.js';
import {
  isTakeoverLike,
  parseKey,
  parseOwnerCall,
  parseTakeover,
  parseValue,
  type MapKey,
  type MapValue,
  parseForget,
  type Forget,
  type OwnerCall,
  type OwnerReply,
  type WireSpec,
} from './wire.js';

/** What the owner is started with. */
export interface OwnerArgs {
  readonly opts: CheckedOptions;
  readonly table: ChildTable;
}

/** Why the owner is stopping one of its children: its exit then is no crash. */
type Stopping = 'handoff' | 'terminate' | 'restart' | 'duplicate' | 'quorum' | 'shutdown';

/** A child instance this member runs. */
interface LocalChild {
  readonly spec: WireSpec;
  readonly pid: Pid;
  readonly since: Timestamp;
  stopping: Stopping | null;
  /** The member whose startChild started it (when not this one): it holds a copy of the spec to withdraw when the child ends. */
  readonly origin: string | null;
}

type ChildMap = AWLWWMap<MapKey, MapValue>;

/** The timer that kills a signalled instance still alive after its shutdown time. */
interface KillLate {
  readonly $ds: 'kill';
  readonly pid: Pid;
}

/** Sync intervals a forgotten child is remembered (a `know` comes within one round trip of its start). */
const FORGET_TICKS = 100;

/** Children handed over at once (each is a call to the child, then a message to its new member). */
const HANDOFFS_IN_FLIGHT = 128;

const log = (msg: string) => console.warn(`[DistributedSupervisor] ${msg}`);

/**
 * One member of a DistributedSupervisor: holds a replica of the map of specs, instances and
 * members (an AWLWWMap under a ReplicationEngine, as the DistributedRegistry's owner does), runs
 * the children this member owns, and keeps the view its handle reads. Placement is settled by
 * `reconcile`, run after every change and every sync interval; each member acts only on its own
 * instances, so every member converges on the same answer without asking the others:
 *
 * - a spec no reachable member runs is started by the member the ring picks (failover);
 * - an instance whose key went missing (another side's cleanup during a partition) is put back;
 * - two instances of one id: the one started last wins, the other's member stops it (`duplicateChild`);
 * - `'active'`: an instance on a member that no longer owns its id is handed over (state and all);
 * - `'quorum'` and no majority here: every local instance stops, nothing starts.
 */
export class DistributedSupervisorOwner extends Actor<OwnerCall, OwnerReply, OwnerArgs> {
  private opts!: CheckedOptions;
  private table!: ChildTable;
  private map!: ChildMap;
  private engine!: ReplicationEngine;
  private pending: ChildMap | null = null;
  /** Child id → the instance running here (not the ones being stopped). */
  private readonly local = new Map<string, LocalChild>();
  /** Pid key → every instance of this member, running or being stopped: how an EXIT is known. */
  private readonly byPid = new Map<string, LocalChild>();
  private restarts!: Intensity;
  /** The replica last heard from on each connected node: a member counts as synced once it has spoken. */
  private readonly replicas = new Map<string, string>();
  private readonly tickMsg = Object.freeze({ $ds: 'tick' as const });
  private readonly reconcileMsg = Object.freeze({ $ds: 'reconcile' as const });
  private reconcileQueued = false;
  private classesAnnounced = -1;
  /** Children that ended for good on the member that ran them, by id, kept a while to refuse a late `know`. */
  private readonly forgotten = new Map<string, { readonly pid: Pid; readonly tick: number }>();
  private ticks = 0;
  /** The monitor of each connected member's owner. */
  private readonly watches = new Map<string, Ref>();
  /** Ids whose class this member cannot start, warned about once. */
  private readonly unstartable = new Set<string>();

  override init(args: OwnerArgs): void {
    this.opts = args.opts;
    this.table = args.table;
    this.trapExit = true;
    this.restarts = intensity(this.opts.maxRestarts, this.opts.maxSeconds);
    const replica = replicaId(this.node.name, this.node.incarnation, this.self.id);
    this.map = new AWLWWMap<MapKey, MapValue>(replica);
    const name = this.opts.name;
    const ticks = (ms: number) => Math.max(1, Math.round(ms / this.opts.syncIntervalMs));
    this.engine = new ReplicationEngine(
      name,
      this.node.name,
      this.map,
      {
        send: (node, msg) => {
          try {
            this.send({ name, node }, msg);
          } catch (e) {
            // A node without this supervisor (yet), or one that is full: anti-entropy repairs it.
            if (!UnknownNameError.is(e) && !MailboxFullError.is(e)) throw e;
          }
        },
        nodes: () => this.node.nodes(),
      },
      {
        antiEntropyTicks: 10,
        pruningMarkerTicks: ticks(DEFAULT_PRUNING_MARKER_TTL_MS),
        retireDownAfterTicks: ticks(DEFAULT_RETIRE_DOWN_AFTER_MS),
      },
    );
    this.engine.onRemoteChange = (keys) => this.remoteChanged(keys);
    this.monitorNodes();
    this.table.connected = new Set(this.node.nodes());
    this.announce();
    this.flush();
    this.engine.hello();
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
          this.set(['spec', call.spec.id], call.spec);
        }
        this.flush();
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
      this.announce();
      await this.reconcile();
      this.flush();
      this.engine.tick();
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
      this.flush();
      this.engine.nodeUp(msg.nodeup);
      this.queueReconcile();
    } else if (isNodeDown(msg)) {
      this.table.connected.delete(msg.nodedown);
      this.replicas.delete(msg.nodedown);
      this.table.heard.delete(msg.nodedown);
      this.table.gone.delete(msg.nodedown);
      this.watches.delete(msg.nodedown); // its monitor ends with the connection
      this.engine.nodeDown(msg.nodedown);
      // At once, not at the next tick: the lost member's children are restarted elsewhere.
      await this.reconcile();
    } else if ((forget = parseForget(msg))) {
      this.forget(forget);
    } else if (this.killLate(msg)) {
      // Handled: a signalled instance that outlived its shutdown time was killed.
    } else if (isTakeoverLike(msg)) {
      this.takeover(msg);
    } else if (typeof msg === 'object' && msg !== null && '$crdt' in msg) {
      this.replicaMessage(msg);
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
        if (to !== undefined && this.replicas.has(to)) moves.push([c, to]);
      }
      for (let i = 0; i < moves.length; i += HANDOFFS_IN_FLIGHT) {
        await Promise.all(moves.slice(i, i + HANDOFFS_IN_FLIGHT).map(([c, to]) => this.handOff(c, to)));
      }
    }
    const mine = [...this.local.values()];
    this.local.clear();
    for (const c of mine) {
      c.stopping = 'shutdown';
      this.del(['run', c.spec.id, this.node.name]);
      if (c.spec.restart === 'temporary') this.del(['spec', c.spec.id]);
    }
    this.del(['member', this.node.name]);
    this.flush();
    // The whole state to every node, unasked: one that is not a replication peer yet would
    // otherwise never learn that this member left, and keep placing children here.
    this.engine.farewell();
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
    this.flush();
    return pid;
  }

  private async terminateCalled(id: string): Promise<boolean> {
    const c = this.local.get(id);
    if (!c) {
      if (!this.table.specs.has(id)) throw new ChildNotFoundError(id);
      // Runs nowhere this member can reach (or elsewhere, and was asked here by a stale view): the spec goes.
      this.del(['spec', id]);
      this.flush();
      return true;
    }
    await this.stopLocal(c, 'terminate');
    this.del(['spec', id]);
    this.tellOrigin(c);
    this.flush();
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
      this.del(['run', id, this.node.name]);
      this.flush();
      throw new StartChildError(id, InitError.is(e) ? ((e as InitError).reason ?? e) : e);
    }
    this.adopt(spec, pid);
    this.flush();
    return pid;
  }

  private classOf(spec: WireSpec): ActorClass {
    try {
      return actorClass(spec.cls);
    } catch {
      throw new UnknownChildClassError(spec.id, spec.cls, [this.node.name]);
    }
  }

  // ---- local instances

  /** Records a started instance and publishes it (spec and instance in one delta, so no member sees one without the other). */
  private adopt(spec: WireSpec, pid: Pid, origin: string | null = null): LocalChild {
    const c: LocalChild = { spec, pid, since: this.map.hlc.now(), stopping: null, origin };
    this.local.set(spec.id, c);
    this.byPid.set(pid.key, c);
    this.set(['spec', spec.id], spec);
    this.set(['run', spec.id, this.node.name], { pid, since: c.since });
    // Instances on members out of reach are stale now: their keys go (a member that comes back and
    // still runs one puts its key back, and the later start — this one — wins).
    const runs = this.table.runs.get(spec.id);
    if (runs) for (const n of [...runs.keys()]) if (!this.table.reachable(n)) this.del(['run', spec.id, n]);
    this.unstartable.delete(spec.id);
    return c;
  }

  /** Starts an instance without waiting for its init (failover, takeover): a failing init is a crash like any other. */
  private startLocal(spec: WireSpec, handoff?: HandedOver): void {
    let cls: ActorClass;
    try {
      cls = actorClass(spec.cls);
    } catch {
      if (!this.unstartable.has(spec.id))
        log(`cannot start child '${spec.id}' on ${this.node.name}: no actor class '${spec.cls}' is defined here`);
      this.unstartable.add(spec.id);
      return;
    }
    try {
      const args: StartArgs = handoff ? { args: spec.args, handoff } : { args: spec.args };
      this.adopt(spec, this.spawnLink(childClass(cls), args));
    } catch (e) {
      log(`cannot start child '${spec.id}' on ${this.node.name}: ${String(e)}`);
    }
  }

  /** Stops a local instance on purpose and withdraws its key; resolves once it has stopped. */
  private async stopLocal(c: LocalChild, why: Stopping): Promise<void> {
    c.stopping = why;
    if (this.local.get(c.spec.id) === c) this.local.delete(c.spec.id);
    this.del(['run', c.spec.id, this.node.name]);
    await stopChildren(this, systemClock, [{ pid: c.pid, shutdown: c.spec.shutdown, restart: c.spec.restart }]);
    this.byPid.delete(c.pid.key);
  }

  /**
   * Ends a local instance with an exit signal (no wait): a duplicate's loser, or an instance on
   * a side without quorum. One that traps exits learns why, and is killed if it is still alive
   * after its shutdown time.
   */
  private signal(c: LocalChild, why: 'duplicate' | 'quorum', reason: unknown): void {
    c.stopping = why;
    this.local.delete(c.spec.id);
    this.del(['run', c.spec.id, this.node.name]);
    this.exit(c.pid, reason);
    const s = c.spec.shutdown;
    if (s !== 'infinity') this.sendAfter({ $ds: 'kill', pid: c.pid } satisfies KillLate, s === 'brutal_kill' ? 0 : s);
  }

  private exited(pid: Pid, reason: unknown): void {
    const c = this.byPid.get(pid.key);
    if (!c) return;
    this.byPid.delete(pid.key);
    if (c.stopping !== null || this.local.get(c.spec.id) !== c) return;
    this.local.delete(c.spec.id);
    const id = c.spec.id;
    if (!shouldRestart(c.spec.restart, reason)) {
      this.del(['run', id, this.node.name]);
      this.del(['spec', id]);
      this.tellOrigin(c);
      this.flush();
      return;
    }
    const { ok, next } = addRestart(this.restarts, Date.now());
    this.restarts = next;
    if (!ok) {
      this.del(['run', id, this.node.name]);
      this.flush();
      this.stop(reachedMaxRestartIntensity(id, reason));
      return;
    }
    if (this.table.placement(id) === this.node.name) this.startLocal(c.spec);
    else this.del(['run', id, this.node.name]); // the member that owns it now starts it
    this.flush();
  }

  /**
   * The spec of `c` went for good: the member that started it holds a copy (`know`) this
   * member's delete may not have seen yet; it is told to drop it, or it would start the child again.
   */
  private tellOrigin(c: LocalChild): void {
    if (c.origin === null) return;
    try {
      this.send({ name: this.opts.name, node: c.origin }, { $ds: 'forget', id: c.spec.id, pid: c.pid } satisfies Forget);
    } catch {
      // Gone or full: its copy then comes back here with the next sync, and is settled as any spec.
    }
  }

  private forget(f: Forget): void {
    this.forgotten.set(f.id, { pid: f.pid, tick: this.ticks });
    const now = this.table.whereis(f.id);
    if (now === undefined || now.equals(f.pid)) this.del(['spec', f.id]);
    this.flush();
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
      this.replicas.delete(node);
      this.table.heard.delete(node);
      this.table.gone.add(node);
      this.queueReconcile();
      return true;
    }
    return false;
  }

  private killLate(msg: unknown): boolean {
    if (typeof msg !== 'object' || msg === null || (msg as KillLate).$ds !== 'kill') return false;
    const pid = (msg as KillLate).pid;
    // Only a pid this member signalled and still holds (a timer of its own): anything else is ignored.
    if (isPid(pid) && pid.node === this.node.name && this.byPid.get(pid.key)?.stopping) this.exit(pid, 'kill');
    return true;
  }

  private takeover(msg: unknown): void {
    let t;
    try {
      t = parseTakeover(msg);
    } catch (e) {
      log(`dropped a malformed takeover: ${String(e)}`);
      return;
    }
    if (this.local.has(t.spec.id) || !this.table.hasQuorum()) return;
    this.startLocal(t.spec, { hasState: t.hasState, state: t.state });
    this.flush();
  }

  /** Hands a local instance over to `to`: its state (from `handoff()`) travels with the spec, then its key goes. */
  private async handOff(c: LocalChild, to: string): Promise<void> {
    c.stopping = 'handoff';
    this.local.delete(c.spec.id);
    let out: HandedOver = { hasState: false, state: undefined };
    try {
      out = await this.call<HandedOver>(c.pid, HANDOFF_REQUEST, this.opts.handoffTimeoutMs);
    } catch (e) {
      log(`child '${c.spec.id}' did not hand over within ${this.opts.handoffTimeoutMs} ms (${String(e)}): killed, moved without state`);
      this.exit(c.pid, 'kill');
    }
    try {
      this.send({ name: this.opts.name, node: to }, { $ds: 'takeover', spec: c.spec, hasState: out.hasState, state: out.state });
    } catch (e) {
      // The new member is gone or full: its successor restarts the child from the spec.
      log(`takeover of '${c.spec.id}' to ${to} not sent: ${String(e)}`);
    }
    // After the takeover, on the same path: the new member hears of it before this key goes.
    this.del(['run', c.spec.id, this.node.name]);
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
      if (!this.table.specs.has(id)) this.set(['spec', id], c.spec);
      if (!this.table.runs.get(id)?.get(me)?.pid.equals(c.pid)) this.set(['run', id, me], { pid: c.pid, since: c.since });
      const winner = this.table.liveRunners(id)[0]!;
      if (!winner.pid.equals(c.pid)) {
        const reason: DuplicateChild = { duplicateChild: { supervisor: this.opts.name, id, winner: winner.pid } };
        this.signal(c, 'duplicate', reason);
        continue;
      }
      if (this.opts.redistribution === 'active') {
        const owner = this.table.placement(id);
        if (owner !== undefined && owner !== me && this.replicas.has(owner)) moves.push([c, owner]);
      }
    }
    // A member not heard from directly may run children this view does not show yet (a joiner
    // learns the cluster from whoever answers first): start nothing until every one has spoken.
    const heard = this.table.liveMembers().every((n) => n === me || this.replicas.has(n));
    if (quorum && heard) {
      for (const s of [...this.table.specs.values()]) {
        if (this.local.has(s.id) || this.table.liveRunners(s.id).length > 0) continue;
        if (s.restart === 'temporary') {
          // Its member is gone: a temporary child is not restarted, and its spec goes.
          this.del(['spec', s.id]);
          for (const n of [...(this.table.runs.get(s.id)?.keys() ?? [])]) this.del(['run', s.id, n]);
          continue;
        }
        if (this.table.placement(s.id) === me) this.startLocal(s);
      }
    }
    this.flush();
    if (moves.length > 0) {
      // In flight together (a bounded number at once): one child after the other costs a scheduler turn each.
      for (let i = 0; i < moves.length; i += HANDOFFS_IN_FLIGHT) {
        await Promise.all(moves.slice(i, i + HANDOFFS_IN_FLIGHT).map(([c, to]) => this.handOff(c, to)));
      }
      this.flush();
    }
  }

  /** Publishes this member and the classes it can start (again when more were defined). */
  private announce(): void {
    const classes = definedActors();
    if (classes.length === this.classesAnnounced) return;
    this.classesAnnounced = classes.length;
    this.set(['member', this.node.name], { classes: classes.sort() });
  }

  // ---- the replica

  private set(key: MapKey, v: MapValue): void {
    this.write(this.map.set(key, v));
    this.table.put(key, v);
  }

  private del(key: MapKey): void {
    if (!this.map.has(key)) return;
    this.write(this.map.delete(key));
    this.table.put(key, undefined);
  }

  private write(delta: ChildMap): void {
    if (delta.size === 0 && delta.context.isEmpty) return;
    if (this.pending === null) this.pending = delta;
    else this.pending.join(delta);
  }

  private flush(): void {
    if (this.pending === null) return;
    this.engine.local(this.pending);
    this.pending = null;
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
        log(`ignored a malformed entry from a peer: ${String(e)}`);
        this.table.put(key, undefined);
      }
    }
    this.queueReconcile();
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
    if (m.$crdt === 'digest') this.flush();
    const connected = this.node.nodes().includes(m.from);
    const isNew = connected && this.replicas.get(m.from) !== m.replica;
    if (connected) {
      if (isNew) this.watchMember(m.from);
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
}
