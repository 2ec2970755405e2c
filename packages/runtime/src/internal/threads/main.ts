import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { Pid } from '../../pid.js';
import { encode } from '../../codec.js';
import { AlreadyRegisteredError, InvalidArgumentError } from '../../errors.js';
import type { Frame } from '../../transport.js';
import type { Kernel } from '../kernel.js';
import { MAX_SCHEDULERS } from '../kernel.js';
import { deliverDown, namePid, sendExitSignal } from '../signals.js';
import { siblingModule, startWorker } from '../worker-bootstrap.js';
import { Board, SchedulerPeer, schedulerDownReason, type SyncRequest } from './peer.js';
import { syncMemory } from './sync-channel.js';
import { ThreadLink, type Control } from './thread-link.js';

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
  readonly pidStart: number;
  readonly connected: string[];
  readonly names: [string, Uint8Array][];
  readonly sliceMs: number | undefined;
}

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
 * owns the node-wide name table and the transport (relaying workers' frames to other nodes),
 * tells workers of nodeup / nodedown, and restarts a worker thread that died — after its
 * processes' links and monitors fired with `{ schedulerDown: { scheduler, error } }`.
 */
export class MainScheduler extends SchedulerPeer {
  private readonly workers: (Worker | null)[];
  private stopping = false;

  private constructor(
    k: Kernel,
    n: number,
    private readonly syncSab: SharedArrayBuffer,
    board: Board,
    private readonly modules: string[],
    private readonly sliceMs: number | undefined,
  ) {
    super(k, n, syncSab, board);
    this.workers = new Array(n).fill(null);
  }

  /** Starts the worker schedulers 1..n-1 and resolves once each has loaded the modules. */
  static async start(k: Kernel, n: number, modules: string[], sliceMs: number | undefined): Promise<MainScheduler> {
    const main = new MainScheduler(k, n, syncMemory(n), new Board(Board.memory(n), n), modules, sliceMs);
    // One channel per pair of schedulers.
    const ports: (MessagePort | null)[][] = Array.from({ length: n }, () => new Array(n).fill(null));
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const c = new MessageChannel();
        ports[i]![j] = c.port1;
        ports[j]![i] = c.port2;
      }
    }
    await Promise.all(Array.from({ length: n - 1 }, (_, i) => main.startWorker(i + 1, ports[i + 1]!, ports[0]![i + 1]!, 1)));
    return main;
  }

  private startWorker(s: number, ports: (MessagePort | null)[], mine: MessagePort, pidStart: number): Promise<void> {
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
      pidStart,
      connected: [...this.connected],
      names: [...k.names].map(([name, pid]) => [name, encode(pid)]),
      sliceMs: this.sliceMs,
    };
    const transfer = ports.filter((p): p is MessagePort => p !== null);
    const worker = startWorker(siblingModule(import.meta.url, 'worker-main'), init, { name: `${k.name}/scheduler-${s}`, transferList: transfer });
    this.workers[s] = worker;
    return new Promise((resolve, reject) => {
      let ready = false;
      const link = new ThreadLink(
        mine,
        (f) => this.onFrame(f),
        (c) => {
          if (c.ctl === 'ready') {
            ready = true;
            worker.unref(); // like a node without schedulers, a started node alone does not keep the process running
            resolve();
          } else this.onControl(c);
        },
        false,
        this.afterBatch,
      );
      this.links[s] = link;
      worker.on('error', (e) => {
        if (!ready) reject(e);
        else this.workerDied(s, e);
      });
      worker.on('exit', (code) => {
        if (!ready) reject(new Error(`scheduler ${s} exited with code ${code} while starting`));
        else if (this.workers[s] === worker) this.workerDied(s, new Error(`exited with code ${code}`));
      });
    });
  }

  /** A worker thread died: its processes are gone; it starts again with fresh links. */
  private workerDied(s: number, error: unknown): void {
    if (this.workers[s] === null) return;
    this.workers[s] = null;
    this.links[s]?.close();
    this.links[s] = null;
    if (this.stopping) return;
    const reason = schedulerDownReason(s, error);
    this.lostScheduler(s, reason);
    for (let j = 1; j < this.n; j++) if (j !== s) this.links[j]?.control({ ctl: 'schedulerDown', scheduler: s, reason });
    const ports: (MessagePort | null)[] = new Array(this.n).fill(null);
    let mine: MessagePort | null = null;
    for (let j = 0; j < this.n; j++) {
      if (j === s) continue;
      const c = new MessageChannel();
      ports[j] = c.port1;
      if (j === 0) mine = c.port2;
      else this.links[j]?.port.postMessage({ ctl: 'relink', scheduler: s, port: c.port2 }, [c.port2]);
    }
    const pidStart = this.board.seqs[s]! + 1;
    this.startWorker(s, ports, mine!, pidStart).catch(() => this.workerDied(s, new Error('could not restart')));
  }

  // ThreadRouter

  sendToNode(node: string, frame: Frame): boolean {
    return this.k.transport?.send(node, frame) ?? false;
  }

  claimName(name: string, pid: Pid): void {
    this.broadcast({ ctl: 'name', name, pid: encode(pid) });
  }

  nameChanged(name: string, pid: Pid | null, was: Pid): void {
    this.broadcast({ ctl: 'name', name, pid: pid ? encode(pid) : null, was: encode(was) });
  }

  whereis(): Pid | undefined {
    return undefined; // the main thread's table is the node's
  }

  protected override answer(from: number, req: SyncRequest): unknown {
    if (req.op !== 'claim') return super.answer(from, req);
    const holder = this.k.names.get(req.name);
    if (holder) throw new AlreadyRegisteredError(req.name, holder.toString());
    this.k.names.set(req.name, req.pid);
    this.broadcast({ ctl: 'name', name: req.name, pid: encode(req.pid) }, from);
    return true;
  }

  override onControl(c: Control): void {
    if (c.ctl === 'name') {
      // A worker's name went away: the node-wide table follows, then every other replica.
      super.onControl(c);
      this.broadcast(c);
      return;
    }
    super.onControl(c);
  }

  /** A worker's frame for another node; if it cannot go, the worker learns as a local send would. */
  protected override relay(node: string, f: Frame): void {
    if (this.k.transport?.send(node, f)) return;
    const k = this.k;
    if (f.t === 'monitor') deliverDown(k, f.from, f.ref, typeof f.to === 'string' ? namePid(node) : f.to, 'noconnection');
    else if (f.t === 'link') sendExitSignal(k, f.to, f.from, 'noconnection', true);
    else k.deadLetters++;
  }

  /** nodeup / nodedown from the transport, passed on to the workers. */
  nodeEvent(name: string, up: boolean, reason?: unknown): void {
    if (up) this.connected.add(name);
    else this.connected.delete(name);
    this.broadcast({ ctl: 'node', name, up, reason });
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
        const timer = setTimeout(() => void w.terminate(), timeoutMs + 1000);
        await exited;
        clearTimeout(timer);
        this.links[s]?.close();
        this.links[s] = null;
      }),
    );
  }
}
