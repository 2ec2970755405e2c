import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { openNats } from './connection.js';
import { Snapshotter, StoppedError, type Frame, type Transport, type TransportHost } from '@foundation/runtime';
import { DuplicateNodeNameError, NatsConnectError, NatsOptionsError } from './errors.js';
import { resolveNatsOptions, TOKEN, type NatsOptions, type ResolvedNatsOptions } from './options.js';
import { PeerOutbox, SNAPSHOT_MAX_BYTES } from './outbox.js';
import { Presence, type Peer, type PresenceActions } from './presence.js';
import { Kind, encodeMessage, parseMessage } from './wire.js';

/** Most bytes of frames in one NATS message (a single larger frame goes alone). */
const BATCH_BYTES = 256 * 1024;
/** Room left in a message for its header. */
const HEADER_ROOM = 4096;
/** A receiver acknowledges at least every this many bytes (or an eighth of its maxBufferedBytes), and every heartbeat. */
const ACK_BYTES = 1024 * 1024;

/**
 * A Transport over NATS: each node of a cluster subscribes to `<cluster>.node.<name>` and to
 * `<cluster>.presence`, where every node announces itself each `heartbeatMs`. Nodes find each
 * other there (no discovery to configure), frames go in batches — what one run of code queued,
 * one NATS message per peer — and nodeup/nodedown follow the presence protocol (presence.ts):
 * a peer silent for `missedHeartbeats` is down with 'noconnection', a goodbye means
 * 'shutdown', a message lost means a nodedown on both sides. When this node's connection to
 * NATS drops, every peer is down ('noconnection') until it is back. Each receiver acknowledges
 * the bytes it took in; a peer more than `maxBufferedBytes` behind is taken down
 * ('noconnection', on both sides) instead of being sent more: a slow peer never loses frames
 * from the middle of a session, and never makes its sender hold unbounded memory in NATS.
 *
 * ```ts
 * const a = await Node.start({ name: 'a', transport: nats({ servers: 'nats://127.0.0.1:4222', cluster: 'shop' }) });
 * ```
 */
export function nats(opts: NatsOptions): Transport {
  return new NatsTransport(resolveNatsOptions(opts));
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** The transport behind `nats()`. */
export class NatsTransport implements Transport, PresenceActions {
  private host: TransportHost | null = null;
  private nc: NatsConnection | null = null;
  private stopped = false;
  /** True while the connection to NATS is up. */
  connected = false;
  readonly presence: Presence;
  private readonly outboxes = new Map<string, PeerOutbox>();
  private readonly dirty = new Set<string>();
  private flushing = false;
  private readonly flushAll = () => this.flush();
  private readonly snaps = new Snapshotter(SNAPSHOT_MAX_BYTES);
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly badLogged = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private lastTick = 0;
  private batchBytes = BATCH_BYTES;
  private maxFrameBytes = 0;
  private name = '';
  private inc = 0;
  /** Messages received and published (for tests and benchmarks). */
  readonly counts = { received: 0, published: 0, dropped: 0 };

  constructor(readonly opts: ResolvedNatsOptions) {
    this.presence = new Presence(this, opts.heartbeatMs, opts.missedHeartbeats);
  }

  private subject(node: string): string {
    return `${this.opts.cluster}.node.${node}`;
  }

  private get presenceSubject(): string {
    return `${this.opts.cluster}.presence`;
  }

  log(level: 'debug' | 'info' | 'warn', msg: string): void {
    try {
      this.opts.logger(level, this.name ? `${this.name}: ${msg}` : msg);
    } catch {
      // A logger that throws must not turn a log line into a crash.
    }
  }

  // ---- Transport ----

  async start(host: TransportHost): Promise<string> {
    if (this.host) throw new NatsOptionsError('transport', 'used by one node only (start was called twice)', host.name);
    if (!TOKEN.test(host.name))
      throw new NatsOptionsError('node name', "letters, digits, '_' or '-' (it is a NATS subject token)", host.name);
    this.host = host;
    this.name = host.name;
    this.inc = host.incarnation;
    const o = this.opts;
    const nc = await openNats(o, `foundation:${o.cluster}:${host.name}`);
    this.nc = nc;
    this.connected = true;
    const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
    this.maxFrameBytes = o.maxFrameBytes ?? maxPayload - HEADER_ROOM;
    if (this.maxFrameBytes > maxPayload - HEADER_ROOM) {
      await nc.close();
      throw new NatsOptionsError(
        'maxFrameBytes',
        `at most the server's max_payload less ${HEADER_ROOM} (${maxPayload - HEADER_ROOM})`,
        this.maxFrameBytes,
      );
    }
    this.batchBytes = Math.min(BATCH_BYTES, maxPayload - HEADER_ROOM);
    await this.refuseDuplicate(nc, host.name);
    const onMsg = (err: Error | null, msg: Msg) => {
      if (err) return this.log('warn', `subscription error: ${err.message}`);
      try {
        this.onMessage(msg.data, msg);
      } catch (e) {
        this.log('warn', `handling a message threw: ${(e as Error)?.stack ?? String(e)}`);
      }
    };
    nc.subscribe(this.subject(host.name), { callback: onMsg });
    nc.subscribe(this.presenceSubject, { callback: onMsg });
    void this.watchStatus(nc);
    await nc.flush();
    this.announce();
    this.lastTick = performance.now();
    this.timer = setInterval(() => this.tick(), o.heartbeatMs);
    this.timer.unref();
    return `foundation+nats://${o.cluster}/${host.name}`;
  }

  send(node: string, frame: Frame): boolean {
    const p = this.presence.peers.get(node);
    if (!p?.up || !this.connected) return false;
    let box = this.outboxes.get(node);
    if (!box) {
      box = new PeerOutbox(this.snaps, this.batchBytes, this.maxFrameBytes, (m) => this.log('warn', m));
      this.outboxes.set(node, box);
    }
    box.push(frame, node);
    this.dirty.add(node);
    if (!this.flushing) {
      this.flushing = true;
      // Sent after this synchronous run of code, and between process turns once the node is told.
      queueMicrotask(this.flushAll);
      this.host?.queued?.();
    }
    return true;
  }

  /** Publishes every peer's queued frames now, one NATS message per batch, numbered in the peer's session. */
  flush(): void {
    this.flushing = false;
    for (const node of this.dirty) {
      const box = this.outboxes.get(node);
      const p = this.presence.peers.get(node);
      if (!box || box.empty) continue;
      const batches = box.take();
      if (!p?.up) continue;
      for (const b of batches) {
        if (!this.publishData(p, b.items)) break;
      }
    }
    this.dirty.clear();
  }

  connect(url: string): Promise<void> {
    const m = /^foundation\+nats:\/\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)$/.exec(url);
    if (!m) return Promise.reject(new NatsConnectError(url, "not a 'foundation+nats://<cluster>/<node>' url"));
    if (m[1] !== this.opts.cluster)
      return Promise.reject(new NatsConnectError(url, `another cluster than this node's ('${this.opts.cluster}')`));
    if (this.stopped || !this.host) return Promise.reject(new StoppedError('nats transport'));
    const node = m[2]!;
    if (node === this.name || this.presence.peers.get(node)?.up) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.dropWaiter(node, w);
          reject(new NatsConnectError(url, `no such node seen on NATS within ${this.opts.connectTimeoutMs} ms`));
        }, this.opts.connectTimeoutMs),
      };
      let list = this.waiters.get(node);
      if (!list) this.waiters.set(node, (list = []));
      list.push(w);
    });
  }

  disconnect(node: string): void {
    this.presence.disconnect(node, performance.now());
  }

  nodes(): string[] {
    return this.presence.upNames();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.flush();
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const nc = this.nc;
    for (const p of this.presence.peers.values())
      if (p.up) this.publish(this.subject(p.name), encodeMessage(Kind.Bye, this.name, this.inc, p.inc, 0, 0));
    this.presence.downAll('shutdown');
    for (const [, list] of this.waiters)
      for (const w of list) {
        clearTimeout(w.timer);
        w.reject(new StoppedError('nats transport'));
      }
    this.waiters.clear();
    if (!nc) return;
    try {
      // The goodbyes must leave before the connection closes; a server gone does not hold stop up.
      if (this.connected) await withTimeout(nc.flush(), 2000);
    } catch {
      // Flushing failed: the peers will see this node fall silent instead.
    }
    await nc.close();
  }

  /**
   * Before subscribing: asks whoever listens on this node's subject. A live node of the same
   * name answers with its incarnation and this start fails (DuplicateNodeNameError); no
   * responder (or none within a heartbeat: a dead connection the server has not dropped yet)
   * means the name is free.
   */
  private async refuseDuplicate(nc: NatsConnection, name: string): Promise<void> {
    let answer: Msg;
    try {
      answer = await nc.request(this.subject(name), encodeMessage(Kind.Heartbeat, name, this.inc, 0, 0, 0), {
        timeout: this.opts.heartbeatMs,
      });
    } catch {
      return;
    }
    const m = parseMessage(answer.data);
    if (typeof m === 'string' || m.from !== name || m.fromInc === this.inc) return;
    await nc.close();
    throw new DuplicateNodeNameError(name, this.opts.cluster, m.fromInc);
  }

  // ---- presence actions ----

  nodeUp(p: Peer): void {
    // The session's first message tells the peer at once (it need not wait for a heartbeat).
    this.publishData(p, []);
    this.host?.nodeUp(p.name);
    const list = this.waiters.get(p.name);
    if (list) {
      this.waiters.delete(p.name);
      for (const w of list) {
        clearTimeout(w.timer);
        w.resolve();
      }
    }
  }

  nodeDown(p: Peer, reason: unknown): void {
    this.outboxes.delete(p.name);
    this.host?.nodeDown(p.name, reason);
  }

  sendReset(p: Peer, session: number): void {
    this.publish(this.subject(p.name), encodeMessage(Kind.Reset, this.name, this.inc, p.inc, session, 0));
  }

  // ---- internals ----

  private publishData(p: Peer, items: unknown[]): boolean {
    const bytes = encodeMessage(Kind.Data, this.name, this.inc, p.inc, p.sendSession, p.sendSeq + 1, items);
    const behind = p.sentBytes - p.ackedBytes;
    const max = this.opts.maxBufferedBytes;
    if (behind > 0 && behind + bytes.length > max) {
      this.log('warn', `${p.name} is ${behind} bytes behind (maxBufferedBytes ${max}): taking it down rather than sending more`);
      this.presence.slow(p, performance.now());
      return false;
    }
    p.sendSeq++;
    p.sentBytes += bytes.length;
    return this.publish(this.subject(p.name), bytes, p);
  }

  /** Tells `p` how much of its session this node took in (its sender's bound counts from it). */
  private sendAck(p: Peer): void {
    if (p.recvSession === null) return;
    p.recvAcked = p.recvBytes;
    this.publish(this.subject(p.name), encodeMessage(Kind.Ack, this.name, this.inc, p.inc, p.recvSession, p.recvBytes));
  }

  /** Publishes; false (and `peer` down: its session now has a hole) when NATS refused. */
  private publish(subject: string, bytes: Uint8Array, peer?: Peer): boolean {
    if (!this.nc || !this.connected) return false;
    try {
      this.nc.publish(subject, bytes);
      this.counts.published++;
      return true;
    } catch (e) {
      this.log('warn', `publishing to ${subject} failed: ${(e as Error)?.message}`);
      if (peer?.up) this.presence.disconnect(peer.name, performance.now());
      return false;
    }
  }

  private announce(): void {
    this.publish(this.presenceSubject, encodeMessage(Kind.Heartbeat, this.name, this.inc, 0, 0, 0));
  }

  private tick(): void {
    try {
      const now = performance.now();
      const late = now - this.lastTick > 1.5 * this.opts.heartbeatMs;
      this.lastTick = now;
      if (this.connected) {
        this.announce();
        for (const p of this.presence.peers.values()) if (p.up && p.recvBytes > p.recvAcked) this.sendAck(p);
      }
      this.presence.tick(now, late || !this.connected);
    } catch (e) {
      this.log('warn', `the heartbeat threw: ${(e as Error)?.stack ?? String(e)}`);
    }
  }

  private onMessage(data: Uint8Array, msg?: Msg): void {
    if (this.stopped || !this.host) return;
    this.counts.received++;
    const m = parseMessage(data);
    if (typeof m === 'string') {
      this.counts.dropped++;
      return this.logBad('?', m);
    }
    if (m.from === this.name) {
      if (m.fromInc === this.inc) return;
      // A newcomer of this name asking before it starts: this node's answer makes its start fail.
      if (msg?.reply) msg.respond(encodeMessage(Kind.Heartbeat, this.name, this.inc, 0, 0, 0));
      else this.logBad(m.from, `another node named '${m.from}' (incarnation ${m.fromInc}) is on this cluster: duplicate node name`);
      return;
    }
    if (m.kind !== Kind.Heartbeat && m.toInc !== this.inc) return; // meant for an earlier incarnation of this node
    const now = performance.now();
    switch (m.kind) {
      case Kind.Heartbeat:
        return this.presence.heartbeat(m, now);
      case Kind.Reset:
        return this.presence.resetFrom(m, now);
      case Kind.Bye:
        return this.presence.bye(m, now);
      case Kind.Ack:
        return this.presence.ack(m, now);
      case Kind.Data:
        break;
    }
    if (!this.presence.data(m, now)) return;
    const peer = this.presence.peers.get(m.from)!;
    peer.recvBytes += data.length;
    if (m.bad !== null) this.logBad(m.from, m.bad);
    const host = this.host;
    for (const f of m.frames) {
      try {
        host.receive(m.from, f);
      } catch (e) {
        this.log('warn', `a frame from ${m.from} threw here and was dropped: ${(e as Error)?.message}`);
      }
    }
    if (m.frames.length > 0) host.batchDone();
    // Acknowledged after the frames were handed over: a node too busy to take them in lags behind.
    if (peer.up && peer.recvBytes - peer.recvAcked >= Math.min(ACK_BYTES, this.opts.maxBufferedBytes / 8)) this.sendAck(peer);
  }

  /** Logs a bad message once per sender. */
  private logBad(from: string, why: string): void {
    if (this.badLogged.has(from)) return;
    this.badLogged.add(from);
    this.log('warn', `dropped a message from ${from}: ${why} (logged once per sender)`);
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    try {
      for await (const s of nc.status()) {
        if (this.stopped) return;
        if (s.type === 'disconnect') {
          this.connected = false;
          this.log('warn', `lost the connection to NATS (${s.server}): every peer is down until it is back`);
          this.presence.downAll('noconnection');
        } else if (s.type === 'reconnect') {
          this.connected = true;
          this.log('info', `connected to NATS again (${s.server})`);
          this.lastTick = performance.now();
          this.announce();
        } else if (s.type === 'slowConsumer') {
          this.log('warn', `NATS reports this node as a slow consumer (${s.pending} pending): every peer is down`);
          this.presence.downAll('noconnection');
        }
      }
    } catch (e) {
      this.log('warn', `watching the NATS connection's status threw: ${(e as Error)?.message}`);
    }
  }

  private dropWaiter(node: string, w: Waiter): void {
    const list = this.waiters.get(node);
    if (!list) return;
    const i = list.indexOf(w);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.waiters.delete(node);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<undefined>((r) => (t = setTimeout(() => r(undefined), ms)))]).finally(() => clearTimeout(t));
}
