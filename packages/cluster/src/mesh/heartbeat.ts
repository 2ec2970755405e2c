import type { Connection } from './connection.js';
import { CloseCode } from './protocol.js';

/**
 * The mesh's tick: every `tickMs` each connected peer is pinged, and one silent for 4 ticks is
 * closed (CloseCode.heartbeat: nodedown 'noconnection'). After a late tick (this event loop was
 * busy) no one is judged: the peers' pings may still be unread. `after` runs at the end of each
 * tick (housekeeping). A throw while handling one peer closes that peer's connection only.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private last = 0;

  constructor(
    private readonly tickMs: number,
    private readonly peers: () => Iterable<Connection>,
    private readonly after: (now: number) => void,
    private readonly log: (level: 'warn', msg: string) => void,
  ) {}

  start(): void {
    this.last = performance.now();
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One tick (the timer calls it; exposed for tests). */
  tick(): void {
    const now = performance.now();
    const late = now - this.last > 1.5 * this.tickMs;
    this.last = now;
    const limit = 4 * this.tickMs;
    for (const c of [...this.peers()]) {
      try {
        if (!late && now - c.lastRecv > limit) {
          c.close(CloseCode.heartbeat, `silent for ${Math.round(now - c.lastRecv)} ms (4 ticks of ${this.tickMs} ms)`);
        } else c.sendControl({ c: 'ping' });
      } catch (e) {
        c.crashed('the heartbeat', e);
      }
    }
    try {
      this.after(now);
    } catch (e) {
      this.log('warn', `the heartbeat's housekeeping threw: ${(e as Error)?.stack ?? String(e)}`);
    }
  }
}
