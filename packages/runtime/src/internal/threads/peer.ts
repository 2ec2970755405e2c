import { Pid } from '../../pid.js';
import { checkEncodable, encodableReason } from '../../encodable.js';
import { NotAnActorError, StoppedError } from '../../errors.js';
import type { Frame } from '../../transport.js';
import { processInfoOf, type ProcessInfo } from '../../process-info.js';
import { actorClass } from '../../actor-registry.js';
import { createInbox } from '../../inbox.js';
import type { ActorClass } from '../../actor.js';
import type { Kernel } from '../kernel.js';
import type { ThreadRouter } from '../thread-router.js';
import type { ProcessCore } from '../process.js';
import { receiveFrame } from '../remote.js';
import { die, nodeDown, processesLost } from '../signals.js';
import { create, type SpawnOptions } from '../spawn.js';
import { Arrivals } from './arrivals.js';
import type { Board } from './board.js';
import type { Control, LinkHandlers, Question, SpawnFrame, ThreadFrame, ThreadLink } from './thread-link.js';

/** Why the processes of a scheduler thread that died exited. */
export function schedulerDownReason(scheduler: number, error: unknown): { schedulerDown: { scheduler: number; error: string } } {
  return { schedulerDown: { scheduler, error: error instanceof Error ? error.message : String(error) } };
}

/** A snapshot of a local process, with its class name (the node's own process is 'Root'). */
export function describe(k: Kernel, pid: Pid): ProcessInfo | undefined {
  const p = k.local(pid);
  if (!p) return undefined;
  return processInfoOf(p, p === k.root ? 'Root' : p.$object().constructor.name);
}

/** A question waiting for another scheduler's answer. */
interface Asked {
  readonly s: number;
  readonly resolve: (value: unknown) => void;
  /** The answer when that scheduler is gone before it answered. */
  readonly otherwise: unknown;
}

/**
 * One scheduler's end of the threads layer: links to every other scheduler, and the handling
 * every scheduler shares — frames, spawns that arrive, names, questions and their answers.
 * The main thread and the workers extend it with what only they do.
 */
export abstract class SchedulerPeer implements ThreadRouter {
  readonly links: (ThreadLink | null)[];
  /** Other nodes this node is connected to (workers learn it from the main thread). */
  readonly connected = new Set<string>();
  protected readonly arrivals: Arrivals;
  private readonly asked = new Map<number, Asked>();
  private askSeq = 0;
  /** What every link hands its traffic to. */
  protected readonly handlers: LinkHandlers = {
    frame: (f, from) => this.onFrame(f, from),
    control: (c, from) => this.onControl(c, from),
    // After a batch from another scheduler: run the work it made now.
    afterBatch: () => this.k.dispatcher.drainNow(),
    // A link's frames leave by the node's rules for everything it sends (see outgoing.ts).
    queued: () => this.k.outgoing.queued(),
  };

  constructor(
    readonly k: Kernel,
    readonly n: number,
    readonly board: Board,
  ) {
    this.links = new Array<ThreadLink | null>(n).fill(null);
    this.arrivals = new Arrivals(k.scheduler, n, board);
    k.threads = this;
    k.outgoing.add(() => this.flushAll());
  }

  // ThreadRouter

  send(s: number, frame: Frame): boolean {
    if (s === this.k.scheduler) {
      // Kernel.route sends here only for a pid allocated for this scheduler that has not arrived.
      const to = (frame as { to: Pid }).to;
      this.arrivals.park(to.id, () => receiveFrame(this.k, frame));
      return true;
    }
    return this.links[s]?.send(frame) ?? false;
  }

  abstract sendToNode(node: string, frame: Frame): boolean;
  abstract claimName(name: string, pid: Pid): void;
  abstract registerOn(name: string, pid: Pid): void;
  abstract releaseName(name: string): boolean;
  abstract nameChanged(name: string, pid: Pid | null, was: Pid): void;
  abstract whereis(name: string): Pid | undefined;

  spawnOn(s: number, parent: Pid, cls: string, args: unknown, opts: SpawnOptions): Pid {
    checkEncodable(args, 'spawn argument');
    const link = this.links[s];
    if (!link?.alive) throw new StoppedError(`scheduler ${s}`);
    const k = this.k;
    const pid = new Pid(k.name, k.allocateId(s), k.incarnation);
    // Claimed before the spawn is sent: a name taken throws here, and the pid never escapes.
    if (opts.name !== undefined) this.registerOn(opts.name, pid);
    const { link: linked, trapExit, mailbox } = opts;
    link.send({ t: 'spawn', pid, parent, cls, args, opts: { link: linked, trapExit, mailbox } });
    // Counted now, not when the spawn arrives there: a burst of 'auto' spawns spreads out.
    Atomics.add(this.board.loads, s, 1);
    return pid;
  }

  arriving(id: number): boolean {
    return this.arrivals.pending(id);
  }

  info(pid: Pid): Promise<ProcessInfo | undefined> {
    const k = this.k;
    const s = k.schedulerOf(pid.id);
    if (s === k.scheduler) {
      // Not arrived yet: answered once it has.
      return new Promise((resolve) => this.arrivals.park(pid.id, () => resolve(describe(k, pid))));
    }
    return this.ask(s, { info: pid }, null).then((i) => (i as ProcessInfo | null) ?? undefined);
  }

  async processes(): Promise<Pid[]> {
    const asks: Promise<unknown>[] = [];
    for (let s = 0; s < this.n; s++) if (s !== this.k.scheduler) asks.push(this.ask(s, 'processes', []));
    return (await Promise.all(asks)).flat() as Pid[];
  }

  /** The least loaded scheduler (fewest processes). */
  leastLoaded(): number {
    let best = 0;
    for (let s = 1; s < this.n; s++) {
      if ((s === this.k.scheduler || this.links[s]?.alive) && this.board.loads[s]! < this.board.loads[best]!) best = s;
    }
    return best;
  }

  publishSeq(target: number, next: number): void {
    this.board.setNext(this.k.scheduler, target, next);
  }

  publishLoad(processes: number): void {
    Atomics.store(this.board.loads, this.k.scheduler, processes);
  }

  /** Sends every queued frame now. */
  flushAll(): void {
    for (const link of this.links) link?.flush();
  }

  // Questions to other schedulers, answered from their event loops: nobody waits.

  private ask(s: number, q: Question, otherwise: unknown): Promise<unknown> {
    const link = this.links[s];
    if (!link?.alive) return Promise.resolve(otherwise);
    const id = ++this.askSeq;
    return new Promise((resolve) => {
      this.asked.set(id, { s, resolve, otherwise });
      link.control({ ctl: 'ask', id, q });
    });
  }

  private answer(from: number, id: number, q: Question): void {
    const k = this.k;
    const reply = (value: ProcessInfo | Pid[] | null) => this.links[from]?.control({ ctl: 'answer', id, value });
    if (q === 'processes') {
      const out: Pid[] = [];
      for (const p of k.all()) if (p !== k.root) out.push(p.$pid);
      reply(out);
    } else if (this.arrivals.pending(q.info.id)) {
      this.arrivals.park(q.info.id, () => reply(describe(k, q.info) ?? null));
    } else {
      reply(describe(k, q.info) ?? null);
    }
  }

  /** Questions to scheduler `s` that it will not answer (it died, or the node stops): the "gone" answer. */
  protected unanswered(s: number): void {
    for (const [id, a] of this.asked) {
      if (s !== -1 && a.s !== s) continue;
      this.asked.delete(id);
      a.resolve(a.otherwise);
    }
  }

  // Incoming

  onFrame(f: ThreadFrame, from: number): void {
    if (f.t === 'relay') this.relay(f.node, f.frame);
    else if (f.t === 'spawn') this.arrive(f, from);
    else receiveFrame(this.k, f);
  }

  /** Main only: a worker's frame for another node. */
  protected relay(_node: string, _frame: Frame): void {}

  /**
   * A process another scheduler spawned here. Its class unknown on this thread (modules that
   * differ): it exits at once with NotAnActorError, and its link and monitors see that reason.
   */
  private arrive(f: SpawnFrame, from: number): void {
    const k = this.k;
    if (!this.arrivals.arrive(from, f.pid.id)) return; // its allocator's thread died: the pid is gone
    let cls: ActorClass | undefined;
    let reason: unknown;
    try {
      cls = actorClass(f.cls);
    } catch {
      reason = new NotAnActorError(`'${f.cls}' (not defined on scheduler ${k.scheduler}: load its module with Node.start({ modules }))`);
    }
    // A class unknown here still gets a process for a moment: what waits for the pid attaches to it and sees it exit.
    const p = cls ? create(k, cls, f.pid.id, f.parent, f.args, f.opts) : this.standIn(f);
    k.export(p);
    if (f.opts.link) (p.$x().links ??= new Map()).set(f.parent.key, f.parent);
    this.arrivals.run(f.pid.id);
    if (cls) k.dispatcher.enqueue(p);
    else die(p, reason);
  }

  private standIn(f: SpawnFrame): ProcessCore {
    return createInbox(this.k, f.parent, false, f.pid.id).$p;
  }

  onControl(c: Control, from: number): void {
    switch (c.ctl) {
      case 'node':
        if (c.up) this.connected.add(c.name);
        else {
          this.connected.delete(c.name);
          nodeDown(this.k, c.name);
        }
        this.k.nodeEvent(c.name, c.up, c.reason);
        return;
      case 'name':
        this.nameMessage(c.name, c.pid, c.was);
        return;
      case 'schedulerDown':
        this.lostScheduler(c.scheduler, c.reason, c.since[this.k.scheduler]!);
        return;
      case 'since':
        this.arrivals.settle(from, c.seq - 1);
        return;
      case 'ask':
        this.answer(from, c.id, c.q);
        return;
      case 'answer': {
        const a = this.asked.get(c.id);
        this.asked.delete(c.id);
        a?.resolve(c.value);
        return;
      }
      default:
        return;
    }
  }

  /** The main thread's word on a name: the replica follows, and a process of this scheduler takes or drops it. */
  protected nameMessage(name: string, pid: Pid | null, was: Pid | undefined): void {
    const k = this.k;
    if (pid) k.names.set(name, pid);
    else if (!was || k.names.get(name)?.equals(was)) k.names.delete(name);
    const whose = pid ?? was;
    if (!whose || whose.node !== k.name || whose.incarnation !== k.incarnation || k.schedulerOf(whose.id) !== k.scheduler) return;
    if (this.arrivals.pending(whose.id)) this.arrivals.park(whose.id, () => this.nameOwn(name, pid, whose));
    else this.nameOwn(name, pid, whose);
  }

  /** A name given to (`pid`) or taken from (`whose`) a process of this scheduler by another. */
  private nameOwn(name: string, pid: Pid | null, whose: Pid): void {
    const k = this.k;
    const p = k.local(whose);
    const ext = p?.$ext;
    if (pid === null) {
      if (ext?.name === name) ext.name = null;
      return;
    }
    if (!k.names.get(name)?.equals(pid)) return; // released or taken again while it waited
    if (p !== null && (ext?.name == null || ext.name === name)) {
      p.$x().name = name;
      k.names.set(name, p.$pid); // this process's own pid: its exit finds it there
      return;
    }
    // It died meanwhile (or holds another name): the name goes, node-wide.
    if (k.names.get(name)?.equals(pid)) k.names.delete(name);
    this.nameChanged(name, null, pid);
  }

  /**
   * Scheduler `s` died: its processes are gone with `reason`, and so are its names. Its pids
   * for this scheduler below `since` that have not arrived never will.
   */
  lostScheduler(s: number, reason: unknown, since: number): void {
    const k = this.k;
    processesLost(k, (pid) => pid.node === k.name && pid.incarnation === k.incarnation && k.schedulerOf(pid.id) === s, reason);
    for (const [name, pid] of k.names) if (k.schedulerOf(pid.id) === s) k.names.delete(name);
    this.arrivals.settle(s, since - 1);
    this.unanswered(s);
  }

  /** The reason a scheduler's death is sent to the others with (it crosses threads). */
  protected static downReason(s: number, error: unknown): unknown {
    return encodableReason(schedulerDownReason(s, error));
  }
}
