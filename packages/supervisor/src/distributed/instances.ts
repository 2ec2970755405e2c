import { Actor, actorClass, isPid, systemClock, type ActorClass, type Pid } from '@foundation/runtime';
import type { Timestamp } from '@foundation/crdt';
import { addRestart, type Intensity } from '../intensity.js';
import { reachedMaxRestartIntensity, shouldRestart } from '../reasons.js';
import { stopChildren } from '../internal/stop-children.js';
import { UnknownChildClassError } from './errors.js';
import { HANDOFF_REQUEST, childClass, type HandedOver, type StartArgs } from './handoff.js';
import type { CheckedOptions } from './options.js';
import type { MemberReplica } from './replica.js';
import type { ChildTable } from './table.js';
import { parseTakeover, type Forget, type OwnerCall, type OwnerReply, type WireSpec } from './wire.js';

/** What the owner is started with. */
export interface OwnerArgs {
  readonly opts: CheckedOptions;
  readonly table: ChildTable;
}

/** Why the owner is stopping one of its children: its exit then is no crash. */
export type Stopping = 'handoff' | 'terminate' | 'restart' | 'duplicate' | 'quorum' | 'shutdown';

/** A child instance this member runs. */
export interface LocalChild {
  readonly spec: WireSpec;
  readonly pid: Pid;
  readonly since: Timestamp;
  stopping: Stopping | null;
  /** The member whose startChild started it (when not this one): it holds a copy of the spec to withdraw when the child ends. */
  readonly origin: string | null;
}

/** The timer that kills a signalled instance still alive after its shutdown time. */
interface KillLate {
  readonly $ds: 'kill';
  readonly pid: Pid;
}

/** Sync intervals a forgotten child is remembered (a `know` comes within one round trip of its start). */
export const FORGET_TICKS = 100;

/** Children handed over at once (each is a call to the child, then a message to its new member). */
export const HANDOFFS_IN_FLIGHT = 128;

/** Warnings of the supervisor (never thrown: they describe what a member skipped and why). */
export const log = (msg: string) => console.warn(`[DistributedSupervisor] ${msg}`);

/**
 * The child instances one member of a DistributedSupervisor runs: starting them (waiting for
 * init, or not), stopping them on purpose, telling a crash from a stop it asked for, restarting
 * within the restart intensity, and handing them over to another member. The owner actor
 * (which extends it) decides when; this part knows how.
 */
export abstract class MemberInstances extends Actor<OwnerCall, OwnerReply, OwnerArgs> {
  protected opts!: CheckedOptions;
  protected table!: ChildTable;
  protected replica!: MemberReplica;
  /** Child id → the instance running here (not the ones being stopped). */
  protected readonly local = new Map<string, LocalChild>();
  /** Pid key → every instance of this member, running or being stopped: how an EXIT is known. */
  protected readonly byPid = new Map<string, LocalChild>();
  protected restarts!: Intensity;
  /** Children that ended for good on the member that ran them, by id, kept a while to refuse a late `know`. */
  protected readonly forgotten = new Map<string, { readonly pid: Pid; readonly tick: number }>();
  protected ticks = 0;
  /** Ids whose class this member cannot start, warned about once. */
  private readonly unstartable = new Set<string>();

  /** Forgets the warnings about specs that are gone (the set must not only grow). */
  protected pruneWarnings(): void {
    for (const id of this.unstartable) if (!this.table.specs.has(id)) this.unstartable.delete(id);
  }

  protected classOf(spec: WireSpec): ActorClass {
    try {
      return actorClass(spec.cls);
    } catch {
      throw new UnknownChildClassError(spec.id, spec.cls, [this.node.name]);
    }
  }

  // ---- local instances

  /** Records a started instance and publishes it (spec and instance in one delta, so no member sees one without the other). */
  protected adopt(spec: WireSpec, pid: Pid, origin: string | null = null): LocalChild {
    const c: LocalChild = { spec, pid, since: this.replica.now(), stopping: null, origin };
    this.local.set(spec.id, c);
    this.byPid.set(pid.key, c);
    this.replica.set(['spec', spec.id], spec);
    this.replica.set(['run', spec.id, this.node.name], { pid, since: c.since });
    // Instances on members out of reach are stale now: their keys go (a member that comes back and
    // still runs one puts its key back, and the later start — this one — wins).
    const runs = this.table.runs.get(spec.id);
    if (runs) for (const n of [...runs.keys()]) if (!this.table.reachable(n)) this.replica.del(['run', spec.id, n]);
    this.unstartable.delete(spec.id);
    return c;
  }

  /** Starts an instance without waiting for its init (failover, takeover): a failing init is a crash like any other. */
  protected startLocal(spec: WireSpec, handoff?: HandedOver): void {
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
  protected async stopLocal(c: LocalChild, why: Stopping): Promise<void> {
    c.stopping = why;
    if (this.local.get(c.spec.id) === c) this.local.delete(c.spec.id);
    this.replica.del(['run', c.spec.id, this.node.name]);
    await stopChildren(this, systemClock, [{ pid: c.pid, shutdown: c.spec.shutdown, restart: c.spec.restart }]);
    this.byPid.delete(c.pid.key);
  }

  /**
   * Ends a local instance with an exit signal (no wait): a duplicate's loser, or an instance on
   * a side without quorum. One that traps exits learns why, and is killed if it is still alive
   * after its shutdown time.
   */
  protected signal(c: LocalChild, why: 'duplicate' | 'quorum', reason: unknown): void {
    c.stopping = why;
    this.local.delete(c.spec.id);
    this.replica.del(['run', c.spec.id, this.node.name]);
    this.exit(c.pid, reason);
    const s = c.spec.shutdown;
    if (s !== 'infinity') this.sendAfter({ $ds: 'kill', pid: c.pid } satisfies KillLate, s === 'brutal_kill' ? 0 : s);
  }

  protected exited(pid: Pid, reason: unknown): void {
    const c = this.byPid.get(pid.key);
    if (!c) return;
    this.byPid.delete(pid.key);
    if (c.stopping !== null || this.local.get(c.spec.id) !== c) return;
    this.local.delete(c.spec.id);
    const id = c.spec.id;
    if (!shouldRestart(c.spec.restart, reason)) {
      this.replica.del(['run', id, this.node.name]);
      this.replica.del(['spec', id]);
      this.tellOrigin(c);
      this.replica.flush();
      return;
    }
    const { ok, next } = addRestart(this.restarts, Date.now());
    this.restarts = next;
    if (!ok) {
      this.replica.del(['run', id, this.node.name]);
      this.replica.flush();
      this.stop(reachedMaxRestartIntensity(id, reason));
      return;
    }
    if (this.table.placement(id) === this.node.name) this.startLocal(c.spec);
    else this.replica.del(['run', id, this.node.name]); // the member that owns it now starts it
    this.replica.flush();
  }

  /**
   * The spec of `c` went for good: the member that started it holds a copy (`know`) this
   * member's delete may not have seen yet; it is told to drop it, or it would start the child again.
   */
  protected tellOrigin(c: LocalChild): void {
    if (c.origin === null) return;
    try {
      this.send({ name: this.opts.name, node: c.origin }, { $ds: 'forget', id: c.spec.id, pid: c.pid } satisfies Forget);
    } catch {
      // Gone or full: its copy then comes back here with the next sync, and is settled as any spec.
    }
  }

  protected forget(f: Forget): void {
    this.forgotten.set(f.id, { pid: f.pid, tick: this.ticks });
    const now = this.table.whereis(f.id);
    if (now === undefined || now.equals(f.pid)) this.replica.del(['spec', f.id]);
    this.replica.flush();
  }

  protected killLate(msg: unknown): boolean {
    if (typeof msg !== 'object' || msg === null || (msg as KillLate).$ds !== 'kill') return false;
    const pid = (msg as KillLate).pid;
    // Only a pid this member signalled and still holds (a timer of its own): anything else is ignored.
    if (isPid(pid) && pid.node === this.node.name && this.byPid.get(pid.key)?.stopping) this.exit(pid, 'kill');
    return true;
  }

  protected takeover(msg: unknown): void {
    let t;
    try {
      t = parseTakeover(msg);
    } catch (e) {
      log(`dropped a malformed takeover: ${String(e)}`);
      return;
    }
    if (this.local.has(t.spec.id) || !this.table.hasQuorum()) return;
    this.startLocal(t.spec, { hasState: t.hasState, state: t.state });
    this.replica.flush();
  }

  /** Hands a local instance over to `to`: its state (from `handoff()`) travels with the spec, then its key goes. */
  protected async handOff(c: LocalChild, to: string): Promise<void> {
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
    this.replica.del(['run', c.spec.id, this.node.name]);
  }
}
