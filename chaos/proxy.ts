/**
 * A loopback TCP proxy for one direction of one pair of nodes (A dials B through it): the
 * network the chaos suite breaks. `cut()` drops every connection and refuses new ones until
 * `heal()`; `drop()` ends the live connections only; `slow(ms)` delays every chunk (order kept).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** One proxied path `from -> to`: listens on an ephemeral loopback port, forwards to `targetPort`. */
export class LinkProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private cutNow = false;
  private delayMs = 0;
  /** Connections accepted and forwarded, and refused while cut. */
  readonly counts = { accepted: 0, refused: 0, dropped: 0 };
  port = 0;

  constructor(
    readonly from: string,
    readonly to: string,
    readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    server.on('error', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }

  private accept(client: Socket): void {
    client.on('error', () => {});
    if (this.cutNow) {
      this.counts.refused++;
      client.destroy();
      return;
    }
    this.counts.accepted++;
    const upstream = connect(this.targetPort, '127.0.0.1');
    upstream.on('error', () => {});
    this.sockets.add(client);
    this.sockets.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close);
    upstream.on('close', close);
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  /** Forwards `src` to `dst`, each chunk no sooner than `delayMs` after it came, never reordered. */
  private pipe(src: Socket, dst: Socket): void {
    const queue: Array<{ due: number; chunk: Buffer }> = [];
    let timer: NodeJS.Timeout | undefined;
    const pump = () => {
      timer = undefined;
      const now = Date.now();
      while (queue.length > 0 && queue[0]!.due <= now) {
        const { chunk } = queue.shift()!;
        if (!dst.destroyed) dst.write(chunk);
      }
      if (queue.length > 0) timer = setTimeout(pump, queue[0]!.due - now);
    };
    src.on('data', (chunk: Buffer) => {
      if (this.delayMs === 0 && queue.length === 0) {
        if (!dst.destroyed) dst.write(chunk);
        return;
      }
      const last = queue.length > 0 ? queue[queue.length - 1]!.due : 0;
      queue.push({ due: Math.max(Date.now() + this.delayMs, last), chunk });
      if (timer === undefined) timer = setTimeout(pump, queue[0]!.due - Date.now());
    });
    src.on('close', () => {
      if (timer) clearTimeout(timer);
    });
  }

  /** Ends every live connection through this link (the nodes see a dropped connection). */
  drop(): void {
    for (const s of this.sockets) {
      this.counts.dropped++;
      s.destroy();
    }
    this.sockets.clear();
  }

  /** Drops the live connections and refuses new ones until `heal()`. */
  cut(): void {
    this.cutNow = true;
    this.drop();
  }

  heal(): void {
    this.cutNow = false;
    this.delayMs = 0;
  }

  /** Delays every chunk by `ms` from now on (0: no delay). */
  slow(ms: number): void {
    this.delayMs = ms;
  }

  async stop(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The proxies of every ordered pair of `ports`' nodes: `link(a, b)` is the path a dials b by. */
export class Network {
  private readonly links = new Map<string, LinkProxy>();

  private constructor(readonly names: readonly string[]) {}

  static async start(ports: ReadonlyMap<string, number>): Promise<Network> {
    const net = new Network([...ports.keys()]);
    for (const [a] of ports) {
      for (const [b, port] of ports) {
        if (a === b) continue;
        const l = new LinkProxy(a, b, port);
        await l.start();
        net.links.set(`${a}>${b}`, l);
      }
    }
    return net;
  }

  link(a: string, b: string): LinkProxy {
    const l = this.links.get(`${a}>${b}`);
    if (!l) throw new Error(`no link ${a}>${b}`);
    return l;
  }

  /** Both directions between `a` and `b`. */
  pair(a: string, b: string): LinkProxy[] {
    return [this.link(a, b), this.link(b, a)];
  }

  /** For node `a`: real target port -> the proxy port `a` dials it by. */
  routesOf(a: string): Record<number, number> {
    const out: Record<number, number> = {};
    for (const l of this.links.values()) if (l.from === a) out[l.targetPort] = l.port;
    return out;
  }

  all(): LinkProxy[] {
    return [...this.links.values()];
  }

  healAll(): void {
    for (const l of this.links.values()) l.heal();
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map((l) => l.stop()));
  }
}
