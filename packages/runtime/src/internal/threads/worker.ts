import type { Pid } from '../../pid.js';
import type { Frame } from '../../transport.js';
import type { Kernel } from '../kernel.js';
import { SchedulerPeer } from './peer.js';
import { Board } from './board.js';
import { SyncChannel } from './sync-channel.js';
import { ThreadLink, type Control, type LinkHandlers, type Relink } from './thread-link.js';
import type { SyncRequest, WorkerInit } from './main.js';

/**
 * A worker thread's end of a node with several schedulers: frames for other nodes go through
 * the main thread, names are claimed there (the worker keeps a replica for lookups, and asks
 * the main thread, waiting for it, on a claim, a release of another's name, or a miss), and a
 * 'stop' from the main thread stops this scheduler's actors.
 */
export class WorkerScheduler extends SchedulerPeer {
  private readonly sync: SyncChannel;
  /** This scheduler's next pid seq for a restarting scheduler, when its thread died. */
  private readonly restartSince: number[] = [];
  private readonly mainHandlers: LinkHandlers;
  /** The version of the main thread's name table this replica has seen every change up to. */
  private namesSeen: number;

  constructor(
    k: Kernel,
    init: WorkerInit,
    private readonly onStop: () => void,
  ) {
    super(k, init.schedulers, new Board(init.board, init.schedulers));
    this.sync = new SyncChannel(init.sync, init.schedulers);
    this.namesSeen = init.namesVersion;
    this.mainHandlers = { ...this.handlers, relink: (r) => this.relinked(r) };
    for (const name of init.connected) this.connected.add(name);
    init.ports.forEach((port, s) => {
      if (port) this.links[s] = new ThreadLink(port, s, s === 0 ? this.mainHandlers : this.handlers, s === 0);
    });
  }

  /** The port to a restarted scheduler: what was held for it goes there, after the line between old and new pids. */
  private relinked(r: Relink): void {
    const s = r.relink;
    const link = this.links[s];
    if (link) link.rebind(r.port, { ctl: 'since', seq: this.restartSince[s] ?? this.k.nextSeq(s) });
    else this.links[s] = new ThreadLink(r.port, s, this.handlers, false);
  }

  override onControl(c: Control, from: number): void {
    if (c.ctl === 'names' || (c.ctl === 'name' && c.version !== undefined)) this.namesSeen = c.version!;
    if (c.ctl === 'stop') this.onStop();
    else if (c.ctl === 'schedulerDown') {
      // Until its new thread's port comes, what is sent to it waits.
      this.links[c.scheduler]?.hold();
      this.restartSince[c.scheduler] = this.k.nextSeq(c.scheduler);
      super.onControl(c, from);
      this.namesSeen = c.names;
    } else super.onControl(c, from);
  }

  private request(req: SyncRequest): unknown {
    return this.sync.request(this.k.scheduler, req, () => this.links[0]?.control({ ctl: 'poke' }));
  }

  sendToNode(node: string, frame: Frame): boolean {
    if (!this.connected.has(node)) return false;
    return this.links[0]?.send({ t: 'relay', node, frame }) ?? false;
  }

  claimName(name: string, pid: Pid): void {
    this.request({ op: 'claim', name, pid });
  }

  registerOn(name: string, pid: Pid): void {
    this.request({ op: 'claim', name, pid });
    this.nameMessage(name, pid, undefined); // the main thread tells every scheduler but this one
  }

  releaseName(name: string): boolean {
    const released = this.request({ op: 'release', name }) as boolean;
    // The main thread tells the others by a message: this scheduler's replica forgets it now.
    this.k.names.delete(name);
    return released;
  }

  nameChanged(name: string, pid: Pid | null, was: Pid): void {
    this.links[0]?.control({ ctl: 'name', name, pid, was });
  }

  /**
   * A name this replica does not have. When it has seen every change the main thread made (the
   * version in shared memory), the answer is here: no such name. Otherwise a change it has not
   * seen yet may be the one the caller knows of (it learnt it from a third scheduler, whose
   * messages can overtake the main thread's): the main thread is asked.
   */
  whereis(name: string): Pid | undefined {
    if (this.namesSeen === Atomics.load(this.board.names, 0)) return undefined;
    return (this.request({ op: 'whereis', name }) as Pid | null) ?? undefined;
  }
}
