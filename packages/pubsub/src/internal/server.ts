import { Actor, isDown, type Pid } from '@foundation/runtime';
import type { Adapter } from '../adapter.js';
import { looksLikeFrame, parseFrame } from '../frame.js';
import type { PubSubCore } from './core.js';

/** The registered name of PubSub `name`'s server on every node. */
export const serverName = (name: string): string => `pubsub:${name}`;

/** What the server is started with. */
export interface ServerArgs {
  readonly core: PubSubCore;
  /** Filled in right after spawn, before the first subscription. */
  readonly slot: { adapter: Adapter | undefined };
}

/** Local subscription changes, as calls (ordered by the server). */
export type ServerCall =
  | { readonly op: 'subscribe'; readonly pid: Pid; readonly pattern: string; readonly metadata: unknown }
  | { readonly op: 'unsubscribe'; readonly pid: Pid; readonly pattern: string };

/** A call's outcome: an adapter's failure travels as a value (a throwing handler would crash the server). */
export type ServerReply = { readonly ok: unknown } | { readonly error: Error };

/**
 * One node's PubSub server (Phoenix's PubSub supervisor and Registry in one): it alone writes the
 * subscription table — monitors each subscriber, drops its entries when it exits, tells the
 * adapter when a pattern gains its first or loses its last local subscriber — and delivers the
 * frames other nodes send it to the local subscribers.
 */
export class PubSubServer extends Actor<ServerCall, ServerReply, ServerArgs> {
  private core!: PubSubCore;
  private slot!: { adapter: Adapter | undefined };
  private readonly sendFn = (pid: Pid | { name: string; node: string }, msg: unknown): void => this.send(pid, msg);

  override init(args: ServerArgs): void {
    this.core = args.core;
    this.slot = args.slot;
  }

  override async handleCall(msg: ServerCall): Promise<ServerReply> {
    try {
      const adapter = this.slot.adapter!;
      const table = this.core.table;
      if (msg.op === 'subscribe') {
        const { newPattern, holder, newPid } = table.add(msg.pid, msg.pattern, msg.metadata);
        if (newPid) holder.ref = this.monitor(msg.pid);
        if (newPattern) await adapter.subscribed(msg.pattern);
        return { ok: undefined };
      }
      const { removed, patternGone, ref, pidGone } = table.remove(msg.pid, msg.pattern);
      if (pidGone && ref !== undefined) this.demonitor(ref);
      if (patternGone) await adapter.unsubscribed(msg.pattern);
      return { ok: removed };
    } catch (e) {
      return { error: e as Error };
    }
  }

  override async handleInfo(msg: unknown): Promise<void> {
    if (isDown(msg)) {
      for (const pattern of this.core.table.removePid(msg.pid)) await this.tellAdapter(pattern);
      return;
    }
    if (looksLikeFrame(msg)) {
      const parsed = parseFrame(msg, this.core.name);
      const core = this.core;
      if (parsed === undefined) {
        core.stats.framesDropped++;
        core.log('warn', `pubsub '${core.name}': dropped a malformed frame`);
        return;
      }
      const { frame, segments } = parsed;
      core.stats.framesReceived++;
      if (!core.deliver(this.sendFn, frame.topic, segments, frame.message, frame.from, frame.dispatcher)) {
        core.stats.framesDropped++;
        core.log('warn', `pubsub '${core.name}': dropped a broadcast for unknown dispatcher '${String(frame.dispatcher)}'`);
      }
      return;
    }
    this.slot.adapter?.onInfo(msg);
  }

  private async tellAdapter(pattern: string): Promise<void> {
    try {
      await this.slot.adapter?.unsubscribed(pattern);
    } catch (e) {
      this.core.log('warn', `pubsub '${this.core.name}': adapter failed to drop pattern '${pattern}': ${String(e)}`);
    }
  }

  override async terminate(): Promise<void> {
    this.core.table.clear();
  }
}
