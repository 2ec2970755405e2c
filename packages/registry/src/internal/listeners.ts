import {
  describeValue,
  isInspected,
  publishInspectEvent,
  MailboxFullError,
  UnencodableError,
  UnknownNameError,
  isPid,
  type BaseProcess,
  type DownMessage,
  type Ref,
  type Target,
} from '@foundation/runtime';
import type { RegistryEvent } from '../events.js';

const listenerKey = (t: Target): string =>
  isPid(t)
    ? `pid:${t.key}`
    : typeof t === 'string'
      ? `name:${t}`
      : `remote:${(t as { name: string; node: string }).name}@${(t as { node: string }).node}`;

/**
 * The processes an owner actor tells of registrations and removals. A listener given by pid
 * is monitored and forgotten when it exits; a named one stays (the name may come back).
 */
export class Listeners {
  private readonly byKey = new Map<string, { target: Target; ref: Ref | null }>();

  constructor(private readonly owner: Pick<BaseProcess, 'monitor' | 'demonitor' | 'send' | 'node'>) {}

  get size(): number {
    return this.byKey.size;
  }

  /** Adds `target`; false when it was listening already. */
  add(target: Target): boolean {
    const key = listenerKey(target);
    if (this.byKey.has(key)) return false;
    this.byKey.set(key, { target, ref: isPid(target) ? this.owner.monitor(target) : null });
    return true;
  }

  /** Removes `target`; false when it was not listening. */
  remove(target: Target): boolean {
    const key = listenerKey(target);
    const l = this.byKey.get(key);
    if (!l) return false;
    if (l.ref) this.owner.demonitor(l.ref);
    this.byKey.delete(key);
    return true;
  }

  /** A DOWN the owner got: a listener that exited is forgotten. */
  down(msg: DownMessage): void {
    const key = `pid:${msg.pid.key}`;
    if (this.byKey.get(key)?.ref?.equals(msg.ref)) this.byKey.delete(key);
  }

  /**
   * Sends `event` to every listener (one that is gone, full, or remote with an unencodable value
   * misses it), and publishes it on the node's inspection stream when somebody listens there.
   */
  notify(event: RegistryEvent<unknown, unknown>): void {
    const node = this.owner.node;
    if (isInspected(node, 'registry')) {
      const registered = 'registered' in event;
      publishInspectEvent(node, {
        type: 'registry',
        node: node.name,
        registry: registered ? event.registered : event.unregistered,
        change: registered ? 'registered' : 'unregistered',
        name: typeof event.key === 'string' ? event.key : describeValue(event.key),
        pid: event.pid,
        at: Date.now(),
      });
    }
    for (const { target } of this.byKey.values()) {
      try {
        this.owner.send(target, event);
      } catch (e) {
        if (!UnknownNameError.is(e) && !MailboxFullError.is(e) && !UnencodableError.is(e)) throw e;
      }
    }
  }
}
