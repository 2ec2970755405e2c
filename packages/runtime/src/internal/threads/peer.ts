import { Pid } from '../../pid.js';
import { decode, encode } from '../../codec.js';
import { checkEncodable } from '../../encodable.js';
import { InvalidArgumentError } from '../../errors.js';
import type { Frame } from '../../transport.js';
import { processInfoOf, type ProcessInfo } from '../../process-info.js';
import type { Kernel } from '../kernel.js';
import type { ThreadRouter } from '../thread-router.js';
import { receiveFrame } from '../remote.js';
import { nodeDown, processesLost } from '../signals.js';
import { spawn, type SpawnOptions } from '../spawn.js';
import { SyncChannel } from './sync-channel.js';
import type { Control, ThreadFrame, ThreadLink } from './thread-link.js';

/** Synchronous requests between schedulers. */
export type SyncRequest =
  | { readonly op: 'spawn'; readonly cls: string; readonly args: unknown; readonly opts: SpawnOptions; readonly parent: Pid }
  | { readonly op: 'claim'; readonly name: string; readonly pid: Pid }
  | { readonly op: 'register'; readonly name: string; readonly pid: Pid }
  | { readonly op: 'unregister'; readonly name: string }
  | { readonly op: 'whereis'; readonly name: string }
  | { readonly op: 'info'; readonly pid: Pid }
  | { readonly op: 'processes' };

/** Per-scheduler figures every scheduler can read: next pid sequence (for restarts) and load. */
export class Board {
  readonly seqs: Float64Array;
  readonly loads: Int32Array;
  constructor(readonly sab: SharedArrayBuffer, n: number) {
    this.seqs = new Float64Array(sab, 0, n);
    this.loads = new Int32Array(sab, 8 * n, n);
  }
  static memory(n: number): SharedArrayBuffer {
    return new SharedArrayBuffer(12 * n);
  }
}

/** Why the processes of a scheduler thread that died exited. */
export function schedulerDownReason(scheduler: number, error: unknown): { schedulerDown: { scheduler: number; error: string } } {
  return { schedulerDown: { scheduler, error: error instanceof Error ? error.message : String(error) } };
}

/** A snapshot of a local process, with its class name (the node's own process is 'Root'). */
export function describe(k: Kernel, pid: Pid): ProcessInfo | undefined {
  const p = k.local(pid);
  if (!p) return undefined;
  return processInfoOf(p, p === k.root ? 'Root' : p.constructor.name);
}

/**
 * One scheduler's end of the threads layer: links to every other scheduler, the sync
 * channel, and the handling every scheduler shares (frames, control messages, requests).
 * The main thread and the workers extend it with what only they do.
 */
export abstract class SchedulerPeer implements ThreadRouter {
  readonly links: (ThreadLink | null)[];
  readonly sync: SyncChannel;
  /** Other nodes this node is connected to (workers learn it from the main thread). */
  readonly connected = new Set<string>();

  constructor(
    readonly k: Kernel,
    readonly n: number,
    syncSab: SharedArrayBuffer,
    readonly board: Board,
  ) {
    this.links = new Array(n).fill(null);
    this.sync = new SyncChannel(syncSab, n, k.scheduler, (from, req) => this.answer(from, req as SyncRequest), (to) =>
      this.links[to]?.control({ ctl: 'poke' }),
    );
    k.threads = this;
    // Frames queued during a drain go out when it ends, not one event-loop turn later.
    k.dispatcher.afterDrain = () => this.flushAll();
  }

  /** After a batch from another scheduler: run the work it made now. */
  protected readonly afterBatch = (): void => this.k.dispatcher.drainNow();

  // ThreadRouter

  send(s: number, frame: Frame): boolean {
    return this.links[s]?.send(frame) ?? false;
  }

  abstract sendToNode(node: string, frame: Frame): boolean;
  abstract claimName(name: string, pid: Pid): void;
  abstract nameChanged(name: string, pid: Pid | null, was: Pid): void;
  abstract whereis(name: string): Pid | undefined;

  releaseName(name: string): boolean {
    const pid = this.k.names.get(name) ?? this.whereis(name);
    if (!pid) return false;
    const released = this.sync.request(this.k.schedulerOf(pid.id), { op: 'unregister', name }) as boolean;
    // The owner tells the others by a message that has not come yet: unregister has taken effect
    // when it returns, so this scheduler's table (the node's, on the main thread) forgets it now.
    if (released && this.k.names.get(name)?.equals(pid)) this.k.names.delete(name);
    return released;
  }

  registerOn(name: string, pid: Pid): void {
    this.sync.request(this.k.schedulerOf(pid.id), { op: 'register', name, pid });
  }

  /** Sends every queued frame now. */
  flushAll(): void {
    for (const link of this.links) link?.flush();
  }

  // Incoming

  onFrame(f: ThreadFrame): void {
    if (f.t === 'relay') this.relay(f.node, f.frame);
    else receiveFrame(this.k, f);
  }

  /** Main only: a worker's frame for another node. */
  protected relay(_node: string, _frame: Frame): void {}

  onControl(c: Control): void {
    switch (c.ctl) {
      case 'poke':
        this.sync.serve();
        return;
      case 'node':
        if (c.up) this.connected.add(c.name);
        else {
          this.connected.delete(c.name);
          nodeDown(this.k, c.name);
        }
        this.k.nodeEvent(c.name, c.up, c.reason);
        return;
      case 'name': {
        const was = c.was ? (decode(c.was) as Pid) : undefined;
        if (c.pid) this.k.names.set(c.name, decode(c.pid) as Pid);
        else if (!was || this.k.names.get(c.name)?.equals(was)) this.k.names.delete(c.name);
        return;
      }
      case 'schedulerDown':
        this.lostScheduler(c.scheduler, c.reason);
        return;
      default:
        return;
    }
  }

  /** Scheduler `s` died: its processes are gone with `reason`, and so are its names. */
  lostScheduler(s: number, reason: unknown): void {
    const k = this.k;
    processesLost(k, (pid) => pid.node === k.name && pid.incarnation === k.incarnation && k.schedulerOf(pid.id) === s, reason);
    for (const [name, pid] of k.names) if (k.schedulerOf(pid.id) === s) k.names.delete(name);
  }

  /** Answers a synchronous request from scheduler `from`. */
  protected answer(_from: number, req: SyncRequest): unknown {
    const k = this.k;
    switch (req.op) {
      case 'spawn': {
        const pid = spawn(k, req.parent, req.cls, req.args, { ...req.opts, link: false });
        // The spawner records its half of the link itself: both halves exist when spawn returns.
        if (req.opts.link) (k.local(pid)!.$x().links ??= new Map()).set(req.parent.key, req.parent);
        return pid;
      }
      case 'register':
        k.register(req.name, req.pid);
        return true;
      case 'unregister':
        return k.unregister(req.name);
      case 'info':
        return describe(k, req.pid) ?? null;
      case 'processes': {
        const out: Pid[] = [];
        for (const p of k.all()) if (p !== k.root) out.push(p.$pid);
        return out;
      }
      case 'whereis':
        return k.names.get(req.name) ?? null;
      case 'claim':
        throw new InvalidArgumentError('request', 'a claim sent to the main thread', req);
    }
  }

  // Outgoing requests

  /** Spawns a defined actor class on scheduler `s` (blocks until it exists there). */
  spawnOn(s: number, parent: Pid, cls: string, args: unknown, opts: SpawnOptions): Pid {
    checkEncodable(args, 'spawn argument');
    return this.sync.request(s, { op: 'spawn', cls, args, opts, parent }) as Pid;
  }

  info(pid: Pid): ProcessInfo | undefined {
    const s = this.k.schedulerOf(pid.id);
    if (!this.links[s]?.alive) return undefined;
    return (this.sync.request(s, { op: 'info', pid }) as ProcessInfo | null) ?? undefined;
  }

  processes(): Pid[] {
    const out: Pid[] = [];
    for (let s = 0; s < this.n; s++) {
      if (s !== this.k.scheduler && this.links[s]?.alive) out.push(...(this.sync.request(s, { op: 'processes' }) as Pid[]));
    }
    return out;
  }

  /** The least loaded scheduler (fewest processes). */
  leastLoaded(): number {
    let best = 0;
    for (let s = 1; s < this.n; s++) {
      if ((s === this.k.scheduler || this.links[s]?.alive) && this.board.loads[s]! < this.board.loads[best]!) best = s;
    }
    return best;
  }

  /** Publishes this scheduler's figures (called as processes come and go). */
  publish(nextSeq: number, processes: number): void {
    this.board.seqs[this.k.scheduler] = nextSeq;
    this.board.loads[this.k.scheduler] = processes;
  }

  protected encodedPid(pid: Pid): Uint8Array {
    return encode(pid);
  }
}
