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
import type { Adapter, AdapterFactory } from './adapter.js';
import { clusterAdapter } from './cluster-adapter.js';
import type { Dispatcher, Subscriber } from './dispatcher.js';
import { UnknownDispatcherError } from './errors.js';
import type { BroadcastFrame } from './frame.js';
import { PubSubCore, type PubSubLogger, type PubSubStats } from './internal/core.js';
import { PubSubServer, serverName, type ServerCall, type ServerReply } from './internal/server.js';
import { uniqueSubscribers } from './internal/table.js';
import { canonicalPattern, parseTopic } from './topic.js';

/** Options of `PubSub.start`. */
export interface PubSubOptions {
  /** The PubSub's name: nodes exchange broadcasts between PubSubs of the same name. */
  name: string;
  /** How nodes are reached: `clusterAdapter()` (the default: the mesh) or `redisAdapter(...)`. */
  adapter?: AdapterFactory;
  /** Custom deliveries by name, chosen per broadcast (`{ dispatcher: 'fastlane' }`); every node needs the same. */
  dispatchers?: Record<string, Dispatcher>;
  /** Where dropped frames and adapter trouble are reported (default: `console.warn`). */
  logger?: PubSubLogger;
}

/** Options of `subscribe`. */
export interface SubscribeOptions {
  /** Kept with the subscription and given to dispatchers (Phoenix's fastlane reads it). */
  metadata?: unknown;
}

/** Options of the broadcasts. */
export interface BroadcastOptions {
  /** The name of a dispatcher from `PubSubOptions.dispatchers` (default: deliver the bare message). */
  dispatcher?: string;
}

const START_OPTIONS = ['name', 'adapter', 'dispatchers', 'logger'];
const SUBSCRIBE_OPTIONS = ['metadata'];
const BROADCAST_OPTIONS = ['dispatcher'];

const defaultLogger: PubSubLogger = (level, msg) => console.warn(`[${level}] ${msg}`);

const running = new WeakMap<Node, Map<string, PubSub>>();

function nodeOf(ctx: ProcessContext, where: string): Node {
  if (ctx === null || typeof ctx !== 'object' || !('spawnAndWait' in ctx)) {
    throw new InvalidArgumentError(`${where} ctx`, 'a Node or a process (an actor, an inbox)', ctx);
  }
  return 'whereis' in ctx ? ctx : ctx.node;
}

/**
 * Topics across the cluster (Phoenix.PubSub): processes subscribe to topics or AMQP patterns
 * (`orders.*.created`, `user.42.#`), and a broadcast reaches every subscriber on every node whose
 * pattern matches, once, as a plain message in its `handleInfo` — the bare message, as Phoenix
 * delivers it (a dispatcher such as `withTopic` can add the topic). Subscriptions end when the
 * subscriber exits. Bad input (a non-string, empty or wildcard topic, a broken pattern, a
 * message that cannot cross to another node) throws at the call, before anything is sent.
 *
 * ```ts
 * const ps = await PubSub.start(node, { name: 'app' });
 * await ps.subscribe(inbox.self, 'rooms.*');
 * await ps.broadcast('rooms.lobby', { text: 'hi' });
 * ```
 */
export class PubSub {
  private constructor(
    /** @internal */ readonly core: PubSubCore,
    /** This node's PubSub server (registered as `pubsub:<name>`). */
    readonly pid: Pid,
    private readonly adapter: Adapter,
    private readonly ctx: ProcessContext,
    private readonly sendFn: (to: Pid | { name: string; node: string }, msg: unknown) => void,
  ) {}

  /**
   * Starts this node's PubSub `opts.name` from `ctx` (the node, or a process: then it is the
   * server's parent) and connects its adapter.
   */
  static async start(ctx: ProcessContext, opts: PubSubOptions): Promise<PubSub> {
    const node = nodeOf(ctx, 'PubSub.start');
    checkKnownOptions('PubSub.start', opts, START_OPTIONS);
    if (opts === undefined) throw new InvalidArgumentError('PubSub.start options', 'an object with a name', opts);
    const { name, adapter = clusterAdapter(), dispatchers = {}, logger = defaultLogger } = opts;
    if (typeof name !== 'string' || name.length === 0)
      throw new InvalidArgumentError('PubSub.start option name', 'a non-empty string', name);
    if (typeof adapter !== 'object' || adapter === null || typeof adapter.create !== 'function') {
      throw new InvalidArgumentError('PubSub.start option adapter', 'clusterAdapter() or redisAdapter(...)', adapter);
    }
    if (typeof dispatchers !== 'object' || dispatchers === null)
      throw new InvalidArgumentError('PubSub.start option dispatchers', 'an object of functions', dispatchers);
    for (const [k, d] of Object.entries(dispatchers)) {
      if (typeof d !== 'function') throw new InvalidArgumentError(`PubSub.start option dispatchers.${k}`, 'a function', d);
    }
    if (typeof logger !== 'function') throw new InvalidArgumentError('PubSub.start option logger', 'a function', logger);
    const core = new PubSubCore(name, node, new Map(Object.entries(dispatchers)), logger);
    const slot: { adapter: Adapter | undefined } = { adapter: undefined };
    const pid = await ctx.spawnAndWait(PubSubServer, { core, slot }, { name: serverName(name) });
    const a = adapter.create({ core, server: pid, ctx });
    slot.adapter = a;
    try {
      await a.start();
    } catch (e) {
      await stopProcess(ctx, pid);
      throw e;
    }
    const send = (to: Pid | { name: string; node: string }, msg: unknown): void => ctx.send(to, msg);
    const ps = new PubSub(core, pid, a, ctx, send);
    let byName = running.get(node);
    if (byName === undefined) running.set(node, (byName = new Map<string, PubSub>()));
    byName.set(name, ps);
    return ps;
  }

  /** The running PubSub `name` on `ctx`'s node, calling from `ctx`; UnknownNameError (naming its server, `pubsub:<name>`) when none runs. */
  static of(ctx: ProcessContext, name: string): PubSub {
    const node = nodeOf(ctx, 'PubSub.of');
    const ps = running.get(node)?.get(name);
    if (ps === undefined || !ps.alive) throw new UnknownNameError(serverName(name));
    if (ps.ctx === ctx) return ps;
    const send = (to: Pid | { name: string; node: string }, msg: unknown): void => ctx.send(to, msg);
    return new PubSub(ps.core, ps.pid, ps.adapter, ctx, send);
  }

  /** The PubSub's name. */
  get name(): string {
    return this.core.name;
  }

  /** The node it runs on. */
  get node(): Node {
    return this.core.node;
  }

  /** True while its server runs. */
  get alive(): boolean {
    return this.core.node.whereis(serverName(this.core.name))?.equals(this.pid) === true;
  }

  /**
   * Subscribes the local process `pid` to `topic` — a literal topic or an AMQP pattern — until it
   * unsubscribes or exits. Subscribing again to the same topic keeps one subscription (its
   * metadata replaced): a message reaches a subscriber once, however many of its patterns match.
   * Resolves once the subscription holds here and the other nodes are being told.
   */
  async subscribe(pid: Pid, topic: string, opts?: SubscribeOptions): Promise<void> {
    this.checkSubscriber(pid, 'subscribe(pid, topic)');
    const pattern = canonicalPattern(topic, 'subscribe(pid, topic): topic');
    const given: unknown = opts;
    checkKnownOptions('subscribe', given, SUBSCRIBE_OPTIONS);
    await this.write({ op: 'subscribe', pid, pattern, metadata: opts?.metadata });
  }

  /** Ends `pid`'s subscription to `topic` (the same text it subscribed with); false when it had none. */
  async unsubscribe(pid: Pid, topic: string): Promise<boolean> {
    this.checkSubscriber(pid, 'unsubscribe(pid, topic)');
    const pattern = canonicalPattern(topic, 'unsubscribe(pid, topic): topic');
    return (await this.write({ op: 'unsubscribe', pid, pattern })) as boolean;
  }

  /** Sends `msg` to every subscriber of `topic` on every node (one frame per node with subscribers). */
  broadcast(topic: string, msg: unknown, opts?: BroadcastOptions): Promise<void> {
    return this.publish(null, topic, msg, opts, 'broadcast');
  }

  /** Like `broadcast`, but not to `from` (Phoenix's `broadcast_from`: a publisher that is also a subscriber). */
  broadcastFrom(from: Pid, topic: string, msg: unknown, opts?: BroadcastOptions): Promise<void> {
    if (!isPid(from)) throw new InvalidArgumentError('broadcastFrom(from, topic, msg): from', 'a Pid', from);
    return this.publish(from, topic, msg, opts, 'broadcastFrom');
  }

  /** Sends `msg` to the subscribers of `topic` on this node only (the message never crosses: any value goes). */
  localBroadcast(topic: string, msg: unknown, opts?: BroadcastOptions): void {
    this.localPublish(null, topic, msg, opts, 'localBroadcast');
  }

  /** Like `localBroadcast`, but not to `from`. */
  localBroadcastFrom(from: Pid, topic: string, msg: unknown, opts?: BroadcastOptions): void {
    if (!isPid(from)) throw new InvalidArgumentError('localBroadcastFrom(from, topic, msg): from', 'a Pid', from);
    this.localPublish(from, topic, msg, opts, 'localBroadcastFrom');
  }

  /** Sends `msg` to the subscribers of `topic` on the node `nodeName` only (this node included). */
  async directBroadcast(nodeName: string, topic: string, msg: unknown, opts?: BroadcastOptions): Promise<void> {
    if (typeof nodeName !== 'string' || nodeName.length === 0) {
      throw new InvalidArgumentError('directBroadcast(nodeName, topic, msg): nodeName', 'a node name', nodeName);
    }
    const segments = parseTopic(topic, 'directBroadcast(nodeName, topic, msg): topic');
    const dispatcher = this.dispatcherOf(opts);
    checkEncodable(msg, 'directBroadcast(nodeName, topic, msg): msg');
    this.checkAlive();
    this.core.stats.broadcasts++;
    if (nodeName === this.core.node.name) {
      this.core.deliver(this.sendFn, topic, segments, msg, null, dispatcher);
      return;
    }
    await this.adapter.direct(nodeName, this.frame(topic, msg, null, dispatcher), this.sendFn);
  }

  /** The local subscribers a broadcast to `topic` reaches here, each once, with their metadata. */
  subscribers(topic: string): Subscriber[] {
    return uniqueSubscribers(this.core.table.match(parseTopic(topic, 'subscribers(topic): topic')));
  }

  /** The topics and patterns `pid` is subscribed to here. */
  subscriptions(pid: Pid): string[] {
    return this.core.table.patternsOf(pid);
  }

  /** The other nodes a broadcast to `topic` sends a frame to now (the Redis adapter publishes once instead: `[]`). */
  nodesFor(topic: string): string[] {
    return this.adapter.nodesFor(parseTopic(topic, 'nodesFor(topic): topic'));
  }

  /** This node's counters (a copy). */
  stats(): PubSubStats {
    return { ...this.core.stats };
  }

  /** Stops this node's PubSub: its subscriptions end, and the other nodes stop sending here. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    try {
      await this.adapter.stop();
    } finally {
      await stopProcess(this.ctx, this.pid);
      const byName = running.get(this.core.node);
      if (byName?.get(this.core.name)?.pid.equals(this.pid)) byName.delete(this.core.name);
    }
  }

  private async publish(from: Pid | null, topic: string, msg: unknown, opts: BroadcastOptions | undefined, where: string): Promise<void> {
    const segments = parseTopic(topic, `${where}(topic, msg): topic`);
    const dispatcher = this.dispatcherOf(opts);
    checkEncodable(msg, `${where}(topic, msg): msg`);
    this.checkAlive();
    this.core.stats.broadcasts++;
    const frame = this.frame(topic, msg, from, dispatcher);
    const sent = this.adapter.broadcast(frame, segments, this.sendFn);
    // An adapter that must wait (Redis) delivers locally only once the others have it: a refused
    // broadcast reaches nobody.
    if (sent !== undefined) await sent;
    this.core.deliver(this.sendFn, topic, segments, msg, from, dispatcher);
  }

  private localPublish(from: Pid | null, topic: string, msg: unknown, opts: BroadcastOptions | undefined, where: string): void {
    const segments = parseTopic(topic, `${where}(topic, msg): topic`);
    const dispatcher = this.dispatcherOf(opts);
    this.checkAlive();
    this.core.deliver(this.sendFn, topic, segments, msg, from, dispatcher);
  }

  private frame(topic: string, message: unknown, from: Pid | null, dispatcher: string | null): BroadcastFrame {
    return { pubsub: this.core.name, topic, message, from, dispatcher, origin: this.core.node.name };
  }

  private dispatcherOf(opts: BroadcastOptions | undefined): string | null {
    const given: unknown = opts;
    checkKnownOptions('broadcast', given, BROADCAST_OPTIONS);
    const d = opts?.dispatcher;
    if (d === undefined) return null;
    if (!this.core.dispatchers.has(d)) throw new UnknownDispatcherError(String(d), [...this.core.dispatchers.keys()]);
    return d;
  }

  private checkSubscriber(pid: Pid, where: string): void {
    if (!isPid(pid)) throw new InvalidArgumentError(`${where}: pid`, 'a Pid', pid);
    if (pid.node !== this.core.node.name)
      throw new InvalidArgumentError(`${where}: pid`, `a process of this node (${this.core.node.name})`, pid);
  }

  private checkAlive(): void {
    if (!this.alive) throw new StoppedError(`pubsub '${this.core.name}'`);
  }

  private async write(msg: ServerCall): Promise<unknown> {
    this.checkAlive();
    const reply = await this.ctx.call<ServerReply>(this.pid, msg);
    if ('error' in reply) throw reply.error;
    return reply.ok;
  }
}
