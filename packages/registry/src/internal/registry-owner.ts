import { Listeners } from './listeners.js';
import { Actor, NoProcessError, isDown, type Pid, type Ref, type Target } from '@foundation/runtime';
import { AlreadyRegisteredError } from '../errors.js';
import type { RegistryEntry, RegistryTable } from './registry-table.js';

/** What the owner is started with: the table it alone writes, and the initial listeners. */
export interface OwnerArgs<K, V> {
  readonly name: string;
  readonly table: RegistryTable<K, V>;
  readonly listeners: readonly Target[];
}

/** The writes, as calls to the owner (one at a time, so they are ordered). */
export type OwnerCall<K, V> =
  | { readonly op: 'register'; readonly key: K; readonly pid: Pid; readonly value: V }
  | { readonly op: 'unregister'; readonly key: K; readonly pid: Pid }
  | { readonly op: 'update'; readonly key: K; readonly pid: Pid; readonly value: V }
  | { readonly op: 'listen'; readonly target: Target }
  | { readonly op: 'unlisten'; readonly target: Target };

/** A call's outcome: a handler that threw would crash the owner, so refusals travel as values. */
export type OwnerReply = { readonly ok: unknown } | { readonly error: Error };

/**
 * The registry's owner: applies registrations to the table in the order they arrive, monitors
 * every process that holds a key (its entries go when it exits), and tells listeners.
 */
export class RegistryOwner<K, V> extends Actor<OwnerCall<K, V>, OwnerReply, OwnerArgs<K, V>> {
  private name!: string;
  private table!: RegistryTable<K, V>;
  /** One monitor per process holding keys. */
  private readonly watched = new Map<string, Ref>();
  private readonly listeners = new Listeners(this);

  override init(args: OwnerArgs<K, V>): void {
    this.name = args.name;
    this.table = args.table;
    // Trapping, so that a shutdown from the parent (a supervisor, node.stop) runs terminate and empties the table.
    this.trapExit = true;
    for (const t of args.listeners) this.listeners.add(t);
  }

  override handleCall(msg: OwnerCall<K, V>): OwnerReply | Promise<OwnerReply> {
    switch (msg.op) {
      case 'register':
        return this.register(msg.key, msg.pid, msg.value);
      case 'unregister': {
        const removed = this.table.remove(msg.key, msg.pid);
        for (const e of removed) this.listeners.notify({ unregistered: this.name, key: msg.key, pid: e.pid, value: e.value });
        this.unwatchIfIdle(msg.pid);
        return { ok: removed.length > 0 };
      }
      case 'update': {
        const old = this.table.update(msg.key, msg.pid, msg.value);
        for (const e of old) {
          this.listeners.notify({ unregistered: this.name, key: msg.key, pid: e.pid, value: e.value });
          this.listeners.notify({ registered: this.name, key: msg.key, pid: e.pid, value: msg.value });
        }
        return { ok: old.length > 0 };
      }
      case 'listen':
        return { ok: this.listeners.add(msg.target) };
      case 'unlisten':
        return { ok: this.listeners.remove(msg.target) };
    }
  }

  override handleInfo(msg: unknown): void {
    if (!isDown(msg)) return;
    const key = msg.pid.key;
    if (this.watched.get(key)?.equals(msg.ref)) {
      this.watched.delete(key);
      for (const [k, e] of this.table.removePid(msg.pid))
        this.listeners.notify({ unregistered: this.name, key: k, pid: e.pid, value: e.value });
    }
    this.listeners.down(msg);
  }

  override terminate(): void {
    this.table.clear();
  }

  private async register(key: K, pid: Pid, value: V): Promise<OwnerReply> {
    // A pid of another scheduler is asked about without blocking; this owner waits meanwhile.
    if ((await this.node.processInfo(pid)) === undefined) return { error: new NoProcessError(pid.toString()) };
    if (this.table.unique) {
      const holder = this.table.whereis(key);
      if (holder) return { error: new AlreadyRegisteredError(this.name, key, holder) };
    }
    const entry: RegistryEntry<V> = this.table.add(key, pid, value);
    if (!this.watched.has(pid.key)) this.watched.set(pid.key, this.monitor(pid));
    this.listeners.notify({ registered: this.name, key, pid, value: entry.value });
    return { ok: true };
  }

  private unwatchIfIdle(pid: Pid): void {
    if (this.table.holds(pid)) return;
    const ref = this.watched.get(pid.key);
    if (ref) {
      this.demonitor(ref);
      this.watched.delete(pid.key);
    }
  }
}
