import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';
import { Pid } from './pid.js';
import { decode } from './codec.js';
import { MainScheduler, schedulerCount, type WorkerInit } from './internal/threads/main.js';
import { WorkerScheduler } from './internal/threads/worker.js';
import { describe } from './internal/threads/peer.js';
import type { Target } from './target.js';
import type { Transport } from './transport.js';
import type { ActorClass } from './actor.js';
import { systemClock, type Clock } from './clock.js';
import { checkKnownOptions } from './known-options.js';
import { checkScheduling, type Scheduling } from './scheduling.js';
import { InvalidArgumentError, StoppedError } from './errors.js';
import { MAX_DURATION_MS, checkDuration } from './duration.js';
import { createInbox, type Inbox } from './inbox.js';
import { DirtyPool, type DirtyPoolOptions } from './dirty-pool.js';
import { Kernel } from './internal/kernel.js';
import { Kind } from './internal/mailbox.js';
import { RootProcess } from './internal/root.js';
import { call } from './internal/calls.js';
import { nodeDown, sendExitSignal } from './internal/signals.js';
import { spawn, type SpawnOptions } from './internal/spawn.js';
import { spawnAndWait } from './internal/spawn-wait.js';
import { resolvePid } from './internal/resolve.js';
import { spawnOn } from './internal/remote-spawn.js';
import type { ActorOf, CallOf, CallOptions, CallResult, CastOf, InfoOf, PidOf, SpawnArgOf, SpawnResult } from './protocol.js';
import { receiveFrame } from './internal/remote.js';
import { nextIncarnation } from './internal/incarnation.js';
import type { ProcessInfo } from './process-info.js';
import { shutdownAll } from './internal/shutdown.js';

/** Options of `Node.start`. */
export interface NodeOptions {
  /** The node's name (letters, digits, `_`, `-`, `@`); `'nonode'` by default. */
  name?: string;
  /** How this node reaches others (the WebSocket mesh, or a MemoryNetwork in tests). */
  transport?: Transport;
  /** Time source for timers and timeouts (a SimulatedClock in tests). */
  clock?: Clock;
  /** Longest run of the scheduler before it yields to I/O, in ms (default 4). */
  sliceMs?: number;
  /** Scheduler threads: 1 (default: just this thread), n, or 'auto' (one per core). */
  schedulers?: number | 'auto';
  /**
   * Modules every scheduler thread loads before it runs actors (file URLs or paths), where
   * actor classes are defined by name with defineActor — as OTP nodes load the same code.
   */
  modules?: (string | URL)[];
  /** The dirty pool for `runTask` (created on first use): threads, idle timeout. */
  dirtyPool?: DirtyPoolOptions;
  /**
   * How long `stop()` waits for a trapping top-level actor before killing it, in ms (default
   * 5000; at most MAX_DURATION_MS, or Infinity to wait as long as it takes).
   */
  shutdownTimeoutMs?: number;
  /**
   * A deterministic simulator's hooks (`@foundation/testkit`): it decides when this node's
   * actors run and gives its incarnation. Only with one scheduler. Default: none.
   */
  scheduling?: Scheduling;
}

/** Options of `node.inbox()`. */
export interface InboxOptions {
  /** Receive exit signals as `{ from, reason }` messages (default true). */
  trapExit?: boolean;
}

const NAME_RE = /^[A-Za-z0-9_@-]+$/;
const START_OPTIONS: ReadonlySet<string> = new Set([
  'name',
  'transport',
  'clock',
  'sliceMs',
  'schedulers',
  'modules',
  'dirtyPool',
  'shutdownTimeoutMs',
  'scheduling',
]);

/**
 * One Foundation runtime: a scheduler full of actors, a name table, and (with a transport) a
 * member of a cluster. Several may run in one OS process. Emits `'nodeup'` (name) and
 * `'nodedown'` (name, reason).
 */
export class Node extends EventEmitter {
  /** @internal */
  readonly k: Kernel;
  private readonly root: RootProcess;
  private urlValue = '';
  private stopping: Promise<void> | null = null;
  private readonly shutdownTimeoutMs: number;
  private pool: DirtyPool | null = null;
  /** The main thread's end of the worker schedulers, when there are any. */
  private threads: MainScheduler | null = null;
  private readonly dirtyPoolOptions: DirtyPoolOptions | undefined;

  private constructor(opts: NodeOptions, place: { incarnation?: number; scheduler: number; schedulers: number }) {
    super();
    const name = opts.name ?? 'nonode';
    if (typeof name !== 'string' || !NAME_RE.test(name)) {
      throw new InvalidArgumentError('name', 'letters, digits, _, - or @', name);
    }
    if (opts.sliceMs !== undefined) checkDuration('sliceMs', opts.sliceMs, { positive: true });
    const st = opts.shutdownTimeoutMs;
    this.shutdownTimeoutMs = st === undefined ? 5000 : checkDuration('shutdownTimeoutMs', st, { infinity: true });
    this.dirtyPoolOptions = opts.dirtyPool;
    const scheduling = opts.scheduling === undefined ? null : checkScheduling(opts.scheduling);
    if (scheduling !== null && place.schedulers > 1) {
      throw new InvalidArgumentError(
        'schedulers',
        '1 when a scheduling option is given (a simulation runs on one thread)',
        opts.schedulers,
      );
    }
    const incarnation = place.incarnation ?? scheduling?.incarnation ?? nextIncarnation(name);
    this.k = new Kernel(this, name, incarnation, opts.clock ?? systemClock, opts.sliceMs, scheduling);
    this.k.scheduler = place.scheduler;
    this.k.schedulers = place.schedulers;
    const root = new RootProcess();
    root.$k = this.k;
    root.$pid = this.k.rootPid(root);
    this.k.add(root);
    this.k.root = root;
    this.root = root;
  }

  /** Starts a node (and its transport, when given one). */
  static async start(opts: NodeOptions = {}): Promise<Node> {
    if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError('Node.start options', 'an object', opts);
    checkKnownOptions('Node.start', opts, START_OPTIONS);
    const schedulers = schedulerCount(opts.schedulers);
    const modules = checkModules(opts.modules);
    // The main thread is scheduler 0: it loads the same modules as the others.
    for (const m of modules) await import(m.startsWith('file:') ? m : pathToFileURL(m).href);
    const node = new Node(opts, { scheduler: 0, schedulers });
    if (schedulers > 1) node.threads = await MainScheduler.start(node.k, schedulers, modules, opts.sliceMs);
    if (opts.transport) await node.attach(opts.transport);
    return node;
  }

  /** @internal The node of a worker scheduler thread (see internal/threads/worker-main.ts). */
  static async $startScheduler(init: WorkerInit): Promise<Node> {
    const node = new Node({ name: init.name, sliceMs: init.sliceMs }, init);
    node.k.startPidsAt(init.pidStarts);
    for (const [name, pid] of decode(init.names) as [string, Pid][]) node.k.names.set(name, pid);
    const peer = new WorkerScheduler(node.k, init, () => {
      // The exit signals and DOWNs of this scheduler's last processes go out before the thread ends.
      void node.stop().then(() => {
        peer.flushAll();
        process.exit(0);
      });
    });
    peer.links[0]!.control({ ctl: 'ready', scheduler: init.scheduler });
    return node;
  }

  private async attach(transport: Transport): Promise<void> {
    const k = this.k;
    k.transport = transport;
    // What a drain sent goes out between its turns or when it ends, not one event-loop turn later.
    if (transport.flush) k.outgoing.add(transport.flush.bind(transport));
    this.urlValue = await transport.start({
      name: k.name,
      incarnation: k.incarnation,
      receive: (_from, frame) => receiveFrame(k, frame),
      batchDone: () => k.dispatcher.drainNow(),
      queued: () => k.outgoing.queued(),
      nodeUp: (name) => {
        this.threads?.nodeEvent(name, true);
        k.nodeEvent(name, true);
        this.emit('nodeup', name);
      },
      nodeDown: (name, reason) => {
        this.threads?.nodeEvent(name, false, reason);
        nodeDown(k, name);
        k.nodeEvent(name, false, reason);
        this.emit('nodedown', name, reason);
      },
    });
  }

  /** This node's name. */
  get name(): string {
    return this.k.name;
  }

  /** This start of the node: pids of an earlier start never name processes of this one. */
  get incarnation(): number {
    return this.k.incarnation;
  }

  /** The address peers reach this node at (empty without a transport). */
  get url(): string {
    return this.urlValue;
  }

  /** The node's own pid: parent of what `spawn` starts here. */
  get self(): Pid {
    return this.root.$pid;
  }

  /**
   * Spawns an actor whose parent is the node. Returns its pid at once — `Pid<Cls>` for a class
   * (`args` checked against its init), an untyped Pid for a class name; init runs on its first
   * turn. With `opts.node`, spawns on another node (a class named with defineActor) and
   * resolves with the pid.
   */
  spawn<C extends ActorClass | string, O extends SpawnOptions = { node?: undefined }>(
    cls: C,
    args: SpawnArgOf<C>,
    opts?: O,
  ): SpawnResult<C, O> {
    if (opts?.node !== undefined) return spawnOn(this.root, cls, args, opts) as SpawnResult<C, O>;
    return spawn(this.k, this.root.$pid, cls, args, opts) as SpawnResult<C, O>;
  }

  /** Spawns like `spawn` and resolves with the pid once init has succeeded (rejects with InitError). */
  spawnAndWait<C extends ActorClass | string>(cls: C, args: SpawnArgOf<C>, opts?: SpawnOptions): Promise<PidOf<C>> {
    return spawnAndWait(this.k, this.root.$pid, cls, args, opts) as Promise<PidOf<C>>;
  }

  /** Sends `msg` (to `handleInfo`). A pid on an unreachable node: dropped and counted, as in OTP. */
  send<To extends Target>(to: To, msg: InfoOf<To>): void {
    if (this.k.inspect !== null) this.k.inspect.sent(this.root.$pid, to, Kind.Info, msg);
    this.k.sendTo(to, Kind.Info, msg);
  }

  /** Casts `msg` (to `handleCast`). */
  cast<To extends Target>(to: To, msg: CastOf<To>): void {
    if (this.k.inspect !== null) this.k.inspect.sent(this.root.$pid, to, Kind.Cast, msg);
    this.k.sendTo(to, Kind.Cast, msg);
  }

  /**
   * Calls `to` and resolves with the reply; rejects with CallTimeoutError, CallExitError,
   * CallAbortedError (`opts.signal` aborted), or StoppedError when the node stops first. A
   * typed target takes what its handleCall takes and resolves with the reply type for `msg`;
   * `call<R>(to, msg)` is the untyped form. `opts`: a timeout in ms (default 5000, at most
   * MAX_DURATION_MS, or Infinity: no timer) or `{ timeoutMs, signal }`.
   */
  call<R = never, To extends Target = Target, const M extends CallOf<To> = CallOf<To>>(
    to: To,
    msg: M,
    opts?: number | CallOptions,
  ): Promise<CallResult<NoInfer<R>, To, M>> {
    if (this.k.stopped) return Promise.reject(new StoppedError(`node ${this.name}`));
    return call(this.root, to, msg, opts) as Promise<CallResult<NoInfer<R>, To, M>>;
  }

  /** Sends the exit signal `reason` to `to`, as its parent would (`'kill'` cannot be trapped). */
  exit(to: Target, reason: unknown): void {
    sendExitSignal(this.k, this.root.$pid, resolvePid(this.k, to), reason, false);
  }

  /** Registers `pid` under `name` on this node (a `Name<A>` takes only a `Pid<A>`). Throws AlreadyRegisteredError when taken. */
  register<N extends string>(name: N, pid: Pid<ActorOf<N>>): void {
    this.k.register(name, pid);
  }

  /** Removes a name; false when nobody held it. */
  unregister(name: string): boolean {
    return this.k.unregister(name);
  }

  /** The pid registered under `name` here, if any (a `Pid<A>` for a `Name<A>`). */
  whereis<N extends string>(name: N): Pid<ActorOf<N>> | undefined {
    return this.k.whereis(name) as Pid<ActorOf<N>> | undefined;
  }

  /** Names registered on this node. */
  registered(): string[] {
    return [...this.k.names.keys()];
  }

  /** A process for code outside actors: send, call, link, monitor and `receive`. */
  inbox(opts: InboxOptions = {}): Inbox {
    checkKnownOptions('Node.inbox', opts, ['trapExit']);
    if (this.k.stopped) throw new StoppedError(`node ${this.name}`);
    return createInbox(this.k, this.root.$pid, opts.trapExit !== false);
  }

  /**
   * A snapshot of a live process of this node; undefined when it is dead or not on this node.
   * A process of this thread is described as it is at the call; one on another scheduler
   * when that scheduler next reaches its event loop (nobody waits for it meanwhile).
   */
  async processInfo(pid: Pid): Promise<ProcessInfo | undefined> {
    if (!(pid instanceof Pid)) throw new InvalidArgumentError('pid', 'a Pid', pid);
    const k = this.k;
    if (k.isLocal(pid) || pid.node !== k.name || pid.incarnation !== k.incarnation) return describe(k, pid);
    return k.threads?.info(pid);
  }

  /**
   * Whether `pid` names a live process, answered at once where this thread can tell (OTP's
   * `is_process_alive`, which also answers only for local pids): true or false for a pid of this
   * scheduler, false for one of an earlier incarnation of this node, undefined for a pid of
   * another scheduler or node (ask `processInfo`, which waits for its answer).
   */
  isAlive(pid: Pid): boolean | undefined {
    if (!(pid instanceof Pid)) throw new InvalidArgumentError('pid', 'a Pid', pid);
    const k = this.k;
    if (pid.node !== k.name) return undefined;
    if (pid.incarnation !== k.incarnation) return false;
    return k.isLocal(pid) ? k.local(pid) !== null : undefined;
  }

  /** Pids of the live processes on this node (actors and inboxes, not the node's own), on every scheduler. */
  async processes(): Promise<Pid[]> {
    const out: Pid[] = [];
    for (const p of this.k.all()) if (p !== this.root) out.push(p.$pid);
    if (this.k.threads) out.push(...(await this.k.threads.processes()));
    return out;
  }

  /**
   * Counters: live processes, messages dropped for dead or unreachable targets, run queue, and
   * exit signals the node's own process ignored (see RootProcess).
   */
  stats(): { processes: number; deadLetters: number; runQueue: number; exitSignalsIgnored: number } {
    return {
      processes: Math.max(0, this.k.size - 1),
      deadLetters: this.k.deadLetters,
      runQueue: this.k.dispatcher.runnable,
      exitSignalsIgnored: this.root.ignoredExits,
    };
  }

  /**
   * Runs `exportName(input)` from the module at `moduleUrl` on the dirty pool (piscina worker
   * threads), for CPU-bound work that must not block the scheduler; resolves with its result
   * or rejects with the task's own error. An actor awaiting it stays responsive to exit signals.
   */
  runTask(moduleUrl: string | URL, exportName: string, input?: unknown): Promise<unknown> {
    if (this.k.stopped) return Promise.reject(new StoppedError(`node ${this.name}`));
    return (this.pool ??= new DirtyPool(this.dirtyPoolOptions)).run(moduleUrl, exportName, input);
  }

  /** Names of the connected nodes. */
  nodes(): string[] {
    return this.k.transport?.nodes() ?? [];
  }

  /** Connects to the node at `url` through the transport; resolves once connected. */
  async connect(url: string): Promise<void> {
    if (!this.k.transport) throw new InvalidArgumentError('transport', 'configured (Node.start({ transport }))', undefined);
    await this.k.transport.connect(url);
  }

  /** Closes the connection to `node`. */
  disconnect(node: string): void {
    this.k.transport?.disconnect(node);
  }

  /**
   * Stops every actor — top-level ones in reverse start order, each trapping one (a supervision
   * tree) waited for — with reason `'shutdown'`, then closes the transport.
   */
  stop(): Promise<void> {
    return (this.stopping ??= this.doStop());
  }

  private async doStop(): Promise<void> {
    await shutdownAll(this.k, this.shutdownTimeoutMs);
    // The worker schedulers' last-resort timer waits 1 s longer than this: keep it a valid delay.
    await this.threads?.stop(this.shutdownTimeoutMs === Infinity ? Infinity : Math.min(this.shutdownTimeoutMs, MAX_DURATION_MS - 1000));
    this.k.stopped = true;
    await this.k.transport?.stop();
    await this.pool?.destroy();
    this.removeAllListeners();
  }
}

/** Checks `modules`: file URLs or paths, as hrefs. */
function checkModules(modules: unknown): string[] {
  if (modules === undefined) return [];
  if (!Array.isArray(modules)) throw new InvalidArgumentError('modules', 'an array of module URLs or paths', modules);
  return modules.map((m, i) => {
    if (m instanceof URL) return m.href;
    if (typeof m === 'string' && m.length > 0) return m;
    throw new InvalidArgumentError(`modules[${i}]`, 'a module URL or path', m);
  });
}
