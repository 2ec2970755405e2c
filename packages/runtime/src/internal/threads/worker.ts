import type { MessagePort } from 'node:worker_threads';
import type { Pid } from '../../pid.js';
import { encode } from '../../codec.js';
import type { Frame } from '../../transport.js';
import type { Kernel } from '../kernel.js';
import { Board, SchedulerPeer } from './peer.js';
import { ThreadLink, type Control } from './thread-link.js';
import type { WorkerInit } from './main.js';

/**
 * A worker thread's end of a node with several schedulers: frames for other nodes go through
 * the main thread, names are claimed there (the worker keeps a replica for lookups), and a
 * 'stop' from the main thread stops this scheduler's actors.
 */
export class WorkerScheduler extends SchedulerPeer {
  constructor(k: Kernel, init: WorkerInit, private readonly onStop: () => void) {
    super(k, init.schedulers, init.sync, new Board(init.board, init.schedulers));
    for (const name of init.connected) this.connected.add(name);
    init.ports.forEach((port, s) => {
      if (port) this.attach(s, port);
    });
  }

  private attach(s: number, port: MessagePort): void {
    this.links[s] = new ThreadLink(port, (f) => this.onFrame(f), (c) => this.onControl(c), s === 0, this.afterBatch);
  }

  override onControl(c: Control): void {
    if (c.ctl === 'stop') this.onStop();
    else if (c.ctl === 'relink') this.attach(c.scheduler, c.port);
    else super.onControl(c);
  }

  sendToNode(node: string, frame: Frame): boolean {
    if (!this.connected.has(node)) return false;
    return this.links[0]?.send({ t: 'relay', node, frame }) ?? false;
  }

  claimName(name: string, pid: Pid): void {
    this.sync.request(0, { op: 'claim', name, pid });
  }

  nameChanged(name: string, pid: Pid | null, was: Pid): void {
    this.links[0]?.control({ ctl: 'name', name, pid: pid ? encode(pid) : null, was: encode(was) });
  }

  whereis(name: string): Pid | undefined {
    return (this.sync.request(0, { op: 'whereis', name }) as Pid | null) ?? undefined;
  }
}
