import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { encode, StoppedError, type Frame, type Transport, type TransportHost } from '@foundation/runtime';
import type { Strategy, StrategyContext } from '../discovery/strategy.js';
import { Connection, type ConnectionOwner, type Verdict } from './connection.js';
import { MeshConnectError, MeshOptionsError } from './errors.js';
import type { LocalIdentity } from './handshake.js';
import { resolveMeshOptions, type MeshOptions, type ResolvedMeshOptions } from './options.js';
import { BATCH_TARGET_BYTES, CloseCode, REC_FRAME, REC_HEADER, type Challenge, type Control, type Hello, type PeerInfo } from './protocol.js';
import { Redialer } from './redial.js';
import { Snapshotter } from './snapshot.js';
import { normalizeUrl } from './url.js';

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
}

const OK: Verdict = { ok: true };
const refuse = (code: CloseCode, reason: string): Verdict => ({ ok: false, code, reason });

/**
 * The WebSocket mesh: a Transport that listens with `ws`, dials what discovery finds (and
 * what peers know: full mesh), authenticates every connection with the cookie, and carries
 * frames batched per event-loop turn, one connection per pair of nodes.
 *
 * ```ts
 * const a = await Node.start({ name: 'a', transport: mesh({ cookie: 's3cret' }) });
 * const b = await Node.start({ name: 'b', transport: mesh({ cookie: 's3cret', discovery: [staticPeers([a.url])] }) });
 * ```
 */
export function mesh(opts: MeshOptions): Transport {
  return new MeshTransport(resolveMeshOptions(opts));
}

/** The mesh behind `mesh()`: see there. */
export class MeshTransport implements Transport, ConnectionOwner {
  self: LocalIdentity = { name: '', inc: 0, url: '' };
  private host: TransportHost | null = null;
  private server: Server | null = null;
  private wss: WebSocketServer | null = null;
  private stopped = false;
  /** Connected peers by name: at most one connection each. */
  private readonly up = new Map<string, Connection>();
  /** Outbound handshakes by peer name (known from its challenge). */
  private readonly dialing = new Map<string, Connection>();
  /** Outbound handshakes by the URL dialled. */
  private readonly dialsByUrl = new Map<string, Connection>();
  /** Every connection not yet closed, and every socket not yet gone. */
  private readonly conns = new Set<Connection>();
  private readonly sockets = new Set<WebSocket>();
  /** URLs known to lead to a node name (advertised ones and aliases). */
  private readonly aliases = new Map<string, string>();
  private readonly selfUrls = new Set<string>();
  private readonly urlWaiters = new Map<string, Waiter[]>();
  private readonly nameWaiters = new Map<string, Waiter[]>();
  private readonly dirty = new Set<Connection>();
  private flushing = false;
  private readonly flushAll = () => this.flush();
  private ticker: NodeJS.Timeout | null = null;
  private lastTick = 0;
  private readonly redialer: Redialer;
  private readonly maxPayload: number;
  private readonly snapshots: Snapshotter;

  constructor(readonly opts: ResolvedMeshOptions) {
    this.redialer = new Redialer((url) => this.dial(url), opts.backoffMinMs, opts.backoffMaxMs, { log: (m) => this.log('warn', m) });
    this.maxPayload = Math.max(BATCH_TARGET_BYTES, opts.maxFrameBytes + REC_HEADER);
    // A snapshot encodes under 1 KiB: under any maxFrameBytes, and always fits a run (see Outbox).
    this.snapshots = new Snapshotter(SNAPSHOT_MAX_BYTES);
  }

  get cookie(): string {
    return this.opts.cookie;
  }

  get maxFrameBytes(): number {
    return this.opts.maxFrameBytes;
  }

  log(level: 'debug' | 'info' | 'warn', msg: string): void {
    this.opts.logger(level, this.self.name ? `${this.self.name}: ${msg}` : msg);
  }

  // ---- Transport ----

  async start(host: TransportHost): Promise<string> {
    if (this.host) throw new MeshOptionsError('transport', 'used by one node only (start was called twice)', host.name);
    this.host = host;
    const o = this.opts;
    const server = o.tls ? createHttpsServer({ key: o.tls.key, cert: o.tls.cert, ca: o.tls.ca }) : createHttpServer();
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('a Foundation mesh endpoint: WebSocket only\n');
    });
    const wss = new WebSocketServer({ server, maxPayload: this.maxPayload, perMessageDeflate: false, clientTracking: false });
    wss.on('connection', (ws, req) => this.accept(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`));
    wss.on('error', (e) => this.log('warn', `server error: ${e.message}`));
    this.server = server;
    this.wss = wss;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.log('warn', `server error: ${e.message}`));
    const port = (server.address() as AddressInfo).port;
    const h = o.advertiseHost.includes(':') ? `[${o.advertiseHost}]` : o.advertiseHost;
    const url = normalizeUrl(`${o.tls ? 'wss' : 'ws'}://${h}:${port}`);
    this.self = { name: host.name, inc: host.incarnation, url };
    this.selfUrls.add(url);
    this.lastTick = performance.now();
    this.ticker = setInterval(() => this.tick(), o.tickMs);
    this.ticker.unref();
    for (const s of o.discovery) {
      try {
        await s.start(this.strategyContext(s));
      } catch (e) {
        await this.stop();
        throw e;
      }
    }
    return url;
  }

  /**
   * Queues `frame` for `node`, captured as it is now: a small plain frame as a snapshot (a copy,
   * encoded with the rest of the turn's frames at the flush), any other encoded right here (its
   * exact size checked against maxFrameBytes). See snapshot.ts.
   */
  send(node: string, frame: Frame): boolean {
    const c = this.up.get(node);
    if (c === undefined) return false;
    const snaps = this.snapshots;
    let bytes: Uint8Array | null = null;
    let size: number;
    if (snaps.takeFrame(frame)) size = snaps.bound;
    else {
      bytes = encode(frame);
      if (bytes.length > this.opts.maxFrameBytes) {
        this.log('warn', `a '${frame.t}' frame to ${node} of ${bytes.length} bytes is over maxFrameBytes (${this.opts.maxFrameBytes}): not sent`);
        return false;
      }
      size = bytes.length + REC_HEADER;
    }
    const bound = this.opts.maxBufferedBytes;
    if (c.outbox.bytes > bound || (c.outbox.bytes + size > bound && c.pendingBytes() + size > bound)) {
      const pending = c.pendingBytes();
      if (pending + size > bound) {
        // Plain sends and casts may be dropped (as OTP may drop a send); calls, replies and
        // signals are what links, monitors and callers rely on, so they go until twice the bound.
        if ((frame.t === 'msg' || frame.t === 'named') && frame.kind !== 2) {
          if (!c.overBound) this.log('warn', `${node} is slow: ${pending} bytes queued (bound ${bound}); sends to it fail until it catches up`);
          c.overBound = true;
          return false;
        }
        if (pending + size > 2 * bound) {
          c.close(CloseCode.slowPeer, `too slow: ${pending} bytes queued, over twice maxBufferedBytes (${bound})`);
          return false;
        }
      } else c.overBound = false;
    }
    if (bytes === null) c.pushFrame(snaps.flat, snaps.flatLength, size);
    else c.push(REC_FRAME, bytes);
    return true;
  }

  connect(url: string): Promise<void> {
    let norm: string;
    try {
      norm = normalizeUrl(url);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.stopped || !this.host) return Promise.reject(new StoppedError('mesh transport'));
    if (this.selfUrls.has(norm)) return Promise.resolve();
    const known = this.aliases.get(norm);
    if (known !== undefined && this.up.has(known)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      push(this.urlWaiters, norm, { resolve, reject });
      this.dial(norm);
    });
  }

  disconnect(node: string): void {
    this.up.get(node)?.close(CloseCode.disconnect, `disconnect(${node}) called on this node`);
  }

  nodes(): string[] {
    return [...this.up.keys()];
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.redialer.stop();
    for (const s of this.opts.discovery) {
      try {
        await s.stop();
      } catch (e) {
        this.log('warn', `discovery '${s.name}' failed to stop: ${(e as Error).message}`);
      }
    }
    this.flush();
    for (const c of [...this.conns]) c.close(CloseCode.goodbye, 'node stopping', c.stage === 'up' ? 'info' : 'debug');
    const stopped = new StoppedError('mesh transport');
    for (const waiters of [...this.urlWaiters.values(), ...this.nameWaiters.values()]) for (const w of waiters) w.reject(stopped);
    this.urlWaiters.clear();
    this.nameWaiters.clear();
    await Promise.all([...this.sockets].map((ws) => closed(ws, 2000)));
    await new Promise<void>((resolve) => {
      this.wss?.close();
      if (!this.server?.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- connections ----

  private track(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.once('close', () => this.sockets.delete(ws));
  }

  private accept(ws: WebSocket, where: string): void {
    if (this.stopped) return ws.terminate();
    this.track(ws);
    this.conns.add(new Connection(ws, 'in', where, this, this.opts.handshakeTimeoutMs));
  }

  /** Dials `url` unless it is this node, already connected, or being dialled. */
  private dial(url: string): void {
    if (this.stopped) return;
    if (this.selfUrls.has(url)) {
      this.redialer.drop(url);
      return this.settleUrl(url);
    }
    const known = this.aliases.get(url);
    if (known !== undefined && this.up.has(known)) {
      this.redialer.drop(url);
      return this.settleUrl(url);
    }
    if (this.dialsByUrl.has(url)) return;
    const t = this.opts.tls;
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      maxPayload: this.maxPayload,
      handshakeTimeout: this.opts.handshakeTimeoutMs,
      // Masking guards browsers' proxies against cache poisoning, not a node-to-node link; a zero
      // mask lets both ends skip the XOR over every byte (about 8% of the CPU at full rate).
      generateMask: zeroMask,
      ...(url.startsWith('wss:') && t ? { key: t.key, cert: t.cert, ca: t.ca, rejectUnauthorized: t.rejectUnauthorized ?? true } : {}),
    });
    this.track(ws);
    const c = new Connection(ws, 'out', url, this, this.opts.handshakeTimeoutMs);
    this.conns.add(c);
    this.dialsByUrl.set(url, c);
  }

  /** The dialer's side: may we go on with the node that answered at this URL? */
  onChallenge(c: Connection, ch: Challenge): Verdict {
    if (ch.name === this.self.name) {
      if (ch.inc === this.self.inc) {
        this.selfUrls.add(c.where);
        return refuse(CloseCode.superseded, 'this URL leads to this node itself');
      }
      return refuse(CloseCode.duplicate, `the node at this URL is named '${ch.name}' too (duplicate node name)`);
    }
    const cur = this.up.get(ch.name);
    if (cur) {
      if (cur.hs.peer!.inc === ch.inc) return refuse(CloseCode.superseded, `already connected to '${ch.name}'`);
      return refuse(CloseCode.duplicate, `a node named '${ch.name}' is already connected (incarnation ${cur.hs.peer!.inc}, this one ${ch.inc}): duplicate node name`);
    }
    if (this.dialing.has(ch.name)) return refuse(CloseCode.superseded, `another dial to '${ch.name}' is in progress`);
    this.dialing.set(ch.name, c);
    return OK;
  }

  /** The acceptor's side, after the dialer proved the cookie: accept it? */
  onHello(_c: Connection, h: Hello): Verdict {
    if (h.name === this.self.name) return refuse(CloseCode.duplicate, `node name '${h.name}' is this node's own (duplicate node name)`);
    const cur = this.up.get(h.name);
    if (cur) {
      if (cur.hs.peer!.inc === h.inc) return refuse(CloseCode.superseded, `already connected to '${h.name}'`);
      return refuse(CloseCode.duplicate, `a node named '${h.name}' is already connected (incarnation ${cur.hs.peer!.inc}, this one ${h.inc}): duplicate node name`);
    }
    const mine = this.dialing.get(h.name);
    if (mine) {
      // Both dialled at once: the dial made by the node with the smaller name wins, on both sides.
      if (this.self.name < h.name) return refuse(CloseCode.superseded, `simultaneous dial: '${this.self.name}' dials '${h.name}'`);
      this.dialing.delete(h.name);
      mine.close(CloseCode.superseded, `simultaneous dial: '${h.name}' dials '${this.self.name}'`);
    }
    return OK;
  }

  onWelcome(c: Connection): Verdict {
    const name = c.peerName!;
    if (this.dialing.get(name) !== c || this.up.has(name)) return refuse(CloseCode.superseded, `already connected to '${name}'`);
    this.dialing.delete(name);
    return OK;
  }

  onUp(c: Connection, peers: PeerInfo[]): void {
    const peer = c.hs.peer!;
    this.up.set(peer.name, c);
    this.aliases.set(peer.url, peer.name);
    this.redialer.drop(peer.url);
    if (c.dir === 'out') {
      this.dialsByUrl.delete(c.where);
      this.aliases.set(c.where, peer.name);
      this.redialer.drop(c.where);
      this.settleUrl(c.where);
    }
    this.log('info', `${peer.name} is up (${c.dir === 'out' ? 'dialled' : 'accepted'}, ${peer.url}, incarnation ${peer.inc})`);
    this.callHost(() => this.host!.nodeUp(peer.name));
    const waiters = this.nameWaiters.get(peer.name);
    this.nameWaiters.delete(peer.name);
    for (const w of waiters ?? []) w.resolve();
    if (c.dir === 'out' && c.stage === 'up') c.sendControl({ c: 'peers', peers: this.peerList(peer.name) });
    this.learn(peers);
  }

  onFrame(c: Connection, f: Frame): void {
    // Inline rather than callHost: no closure per frame.
    try {
      this.host!.receive(c.hs.peer!.name, f);
    } catch (e) {
      this.log('warn', `the node threw while handling a mesh event: ${(e as Error)?.stack ?? String(e)}`);
    }
  }

  onBatchEnd(): void {
    this.host?.batchDone();
  }

  onDropped(c: Connection, tag: unknown, bytes: number): void {
    // Not expected (a snapshot's bound keeps it under the limit): logged, and lost like a dead letter.
    this.log('warn', `a '${String(tag)}' frame to ${c.peerName} encoded to ${bytes} bytes, over a frames record's limit: dropped`);
  }

  onControl(_c: Connection, m: Control): void {
    if (m.c === 'peers') this.learn(m.peers);
  }

  onClosed(c: Connection, code: number, reason: string, byUs: boolean): void {
    this.conns.delete(c);
    this.dirty.delete(c);
    c.scheduled = false;
    if (c.dir === 'out' && this.dialsByUrl.get(c.where) === c) this.dialsByUrl.delete(c.where);
    const peer = c.hs.peer;
    if (peer && this.dialing.get(peer.name) === c) this.dialing.delete(peer.name);
    if (peer && this.up.get(peer.name) === c) {
      this.up.delete(peer.name);
      const clean = code === CloseCode.goodbye || code === CloseCode.disconnect;
      const why = code === CloseCode.goodbye ? 'shutdown' : code === CloseCode.disconnect ? 'disconnect' : 'noconnection';
      this.callHost(() => this.host!.nodeDown(peer.name, why));
      // A peer lost (not one that said goodbye) is redialled for a while; a restart of it is a new node.
      if (!clean && !this.stopped) this.redialer.want(peer.url, this.opts.redialForMs);
      return;
    }
    if (c.dir !== 'out') return;
    if (code === CloseCode.superseded && peer) {
      // Another connection to the same node won (or will): wait for it instead.
      this.aliases.set(c.where, peer.name);
      this.redialer.drop(c.where);
      const waiters = this.urlWaiters.get(c.where);
      this.urlWaiters.delete(c.where);
      if (waiters) for (const w of waiters) this.waitForName(peer.name, w);
      return;
    }
    const waiters = this.urlWaiters.get(c.where);
    this.urlWaiters.delete(c.where);
    if (waiters) {
      const e = new MeshConnectError(c.where, `${byUs ? 'closed here' : 'closed by the peer'} (${code}): ${reason}`);
      for (const w of waiters) w.reject(e);
    }
    this.redialer.failed(c.where);
  }

  schedule(c: Connection): void {
    c.scheduled = true;
    this.dirty.add(c);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(this.flushAll);
    }
  }

  peerList(exclude: string): PeerInfo[] {
    const out: PeerInfo[] = [];
    for (const [name, c] of this.up) if (name !== exclude) out.push({ name, url: c.hs.peer!.url });
    return out;
  }

  // ---- internals ----

  /** Sends every connection's queued frames now. */
  flush(): void {
    this.flushing = false;
    for (const c of this.dirty) {
      c.scheduled = false;
      c.flush();
    }
    this.dirty.clear();
  }

  /** Every tick: ping every peer, and drop those silent for 4 ticks. */
  private tick(): void {
    const now = performance.now();
    const late = now - this.lastTick > 1.5 * this.opts.tickMs;
    this.lastTick = now;
    const limit = 4 * this.opts.tickMs;
    for (const c of [...this.up.values()]) {
      // After a late tick (this event loop was busy) the peers' pings may still be unread.
      if (!late && now - c.lastRecv > limit) {
        c.close(CloseCode.heartbeat, `silent for ${Math.round(now - c.lastRecv)} ms (4 ticks of ${this.opts.tickMs} ms)`);
      } else c.sendControl({ c: 'ping' });
    }
  }

  /** Peers heard of from a peer: dial those not connected, for a while. */
  private learn(peers: PeerInfo[]): void {
    for (const p of peers) {
      if (p.name === this.self.name || this.up.has(p.name) || this.dialing.has(p.name)) continue;
      this.redialer.want(normalizeUrl(p.url), this.opts.redialForMs);
    }
  }

  private settleUrl(url: string): void {
    const waiters = this.urlWaiters.get(url);
    this.urlWaiters.delete(url);
    for (const w of waiters ?? []) w.resolve();
  }

  private waitForName(name: string, w: Waiter): void {
    if (this.up.has(name)) return w.resolve();
    const timer = setTimeout(() => {
      const list = this.nameWaiters.get(name);
      const i = list?.indexOf(entry) ?? -1;
      if (i >= 0) list!.splice(i, 1);
      w.reject(new MeshConnectError(name, `the connection that won a simultaneous dial to '${name}' did not come up`));
    }, this.opts.handshakeTimeoutMs);
    timer.unref();
    const entry: Waiter = {
      resolve: () => {
        clearTimeout(timer);
        w.resolve();
      },
      reject: (e) => {
        clearTimeout(timer);
        w.reject(e);
      },
    };
    push(this.nameWaiters, name, entry);
  }

  private callHost(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log('warn', `the node threw while handling a mesh event: ${(e as Error)?.stack ?? String(e)}`);
    }
  }

  private strategyContext(s: Strategy): StrategyContext {
    const norm = (url: string, what: string): string | undefined => {
      try {
        return normalizeUrl(url);
      } catch {
        this.log('warn', `discovery '${s.name}' ${what} a URL that is not ws:// or wss://: ${String(url)}`);
        return undefined;
      }
    };
    return {
      self: { name: this.self.name, url: this.self.url },
      found: (url: string) => {
        const u = norm(url, 'found');
        if (u === undefined || this.stopped || this.selfUrls.has(u)) return;
        const known = this.aliases.get(u);
        if (known !== undefined && this.up.has(known)) return;
        this.redialer.found(u);
      },
      // A live connection to the URL is left alone: the heartbeat decides about it.
      lost: (url: string) => {
        const u = norm(url, 'lost');
        if (u !== undefined && this.redialer.lost(u)) this.log('debug', `discovery '${s.name}' no longer lists ${u}: not dialling it any more`);
      },
      log: (msg: string) => this.log('info', `discovery '${s.name}': ${msg}`),
    };
  }
}

/** Frames whose encoding could pass this many bytes are encoded at send, not snapshotted. */
const SNAPSHOT_MAX_BYTES = 1024;

function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

function closed(ws: WebSocket, ms: number): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve();
    }, ms);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
