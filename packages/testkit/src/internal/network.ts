import { InvalidArgumentError, decode, describeValue, encode, type Frame, type Transport, type TransportHost } from '@foundation/runtime';
import type { Timeline } from './timeline.js';

/** A frame on its way: encoded at send (nothing shared by reference), held until `readyAt`. */
interface InFlight {
  readonly bytes: Uint8Array;
  readonly readyAt: number;
  readonly summary: string;
}

/** One direction of a connection: FIFO, as TCP is. */
export interface Link {
  readonly from: string;
  readonly to: string;
  readonly queue: InFlight[];
}

const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

/**
 * The simulated network: which nodes are connected, and the frames in flight on each link.
 * Nothing moves by itself: the simulator delivers the head frame of a link when it chooses.
 * Within a live link frames are never lost, duplicated or reordered; cutting a link drops
 * what is in flight on it (both directions) and both ends see nodedown.
 */
export class SimNetwork {
  readonly members = new Map<string, SimTransport>();
  private readonly cuts = new Set<string>();
  private readonly delays = new Map<string, number>();
  /** Links by `from>to`, created on first send. */
  private readonly links = new Map<string, Link>();
  /** Called with a line for the trace when something happens outside a step (link up/down). */
  onEvent: (line: string) => void = () => {};
  /** Called when a node's transport stops (the node was stopped). */
  onLeave: (name: string) => void = () => {};

  constructor(private readonly timeline: Timeline) {}

  transport(): Transport {
    return new SimTransport(this);
  }

  /** Links whose head frame can be delivered now, in name order. */
  readyLinks(): Link[] {
    const out: Link[] = [];
    for (const l of this.links.values()) if (l.queue.length > 0 && l.queue[0]!.readyAt <= this.timeline.now) out.push(l);
    return out.sort((x, y) => (x.from === y.from ? cmp(x.to, y.to) : cmp(x.from, y.from)));
  }

  /** When the next delayed frame becomes deliverable, or undefined. */
  nextReadyAt(): number | undefined {
    let at: number | undefined;
    for (const l of this.links.values()) {
      const head = l.queue[0];
      if (head && head.readyAt > this.timeline.now && (at === undefined || head.readyAt < at)) at = head.readyAt;
    }
    return at;
  }

  /** Frames in flight on every link. */
  get inFlight(): number {
    let n = 0;
    for (const l of this.links.values()) n += l.queue.length;
    return n;
  }

  /** Delivers the head frame of `link`; returns its summary for the trace. */
  deliver(link: Link): string {
    const f = link.queue.shift()!;
    const t = this.members.get(link.to);
    if (!t) return `${f.summary} (dropped: ${link.to} is gone)`;
    try {
      t.host.receive(link.from, decode(f.bytes) as Frame);
    } catch (e) {
      // A frame the receiver fails on is dropped there, as on the real transports.
      return `${f.summary} (receiver threw: ${describeValue(e)})`;
    }
    return f.summary;
  }

  isCut(a: string, b: string): boolean {
    return this.cuts.has(pairKey(a, b));
  }

  cut(a: string, b: string, reason: unknown = 'noconnection'): void {
    this.cuts.add(pairKey(a, b));
    this.unlinkPair(a, b, reason);
  }

  /** Heals the cut between `a` and `b` (both see nodeup if both are up). */
  heal(a: string, b: string): void {
    this.cuts.delete(pairKey(a, b));
    this.linkPair(a, b);
  }

  /** Heals every cut. */
  healAll(): void {
    const cuts = [...this.cuts].sort();
    this.cuts.clear();
    for (const key of cuts) {
      const [a, b] = key.split('|') as [string, string];
      this.linkPair(a, b);
    }
  }

  /** Connects every pair of members not connected and not cut (a disconnect not yet reconnected), in name order. */
  linkAll(): void {
    const names = [...this.members.keys()].sort();
    for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) this.linkPair(names[i]!, names[j]!);
  }

  /** Frames sent between `a` and `b` from now on are held `ms` (0: not held). */
  delay(a: string, b: string, ms: number): void {
    if (ms === 0) this.delays.delete(pairKey(a, b));
    else this.delays.set(pairKey(a, b), ms);
  }

  clearDelays(): void {
    this.delays.clear();
  }

  /** The node vanishes: its peers see it go with 'noconnection'; what it had in flight is lost. */
  crash(name: string): void {
    const t = this.members.get(name);
    if (!t) return;
    for (const peer of [...t.peers].sort()) this.unlinkPair(name, peer, 'noconnection');
    this.members.delete(name);
  }

  join(t: SimTransport): void {
    if (this.members.has(t.name)) {
      throw new InvalidArgumentError('node name', `unique in the simulation (a node '${t.name}' is up)`, t.name);
    }
    this.members.set(t.name, t);
    for (const other of [...this.members.keys()].sort()) if (other !== t.name) this.linkPair(t.name, other);
  }

  /** A node stopped: what it queued still arrives (a closing TCP connection flushes), then peers see it go. */
  leave(t: SimTransport, reason: unknown): void {
    if (this.members.get(t.name) !== t) return;
    for (const peer of [...t.peers].sort()) {
      const link = this.links.get(`${t.name}>${peer}`);
      while (link && link.queue.length > 0) this.onEvent(`deliver ${link.from}>${link.to} ${this.deliver(link)} (at close)`);
    }
    for (const peer of [...t.peers].sort()) this.unlinkPair(t.name, peer, reason);
    this.members.delete(t.name);
    this.onLeave(t.name);
  }

  send(from: string, to: string, frame: Frame): void {
    const key = `${from}>${to}`;
    let link = this.links.get(key);
    if (!link) this.links.set(key, (link = { from, to, queue: [] }));
    const last = link.queue[link.queue.length - 1];
    // FIFO even when a delay changes: a frame is never ready before the one ahead of it.
    const readyAt = Math.max(this.timeline.now + (this.delays.get(pairKey(from, to)) ?? 0), last?.readyAt ?? 0);
    link.queue.push({ bytes: encode(frame), readyAt, summary: `${from}>${to} ${summarize(frame)}` });
  }

  linkPair(a: string, b: string): boolean {
    const ta = this.members.get(a);
    const tb = this.members.get(b);
    if (!ta || !tb || a === b || this.isCut(a, b)) return false;
    if (ta.peers.has(b)) return true;
    ta.peers.add(b);
    tb.peers.add(a);
    this.onEvent(`nodeup ${a}-${b}`);
    ta.host.nodeUp(b);
    tb.host.nodeUp(a);
    return true;
  }

  unlinkPair(a: string, b: string, reason: unknown): void {
    const ta = this.members.get(a);
    const tb = this.members.get(b);
    if (!ta || !tb || !ta.peers.has(b)) return;
    ta.peers.delete(b);
    tb.peers.delete(a);
    const lost = (this.links.get(`${a}>${b}`)?.queue.length ?? 0) + (this.links.get(`${b}>${a}`)?.queue.length ?? 0);
    this.links.delete(`${a}>${b}`);
    this.links.delete(`${b}>${a}`);
    this.onEvent(`nodedown ${a}-${b} ${describeValue(reason)}${lost > 0 ? ` (${lost} frame(s) in flight lost)` : ''}`);
    ta.host.nodeDown(b, reason);
    tb.host.nodeDown(a, reason);
  }
}

/** One node's end of the simulated network. */
export class SimTransport implements Transport {
  host!: TransportHost;
  name = '';
  readonly peers = new Set<string>();

  constructor(private readonly net: SimNetwork) {}

  async start(host: TransportHost): Promise<string> {
    this.host = host;
    this.name = host.name;
    this.net.join(this);
    return `sim://${this.name}`;
  }

  send(node: string, frame: Frame): boolean {
    if (!this.peers.has(node)) return false;
    this.net.send(this.name, node, frame);
    return true;
  }

  async connect(url: string): Promise<void> {
    const m = /^sim:\/\/([A-Za-z0-9_@-]+)$/.exec(url);
    if (!m) throw new InvalidArgumentError('url', "'sim://<node name>'", url);
    if (!this.net.linkPair(this.name, m[1]!)) throw new InvalidArgumentError('url', 'a reachable node of the simulation', url);
  }

  disconnect(node: string): void {
    this.net.unlinkPair(this.name, node, 'disconnect');
  }

  nodes(): string[] {
    return [...this.peers].sort();
  }

  async stop(): Promise<void> {
    this.net.leave(this, 'shutdown');
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A frame in a trace line: its tag and where it goes (pids print their node, id and incarnation). */
function summarize(f: Frame): string {
  switch (f.t) {
    case 'msg':
      return `msg ${String(f.to)}`;
    case 'named':
      return `named ${f.name}`;
    case 'reply':
    case 'down':
      return `${f.t} ${String(f.to)}`;
    case 'link':
    case 'unlink':
    case 'exit':
      return `${f.t} ${String(f.from)}->${String(f.to)}`;
    case 'monitor':
      return `monitor ${String(f.to)}`;
    case 'demonitor':
      return `demonitor ${String(f.to)}`;
  }
}
