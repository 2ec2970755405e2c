import {
  InvalidArgumentError,
  StoppedError,
  UnknownNameError,
  checkEncodable,
  checkKnownOptions,
  isPid,
  stopProcess,
  type Node,
  type Pid,
  type ProcessContext,
} from '@foundation/runtime';
import type { PresenceEntry } from './presence-diff.js';
import { PubSub } from './pubsub.js';
import { PresenceTable, PresenceTracker, trackerName, type TrackerCall, type TrackerReply } from './internal/tracker.js';
import { parseTopic } from './topic.js';

/** Options of `Presence.start`. */
export interface PresenceOptions {
  /** The Presence's name: trackers of the same name on connected nodes share their entries. */
  name: string;
  /** The PubSub (running on the same node) whose subscribers of a topic get its PresenceDiffs. */
  pubsub: PubSub;
  /** How often local changes are shipped to the other nodes (default 50 ms). */
  syncIntervalMs?: number;
  /** How often replicas compare their contexts to repair anything lost (default 1000 ms). */
  antiEntropyIntervalMs?: number;
}

const KNOWN = ['name', 'pubsub', 'syncIntervalMs', 'antiEntropyIntervalMs'];
const running = new WeakMap<Node, Map<string, Presence>>();

function positiveMs(v: unknown, field: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    throw new InvalidArgumentError(`Presence.start option ${field}`, 'a positive number of ms', v);
  return v;
}

/**
 * Who is where, cluster-wide (Phoenix.Tracker and Phoenix.Presence): `track(pid, topic, key,
 * meta)` records that a local process is present under `key` in `topic`; every node's view
 * (`list(topic)`) holds the presences of the live processes of the nodes it is connected to.
 * An entry leaves when its process exits, is untracked, or its node is lost; after a partition
 * heals, the views converge again (a delta-CRDT, `@foundation/crdt`). Each change reaches the
 * topic's subscribers (through `pubsub`, on every node) as a PresenceDiff message.
 *
 * ```ts
 * const presence = await Presence.start(node, { name: 'rooms', pubsub: ps });
 * await ps.subscribe(inbox.self, 'room.lobby');          // gets { presenceDiff, topic, joins, leaves }
 * await presence.track(member, 'room.lobby', 'alice', { device: 'phone' });
 * presence.list('room.lobby');                            // Map { 'alice' => [{ key, pid, meta }] }
 * ```
 */
export class Presence {
  private constructor(
    /** The Presence's name. */
    readonly name: string,
    /** This node's tracker (registered as `presence:<name>`). */
    readonly pid: Pid,
    /** The node it runs on. */
    readonly node: Node,
    private readonly table: PresenceTable,
    private readonly ctx: ProcessContext,
  ) {}

  /** Starts this node's tracker from `ctx` (the node, or a process: then it is the tracker's parent). */
  static async start(ctx: ProcessContext, opts: PresenceOptions): Promise<Presence> {
    checkKnownOptions('Presence.start', opts, KNOWN);
    if (opts === undefined) throw new InvalidArgumentError('Presence.start options', 'an object with name and pubsub', opts);
    const { name, pubsub } = opts;
    if (typeof name !== 'string' || name.length === 0)
      throw new InvalidArgumentError('Presence.start option name', 'a non-empty string', name);
    if (!(pubsub instanceof PubSub)) throw new InvalidArgumentError('Presence.start option pubsub', 'a running PubSub', pubsub);
    const syncIntervalMs = positiveMs(opts.syncIntervalMs, 'syncIntervalMs', 50);
    const antiEntropyIntervalMs = positiveMs(opts.antiEntropyIntervalMs, 'antiEntropyIntervalMs', 1000);
    const node = pubsub.node;
    const table = new PresenceTable();
    const pid = await ctx.spawnAndWait(
      PresenceTracker,
      { name, pubsub, table, syncIntervalMs, antiEntropyIntervalMs },
      { name: trackerName(name) },
    );
    const p = new Presence(name, pid, node, table, ctx);
    let byName = running.get(node);
    if (byName === undefined) running.set(node, (byName = new Map<string, Presence>()));
    byName.set(name, p);
    return p;
  }

  /** The running Presence `name` on `ctx`'s node, calling from `ctx`; UnknownNameError (naming its tracker) when none runs. */
  static of(ctx: ProcessContext, name: string): Presence {
    const node = 'whereis' in ctx ? ctx : ctx.node;
    const p = running.get(node)?.get(name);
    if (p === undefined || !p.alive) throw new UnknownNameError(trackerName(name));
    return p.ctx === ctx ? p : new Presence(p.name, p.pid, p.node, p.table, ctx);
  }

  /** True while the tracker runs. */
  get alive(): boolean {
    return this.node.whereis(trackerName(this.name))?.equals(this.pid) === true;
  }

  /**
   * Tracks the local process `pid` under `key` in `topic` with `meta` until it is untracked or
   * exits. AlreadyTrackedError when it is tracked there already (use `update`), NoProcessError
   * when it is dead, InvalidTopicError / InvalidArgumentError / UnencodableError for bad input.
   */
  async track(pid: Pid, topic: string, key: string, meta: unknown = {}): Promise<void> {
    this.check(pid, topic, key, 'track(pid, topic, key, meta)');
    checkEncodable(meta, 'track(pid, topic, key, meta): meta');
    await this.write({ op: 'track', pid, topic, key, meta });
  }

  /** Replaces the meta of a tracked presence (subscribers see a leave of the old and a join of the new); false when not tracked. */
  async update(pid: Pid, topic: string, key: string, meta: unknown): Promise<boolean> {
    this.check(pid, topic, key, 'update(pid, topic, key, meta)');
    checkEncodable(meta, 'update(pid, topic, key, meta): meta');
    return (await this.write({ op: 'update', pid, topic, key, meta })) as boolean;
  }

  /** Stops tracking `pid` under `key` in `topic`; false when it was not. */
  async untrack(pid: Pid, topic: string, key: string): Promise<boolean> {
    this.check(pid, topic, key, 'untrack(pid, topic, key)');
    return (await this.write({ op: 'untrack', pid, topic, key })) as boolean;
  }

  /** Stops tracking `pid` everywhere; false when it was not tracked. */
  async untrackAll(pid: Pid): Promise<boolean> {
    if (!isPid(pid)) throw new InvalidArgumentError('untrackAll(pid): pid', 'a Pid', pid);
    return (await this.write({ op: 'untrackAll', pid })) as boolean;
  }

  /** The presences of `topic` this node sees, by key (Phoenix's `list`): each key's entries, one per process. */
  list(topic: string): Map<string, PresenceEntry[]> {
    parseTopic(topic, 'list(topic): topic');
    const out = new Map<string, PresenceEntry[]>();
    for (const e of this.table.list(topic)) {
      const l = out.get(e.key);
      if (l === undefined) out.set(e.key, [e]);
      else l.push(e);
    }
    return out;
  }

  /** The entries of `key` in `topic` (Phoenix's `get_by_key`). */
  get(topic: string, key: string): PresenceEntry[] {
    parseTopic(topic, 'get(topic, key): topic');
    return this.table.list(topic).filter((e) => e.key === key);
  }

  /** Stops this node's tracker: its entries leave every other node's view. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    await stopProcess(this.ctx, this.pid);
    const byName = running.get(this.node);
    if (byName?.get(this.name)?.pid.equals(this.pid)) byName.delete(this.name);
  }

  private check(pid: Pid, topic: string, key: string, where: string): void {
    if (!isPid(pid)) throw new InvalidArgumentError(`${where}: pid`, 'a Pid', pid);
    if (pid.node !== this.node.name) throw new InvalidArgumentError(`${where}: pid`, `a process of this node (${this.node.name})`, pid);
    parseTopic(topic, `${where}: topic`);
    if (typeof key !== 'string' || key.length === 0) throw new InvalidArgumentError(`${where}: key`, 'a non-empty string', key);
  }

  private async write(msg: TrackerCall): Promise<unknown> {
    if (!this.alive) throw new StoppedError(`presence '${this.name}'`);
    const reply = await this.ctx.call<TrackerReply>(this.pid, msg);
    if ('error' in reply) throw reply.error;
    return reply.ok;
  }
}
