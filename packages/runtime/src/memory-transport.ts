import { InvalidArgumentError, describeValue } from './errors.js';
import { warn } from './internal/warn.js';
import { checkKnownOptions } from './known-options.js';
import { decode, encode } from './codec.js';
import type { Frame, Transport, TransportHost } from './transport.js';

const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

/**
 * An in-memory network joining several Nodes in one OS process, for tests of distribution:
 * frames are encoded with the wire codec (so nothing is shared by reference), delivered in
 * order per pair of nodes, batched per event-loop turn. Links between two nodes can be cut
 * and healed, and a node can vanish, to play partitions and lost nodes.
 *
 * ```ts
 * const net = new MemoryNetwork();
 * const a = await Node.start({ name: 'a', transport: net.transport() });
 * const b = await Node.start({ name: 'b', transport: net.transport() }); // connects to a
 * net.cut('a', 'b'); net.heal('a', 'b'); net.crash('b');
 * ```
 */
export class MemoryNetwork {
  /** @internal */
  readonly members = new Map<string, MemoryTransport>();
  private readonly cuts = new Set<string>();
  /** Frames carried so far (each counted once). */
  framesCarried = 0;

  /** @param opts.autoConnect connect each new node to every member (default true); else `node.connect('memory://name')`. */
  constructor(readonly opts: { autoConnect?: boolean } = {}) {
    checkKnownOptions('MemoryNetwork', opts, ['autoConnect']);
  }

  /** A transport for one node on this network. */
  transport(): Transport {
    return new MemoryTransport(this);
  }

  /** Cuts the link between `a` and `b`: both see nodedown; frames in flight are lost. */
  cut(a: string, b: string): void {
    this.cuts.add(pairKey(a, b));
    this.unlinkPair(a, b, 'noconnection');
  }

  /**
   * Heals the cut between `a` and `b`, or with no arguments every cut: the nodes connect again
   * (nodeup on both sides).
   */
  heal(a?: string, b?: string): void {
    if (a === undefined && b === undefined) {
      const cuts = [...this.cuts];
      this.cuts.clear();
      for (const key of cuts) {
        const [x, y] = key.split('\u0000') as [string, string];
        this.linkPair(x, y);
      }
      return;
    }
    if (typeof a !== 'string' || typeof b !== 'string') {
      throw new InvalidArgumentError('MemoryNetwork.heal(a, b)', 'two node names, or no argument (heal every cut)', [a, b]);
    }
    this.cuts.delete(pairKey(a, b));
    this.linkPair(a, b);
  }

  /** True when the link between `a` and `b` is cut. */
  isCut(a: string, b: string): boolean {
    return this.cuts.has(pairKey(a, b));
  }

  /**
   * Makes a node vanish as if its machine died: nothing more it sends arrives, its peers see
   * it go with `'noconnection'`, and it sees them go.
   */
  crash(name: string): void {
    const t = this.members.get(name);
    if (!t) return;
    this.members.delete(name);
    t.dropOutbox();
    for (const peer of [...t.peers]) this.unlinkPair(name, peer, 'noconnection', t);
  }

  /** @internal */
  join(t: MemoryTransport): void {
    if (this.members.has(t.name)) {
      throw new InvalidArgumentError('node name', `unique on the network (a node '${t.name}' is running)`, t.name);
    }
    this.members.set(t.name, t);
  }

  /** @internal */
  leave(t: MemoryTransport, reason: unknown): void {
    if (this.members.get(t.name) !== t) return;
    this.members.delete(t.name);
    for (const peer of [...t.peers]) this.unlinkPair(t.name, peer, reason, t);
  }

  /** @internal Connects two members (no-op if connected, cut or absent). */
  linkPair(a: string, b: string): boolean {
    const ta = this.members.get(a);
    const tb = this.members.get(b);
    if (!ta || !tb || a === b || this.isCut(a, b)) return false;
    if (ta.peers.has(b)) return true;
    ta.peers.add(b);
    tb.peers.add(a);
    ta.host.nodeUp(b);
    tb.host.nodeUp(a);
    return true;
  }

  /** @internal */
  unlinkPair(a: string, b: string, reason: unknown, gone?: MemoryTransport): void {
    const ta = gone?.name === a ? gone : this.members.get(a);
    const tb = gone?.name === b ? gone : this.members.get(b);
    if (!ta || !tb || !ta.peers.has(b)) return;
    ta.peers.delete(b);
    tb.peers.delete(a);
    ta.dropOutbox(b);
    tb.dropOutbox(a);
    ta.host.nodeDown(b, reason);
    tb.host.nodeDown(a, reason);
  }
}

/** One node's end of a MemoryNetwork. */
class MemoryTransport implements Transport {
  host!: TransportHost;
  name = '';
  readonly peers = new Set<string>();
  private outbox = new Map<string, Uint8Array[]>();
  private flushing = false;
  private readonly flushFn = () => this.flush();

  constructor(private readonly net: MemoryNetwork) {}

  async start(host: TransportHost): Promise<string> {
    this.host = host;
    this.name = host.name;
    this.net.join(this);
    if (this.net.opts.autoConnect !== false) {
      for (const other of [...this.net.members.keys()]) if (other !== this.name) this.net.linkPair(this.name, other);
    }
    return `memory://${this.name}`;
  }

  send(node: string, frame: Frame): boolean {
    if (!this.peers.has(node)) return false;
    let q = this.outbox.get(node);
    if (!q) this.outbox.set(node, (q = []));
    q.push(encode(frame));
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(this.flushFn);
    }
    return true;
  }

  /** Delivers every queued frame, in order, to peers still connected. */
  flush(): void {
    this.flushing = false;
    const outbox = this.outbox;
    this.outbox = new Map();
    for (const [peer, frames] of outbox) {
      for (const bytes of frames) {
        const t = this.net.members.get(peer);
        if (!t || !this.peers.has(peer)) break;
        this.net.framesCarried++;
        try {
          t.host.receive(this.name, decode(bytes) as Frame);
        } catch (e) {
          // A frame the receiver fails on is dropped there: it must not end the process, nor the flush.
          warn('FOUNDATION_FRAME_THREW', `node ${peer} failed on a frame from ${this.name}: ${describeValue(e)}`);
        }
      }
    }
  }

  dropOutbox(peer?: string): void {
    if (peer === undefined) this.outbox.clear();
    else this.outbox.delete(peer);
  }

  async connect(url: string): Promise<void> {
    const m = /^memory:\/\/([A-Za-z0-9_@-]+)$/.exec(url);
    if (!m) throw new InvalidArgumentError('url', "'memory://<node name>'", url);
    if (!this.net.linkPair(this.name, m[1]!)) {
      throw new InvalidArgumentError('url', 'a reachable node on this network', url);
    }
  }

  disconnect(node: string): void {
    this.net.unlinkPair(this.name, node, 'disconnect');
  }

  nodes(): string[] {
    return [...this.peers];
  }

  async stop(): Promise<void> {
    this.flush();
    this.net.leave(this, 'shutdown');
  }
}
