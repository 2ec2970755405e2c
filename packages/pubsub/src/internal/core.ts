import type { Node, Pid } from '@foundation/runtime';
import { plainDispatcher, type Dispatcher } from '../dispatcher.js';
import { SubscriptionTable, uniqueSubscribers } from './table.js';

/** Where a PubSub logs what it drops (a bad frame, a throwing dispatcher, an adapter's trouble). */
export type PubSubLogger = (level: 'info' | 'warn' | 'error', msg: string) => void;

/** Counters of one node's PubSub. */
export interface PubSubStats {
  /** Broadcasts handed on by this node (broadcast, broadcastFrom, directBroadcast). */
  broadcasts: number;
  /** Frames sent to other nodes (cluster) or messages published (Redis). */
  framesSent: number;
  /** Frames from other nodes delivered here. */
  framesReceived: number;
  /** Frames dropped: malformed, of another PubSub, or for an unknown dispatcher. */
  framesDropped: number;
  /** Messages delivered to local subscribers by the default dispatcher. */
  deliveries: number;
}

/** The state one node's PubSub shares between its handle, its server actor and its adapter. */
export class PubSubCore {
  readonly table = new SubscriptionTable();
  readonly stats: PubSubStats = { broadcasts: 0, framesSent: 0, framesReceived: 0, framesDropped: 0, deliveries: 0 };

  /** Logs through the user's logger; a logger that throws loses that line, never the caller (a socket's event, the server). */
  readonly log: PubSubLogger;

  constructor(
    readonly name: string,
    readonly node: Node,
    readonly dispatchers: ReadonlyMap<string, Dispatcher>,
    logger: PubSubLogger,
  ) {
    this.log = (level, msg) => {
      try {
        logger(level, msg);
      } catch {
        // Nowhere left to report it.
      }
    };
  }

  /**
   * Delivers a broadcast to the matching local subscribers, each once, but `from`; `send` is the
   * sending process's. False when `dispatcher` is not known here (nothing delivered).
   */
  deliver(
    send: (pid: Pid, msg: unknown) => void,
    topic: string,
    segments: readonly string[],
    message: unknown,
    from: Pid | null,
    dispatcher: string | null,
  ): boolean {
    const entries = this.table.match(segments);
    if (dispatcher === null) {
      if (entries.length === 1) {
        // The hot path: one matching pattern, no copy of its subscribers.
        for (const s of entries[0]!.values()) {
          if (from === null || !s.pid.equals(from)) {
            send(s.pid, message);
            this.stats.deliveries++;
          }
        }
        return true;
      }
      if (entries.length === 0) return true;
    }
    const custom = dispatcher === null ? plainDispatcher : this.dispatchers.get(dispatcher);
    if (custom === undefined) return false;
    const subscribers = uniqueSubscribers(entries);
    if (subscribers.length === 0) return true;
    try {
      custom({ subscribers, from: from ?? undefined, topic, message, send });
      if (dispatcher === null)
        this.stats.deliveries += subscribers.length - (from !== null && subscribers.some((s) => s.pid.equals(from)) ? 1 : 0);
    } catch (e) {
      this.log('error', `pubsub '${this.name}': dispatcher '${dispatcher}' threw on topic '${topic}': ${String(e)}`);
    }
    return true;
  }
}
