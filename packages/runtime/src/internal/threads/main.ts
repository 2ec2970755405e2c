import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { Pid, Ref } from '../../pid.js';
import { encodableReason } from '../../encodable.js';
import { AlreadyRegisteredError, InvalidArgumentError, NoProcessError } from '../../errors.js';
import type { Frame } from '../../transport.js';
import type { Kernel } from '../kernel.js';
import { MAX_SCHEDULERS } from '../kernel.js';
import { deliverDown, namePid, sendExitSignal } from '../signals.js';
import { Kind } from '../mailbox.js';
import type { CallEnvelope } from '../calls.js';
import { siblingModule, startWorker } from '../worker-bootstrap.js';
import { SchedulerPeer } from './peer.js';
import { Board } from './board.js';
import { SyncChannel, syncMemory } from './sync-channel.js';
import { ThreadLink, encodeOwned, type Control } from './thread-link.js';

/** What a worker scheduler is started with. */
export interface WorkerInit {
  readonly name: string;
  readonly incarnation: number;
  readonly scheduler: number;
  readonly schedulers: number;
  readonly modules: string[];
  readonly sync: SharedArrayBuffer;
  readonly board: SharedArrayBuffer;
  /** Ports to the other schedulers, by index (null for itself). */
  readonly ports: (MessagePort | null)[];
  /** The first pid seq to allocate, by target scheduler (a restart continues past its old pids). */
  readonly pidStarts: number[];
  readonly connected: string[];
  /** The node's names, encoded: [name, pid][], and the version of the table they are. */
  readonly names: Uint8Array;
  readonly namesVersion: number;
  readonly sliceMs: number | undefined;
}

/** A worker's request to the main thread, by the sync channel (see WorkerScheduler). */
export type SyncRequest =
  | { readonly op: 'claim'; readonly name: string; readonly pid: Pid }
  | { readonly op: 'release'; readonly name: string }
  | { readonly op: 'whereis'; readonly name: string };

/** How many schedulers `schedulers: n | 'auto'` means. */
export function schedulerCount(given: unknown): number {
  if (given === undefined) return 1;
  if (given === 'auto') return Math.min(availableParallelism(), MAX_SCHEDULERS);
  if (!Number.isInteger(given) || (given as number) < 1 || (given as number) > MAX_SCHEDULERS) {
    throw new InvalidArgumentError('schedulers', `an integer from 1 to ${MAX_SCHEDULERS}, or 'auto'`, given);
  }
  return given as number;
}

/**
 * The main thread's end of a node with several schedulers: it starts the worker threads,
 * owns the node-wide name table (deciding every claim at once, and telling the scheduler of
 * the process by a message) and the transport (relaying workers' frames to other nodes),
 * tells workers of nodeup / nodedown, and restarts a worker thread that died — after its
 * processes' links and monitors fired with `{ schedulerDown: { scheduler, error } }`. It
 * never waits for a worker: it owns the network and the heartbeats.
 */
export class MainScheduler extends SchedulerPeer {
  private readonly workers: (Worker | null)[];
  private readonly ready: ((ok: boolean) => void)[] = [];
  private readonly sync: SyncChannel;
  private stopping = false;

  private constructor(
    k: Kernel,
    n: number,
    private readonly syncSab: SharedArrayBuffer,
    board: Board,
    private readonly modules: string[],
    private readonly sliceMs: number | undefined,
  ) {
    super(k, n, board);
    this.sync = new SyncChannel(syncSab, n);
    this.workers = new Array<Worker | null>(n).fill(null);
  }

  /** Starts the worker schedulers 1..n-1 and resolves once each has loaded the modules. */
  static async start(k: Kernel, n: number, modules: string[], sliceMs: number | undefined): Promise<MainScheduler> {
    const main = new MainScheduler(k, n, syncMemory(n), new Board(Board.memory(n), n), modules, sliceMs);
    // One channel per pair of schedulers.
    const ports = Array.from({ length: n }, () => new Array<MessagePort | null>(n).fill(null));
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const c = new MessageChannel();
        ports[i]![j] = c.port1;
        ports[j]![i] = c.port2;
      }
    }
    const firsts = new Array<number>(n).fill(1);
    await Promise.all(Array.from({ length: n - 1 }, (_, i) => main.startWorker(i + 1, ports[i + 1]!, ports[0]![i + 1]!, firsts)));
    return main;
  }

  private startWorker(s: number, ports: (MessagePort | null)[], mine: MessagePort, pidStarts: number[]): Promise<void> {
    const k = this.k;
    const init: WorkerInit = {
      name: k.name,
      incarnation: k.incarnation,
      scheduler: s,
      schedulers: this.n,
      modules: this.modules,
      sync: this.syncSab,
      board: this.board.sab,
      ports,
      pidStarts,
      connected: [...this.connected],
      names: encodeOwned([...k.names]),
      namesVersion: Atomics.load(this.board.names, 0),
      sliceMs: this.sliceMs,
    };
    const transfer = ports.filter((p): p is MessagePort => p !== null);
    const worker = startWorker(siblingModule(import.meta.url, 'worker-main'), init, {
      name: `${k.name}/scheduler-${s}`,
      transferList: transfer,
    });
    this.workers[s] = worker;
    const held = this.links[s];
    // A restart: what was sent to the scheduler meanwhile goes to the new thread, after the
    // line between the pids this thread gave the old one and the ones it gives the new one.
    if (held) held.rebind(mine, { ctl: 'since', seq: this.restartSince[s]! });
    else this.links[s] = new ThreadLink(mine, s, this.handlers, false);
    return new Promise((resolve, reject) => {
      let started = false;
      this.ready[s] = () => {
        started = true;
        worker.unref(); // like a node without schedulers, a started node alone does not keep the process running
        resolve();
      };
      worker.on('error', (e) => {
        if (!started) reject(e);
        else this.workerDied(s, e);
      });
      worker.on('exit', (code) => {
        if (!started) reject(new Error(`scheduler ${s} exited with code ${code} while starting`));
        else if (this.workers[s] === worker) this.workerDied(s, new Error(`exited with code ${code}`));
      });
    });
  }

  /** This thread's next pid seq for a restarting scheduler, when its thread died. */
  private readonly restartSince: number[] = [];

  /** A worker thread died: its processes are gone; it starts again with fresh links. */
  private workerDied(s: number, error: unknown): void {
    if (this.workers[s] === null) return;
    this.workers[s] = null;
    if (this.stopping) {
      this.links[s]?.close();
      this.links[s] = null;
      return;
    }
    // Frames for the scheduler wait for its new thread; the dead one's pids are settled.
    this.links[s]?.hold();
    this.restartSince[s] = this.k.nextSeq(s);
    const since = this.board.nextOf(s).map((seq) => Math.max(seq, 1));
    const reason = SchedulerPeer.downReason(s, error);
    this.lostScheduler(s, reason, since[0]!);
    const names = this.bumpNames(); // its names went with it, everywhere
    for (let j = 1; j < this.n; j++) if (j !== s) this.links[j]?.control({ ctl: 'schedulerDown', scheduler: s, reason, since, names });
    const ports = new Array<MessagePort | null>(this.n).fill(null);
    let mine: MessagePort | null = null;
    for (let j = 0; j < this.n; j++) {
      if (j === s) continue;
      const c = new MessageChannel();
      ports[j] = c.port1;
      if (j === 0) mine = c.port2;
      else this.links[j]?.relink({ relink: s, port: c.port2 });
    }
    this.startWorker(s, ports, mine!, since).catch(() => this.workerDied(s, new Error('could not restart')));
  }

  // ThreadRouter

  sendToNode(node: string, frame: Frame): boolean {
    return this.k.transport?.send(node, frame) ?? false;
  }

  claimName(name: string, pid: Pid): void {
    this.announce(name, pid);
  }

  registerOn(name: string, pid: Pid): void {
    this.claim(name, pid, 0);
  }

  releaseName(name: string): boolean {
    return this.release(name, 0);
  }

  nameChanged(name: string, pid: Pid | null, was: Pid): void {
    this.announce(name, pid, was);
  }

  whereis(): Pid | undefined {
    return undefined; // the main thread's table is the node's
  }

  /**
   * Decides a claim of `name` for `pid` by scheduler `from` at once; the schedulers that did not
   * ask learn it by a message (the pid's own gives it the name, or releases it if it died).
   */
  private claim(name: string, pid: Pid, from: number): void {
    const k = this.k;
    const holder = k.names.get(name);
    if (holder) throw new AlreadyRegisteredError(name, holder.toString());
    const s = k.schedulerOf(pid.id);
    if (s === k.scheduler && !this.arrivals.pending(pid.id)) {
      const p = k.local(pid);
      if (p === null) throw new NoProcessError(pid.toString());
      const own = p.$ext?.name;
      if (own != null) throw new AlreadyRegisteredError(own, `${pid} (a process has at most one name)`);
      p.$x().name = name;
      k.names.set(name, p.$pid);
    } else {
      if (s !== from) {
        // A process of a third scheduler: the table knows whether it holds a name already.
        for (const [held, p] of k.names)
          if (p.equals(pid)) throw new AlreadyRegisteredError(held, `${pid} (a process has at most one name)`);
      }
      k.names.set(name, pid);
      if (s === k.scheduler) this.nameMessage(name, pid, undefined);
    }
    this.announce(name, pid, undefined, from);
  }

  /** Releases `name` for scheduler `from`; false when nobody held it. */
  private release(name: string, from: number): boolean {
    const k = this.k;
    const was = k.names.get(name);
    if (!was) return false;
    k.names.delete(name);
    const p = k.local(was);
    if (p?.$ext?.name === name) p.$ext.name = null;
    this.announce(name, null, was, from);
    return true;
  }

  /** Answers a worker's synchronous request. */
  private serve(from: number, req: SyncRequest): unknown {
    switch (req.op) {
      case 'claim':
        this.claim(req.name, req.pid, from);
        return true;
      case 'release':
        return this.release(req.name, from);
      case 'whereis':
        return this.k.names.get(req.name) ?? null;
    }
  }

  override onControl(c: Control, from: number): void {
    switch (c.ctl) {
      case 'poke':
        this.sync.serve((s, req) => this.serve(s, req as SyncRequest));
        return;
      case 'ready':
        this.ready[c.scheduler]?.(true);
        return;
      case 'name':
        // A worker's name went away: the node-wide table follows, then every other replica.
        super.onControl(c, from);
        this.announce(c.name, c.pid, c.was, from);
        return;
      default:
        super.onControl(c, from);
    }
  }

  /** A worker's frame for another node; if it cannot go, the worker learns as a local send would. */
  protected override relay(node: string, f: Frame): void {
    const k = this.k;
    try {
      if (k.transport?.send(node, f)) return;
    } catch (e) {
      // Too large for the transport: the worker's sender could not be told at its send, so a
      // caller learns through its call's monitor, at once; anything else is a dead letter.
      const env = (f.t === 'msg' || f.t === 'named') && f.kind === Kind.Call ? (f.msg as CallEnvelope) : null;
      if (env !== null) deliverDown(k, env.from.pid, env.from.ref, f.t === 'msg' ? f.to : namePid(node), encodableReason(e));
      else if (f.t === 'reply') this.failRemoteCall(node, f.to, f.ref, e);
      else k.deadLetters++;
      return;
    }
    if (f.t === 'monitor') deliverDown(k, f.from, f.ref, typeof f.to === 'string' ? namePid(node) : f.to, 'noconnection');
    else if (f.t === 'link') sendExitSignal(k, f.to, f.from, 'noconnection', true);
    else k.deadLetters++;
  }

  /**
   * A worker's reply to a caller on `node` is too large for the transport. On one thread the
   * replier crashes and its caller learns through its call's monitor; here the replier is on
   * another thread and unknown to the frame, so the caller is told directly: a DOWN for its
   * call's ref fails that call at once with the error (the pid in it is unused by a call:
   * this node's own). The callee's record of the call's monitor stays until it exits.
   */
  private failRemoteCall(node: string, caller: Pid, ref: Ref, e: unknown): void {
    const down: Frame = { t: 'down', to: caller, ref, pid: this.k.root.$pid, reason: encodableReason(e) };
    let sent = false;
    try {
      sent = this.k.transport?.send(node, down) ?? false;
    } catch {
      // a DOWN's reason is shortened to fit (see the transport): not expected
    }
    if (!sent) this.k.deadLetters++;
  }

  /** nodeup / nodedown from the transport, passed on to the workers. */
  nodeEvent(name: string, up: boolean, reason?: unknown): void {
    if (up) this.connected.add(name);
    else this.connected.delete(name);
    this.broadcast({ ctl: 'node', name, up, reason: reason === undefined ? undefined : encodableReason(reason) });
  }

  /**
   * Tells every worker of a change to the name table, with the table's new version: the
   * scheduler that made the change (`from`) gets only the version. A worker whose replica is at
   * the version in shared memory has seen every change: it answers a miss itself.
   */
  private announce(name: string, pid: Pid | null, was?: Pid, from = -1): void {
    const version = this.bumpNames();
    for (let s = 1; s < this.n; s++) {
      this.links[s]?.control(s === from ? { ctl: 'names', version } : { ctl: 'name', name, pid, ...(was && { was }), version });
    }
  }

  /** The name table changed: its next version, published before anyone is told. */
  private bumpNames(): number {
    return Atomics.add(this.board.names, 0, 1) + 1;
  }

  private broadcast(c: Control, except = -1): void {
    for (let s = 1; s < this.n; s++) if (s !== except) this.links[s]?.control(c);
  }

  /** Stops every worker scheduler (each stops its actors first). */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.workers.map(async (w, s) => {
        if (!w) return;
        const exited = new Promise<void>((r) => w.once('exit', () => r()));
        this.links[s]?.control({ ctl: 'stop' });
        // A worker that outlives its actors' shutdown by a second is terminated (never, for Infinity).
        const timer = timeoutMs === Infinity ? null : setTimeout(() => void w.terminate().catch(() => {}), timeoutMs + 1000);
        await exited;
        if (timer) clearTimeout(timer);
        this.links[s]?.close();
        this.links[s] = null;
      }),
    );
    this.unanswered(-1);
  }
}
