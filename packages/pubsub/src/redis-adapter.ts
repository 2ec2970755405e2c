import { Redis } from 'ioredis';
import { InvalidArgumentError, checkKnownOptions, decode, encode, type Pid } from '@foundation/runtime';
import type { Adapter, AdapterFactory, AdapterHost } from './adapter.js';
import { PubSubUnavailableError } from './errors.js';
import { parseFrame, type BroadcastFrame } from './frame.js';

/** Options of `redisAdapter`. */
export interface RedisAdapterOptions {
  /** The server, `redis://host:port[/db]` (default `redis://127.0.0.1:6379`). */
  url?: string;
  /** Prefix of the channels (default `'foundation:pubsub'`): `<prefix>:<name>` and `<prefix>:<name>:node:<node>`. */
  channelPrefix?: string;
  /** Longest wait between two reconnection attempts (default 1000 ms; they start at 50 ms). */
  reconnectMaxMs?: number;
  /** How long the first connection may take before `PubSub.start` fails (default 5000 ms). */
  connectTimeoutMs?: number;
}

const KNOWN = ['url', 'channelPrefix', 'reconnectMaxMs', 'connectTimeoutMs'];

/**
 * The Redis adapter (Phoenix.PubSub.Redis's design): every node of a PubSub subscribes to one
 * channel of its name and one of its own node, and a broadcast publishes once; each node
 * delivers to its local subscribers (and ignores its own broadcasts: it delivered those at the
 * call). For services that share only a Redis, or to bridge two meshes.
 *
 * A Redis outage: broadcasts fail at once with PubSubUnavailableError (nothing is queued, and
 * nothing was delivered, not even locally — the caller may retry the broadcast whole); the
 * adapter reconnects by itself (50 ms, doubling, at most `reconnectMaxMs`) and resubscribes, so
 * subscriptions hold across it — only the broadcasts made during it are lost.
 */
class RedisAdapter implements Adapter {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly channel: string;
  private readonly nodeChannel: string;
  private down = false;
  private stopping = false;

  constructor(
    private readonly host: AdapterHost,
    private readonly opts: Required<RedisAdapterOptions>,
  ) {
    const { name, node } = host.core;
    this.channel = `${opts.channelPrefix}:${name}`;
    this.nodeChannel = `${opts.channelPrefix}:${name}:node:${node.name}`;
    const common = {
      lazyConnect: true,
      connectTimeout: opts.connectTimeoutMs,
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times - 1, 10), opts.reconnectMaxMs),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    };
    // Auto-pipelining: the publishes of one tick go out in one write (in order, one connection).
    this.pub = new Redis(opts.url, { ...common, enableAutoPipelining: true, connectionName: `${this.nodeChannel}:pub` });
    // The subscriber's SUBSCRIBE must wait out a reconnect: it is replayed, not refused.
    this.sub = new Redis(opts.url, {
      ...common,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      connectionName: `${this.nodeChannel}:sub`,
    });
    for (const conn of [this.pub, this.sub]) {
      conn.on('error', (e: Error) => this.trouble(e.message));
      conn.on('close', () => this.trouble('connection closed'));
      conn.on('ready', () => this.back());
    }
    this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.received(channel, message));
  }

  async start(): Promise<void> {
    try {
      await Promise.all([this.pub.connect(), this.sub.connect()]);
      await this.sub.subscribe(this.channel, this.nodeChannel);
    } catch (e) {
      this.pub.disconnect();
      this.sub.disconnect();
      throw new PubSubUnavailableError(this.host.core.name, `cannot reach Redis at ${this.opts.url}: ${(e as Error).message}`);
    }
  }

  // Every node hears every broadcast of the PubSub: no per-pattern state in Redis.
  async subscribed(): Promise<void> {}
  async unsubscribed(): Promise<void> {}

  async broadcast(frame: BroadcastFrame): Promise<void> {
    await this.publish(this.channel, frame);
  }

  async direct(nodeName: string, frame: BroadcastFrame): Promise<void> {
    await this.publish(`${this.opts.channelPrefix}:${this.host.core.name}:node:${nodeName}`, frame);
  }

  onInfo(): boolean {
    return false;
  }

  nodesFor(): string[] {
    return [];
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // Not QUIT: while Redis is away it would wait for the reconnect, and nothing is owed to it.
    this.sub.disconnect();
    this.pub.disconnect();
  }

  private async publish(channel: string, frame: BroadcastFrame): Promise<void> {
    const core = this.host.core;
    if (this.pub.status !== 'ready') throw new PubSubUnavailableError(core.name, `Redis connection is ${this.pub.status}`);
    const encoded = encode(frame);
    // A view, not a copy, of the encoded bytes.
    const bytes = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    try {
      await this.pub.publish(channel, bytes);
    } catch (e) {
      throw new PubSubUnavailableError(core.name, (e as Error).message);
    }
    core.stats.framesSent++;
  }

  /** The one entry of data from Redis: decoded and parsed here, or dropped. */
  private received(channel: Buffer, message: Buffer): void {
    const core = this.host.core;
    try {
      const ch = channel.toString();
      if (ch !== this.channel && ch !== this.nodeChannel) return;
      let value: unknown;
      try {
        value = decode(message);
      } catch {
        value = undefined;
      }
      const parsed = parseFrame(value, core.name);
      if (parsed === undefined) {
        core.stats.framesDropped++;
        core.log('warn', `pubsub '${core.name}': dropped a malformed message on ${ch}`);
        return;
      }
      const { frame, segments } = parsed;
      if (ch === this.channel && frame.origin === core.node.name) return;
      core.stats.framesReceived++;
      const send = (pid: Pid, msg: unknown): void => core.node.send(pid, msg);
      if (!core.deliver(send, frame.topic, segments, frame.message, frame.from, frame.dispatcher)) {
        core.stats.framesDropped++;
        core.log('warn', `pubsub '${core.name}': dropped a broadcast for unknown dispatcher '${String(frame.dispatcher)}'`);
      }
    } catch (e) {
      core.log('error', `pubsub '${core.name}': delivering a Redis message failed: ${String(e)}`);
    }
  }

  private trouble(why: string): void {
    if (this.down || this.stopping) return;
    this.down = true;
    this.host.core.log('warn', `pubsub '${this.host.core.name}': Redis unreachable (${why}); reconnecting`);
  }

  private back(): void {
    if (!this.down) return;
    this.down = false;
    this.host.core.log('info', `pubsub '${this.host.core.name}': Redis reachable again`);
  }
}

/** The Redis adapter (see the package README): pass it as `PubSub.start`'s `adapter`. */
export function redisAdapter(opts: RedisAdapterOptions = {}): AdapterFactory {
  checkKnownOptions('redisAdapter', opts, KNOWN);
  const o = opts as RedisAdapterOptions;
  const url = o.url ?? 'redis://127.0.0.1:6379';
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url))
    throw new InvalidArgumentError('redisAdapter option url', 'a redis:// or rediss:// URL', url);
  const channelPrefix = o.channelPrefix ?? 'foundation:pubsub';
  if (typeof channelPrefix !== 'string' || channelPrefix.length === 0)
    throw new InvalidArgumentError('redisAdapter option channelPrefix', 'a non-empty string', channelPrefix);
  const reconnectMaxMs = o.reconnectMaxMs ?? 1000;
  const connectTimeoutMs = o.connectTimeoutMs ?? 5000;
  for (const [k, v] of [
    ['reconnectMaxMs', reconnectMaxMs],
    ['connectTimeoutMs', connectTimeoutMs],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new InvalidArgumentError(`redisAdapter option ${k}`, 'a positive number of ms', v);
  }
  const full = { url, channelPrefix, reconnectMaxMs, connectTimeoutMs };
  return { kind: 'redis', create: (host) => new RedisAdapter(host, full) };
}
