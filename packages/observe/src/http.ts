import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Registry } from 'prom-client';
import { describeValue, type Node } from '@foundation/runtime';
import { clusterView, type ClusterView } from './cluster-view.js';
import { askAgent } from './ask.js';
import { parsePid } from './records.js';
import { DASHBOARD_HTML } from './dashboard-page.js';

/** Where and how the observer's HTTP server listens. */
export interface HttpOptions {
  /** Port (default 0: any free port). */
  port?: number;
  /** Address (default '127.0.0.1': never reachable from other machines unless asked). */
  host?: string;
  /** When set, every request must carry it: `Authorization: Bearer <token>` or `?token=<token>`. */
  token?: string;
  /** How often the dashboard gets a fresh view of the cluster, in ms (default 500). */
  refreshMs?: number;
}

function tokenOk(req: IncomingMessage, url: URL, token: string | undefined): boolean {
  if (token === undefined) return true;
  const auth = req.headers.authorization;
  const given = auth?.startsWith('Bearer ') ? auth.slice(7) : (url.searchParams.get('token') ?? '');
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The observer's HTTP server: `/metrics` (Prometheus text), `/` (the dashboard page) and `/ws`
 * (the dashboard's live feed: a cluster view every `refreshMs`, and `info` / `kill` requests).
 */
export class ObserveServer {
  private readonly wss = new WebSocketServer({ noServer: true });
  private timer: NodeJS.Timeout | null = null;
  private last: ClusterView | null = null;
  private refreshing = false;

  private constructor(
    private readonly node: Node,
    private readonly registry: Registry,
    private readonly server: Server,
    private readonly opts: HttpOptions,
    /** `http://host:port` of the server. */
    readonly url: string,
  ) {}

  static async start(node: Node, registry: Registry, opts: HttpOptions): Promise<ObserveServer> {
    const server = createServer();
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const s = new ObserveServer(node, registry, server, opts, `http://${host.includes(':') ? `[${host}]` : host}:${port}`);
    server.on('request', (req, res) => {
      s.onRequest(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`error: ${describeValue(e)}\n`);
      });
    });
    server.on('upgrade', (req, socket, head) => {
      try {
        s.onUpgrade(req, socket as import('node:net').Socket, head);
      } catch (e) {
        // A bad upgrade ends that one socket, never the server.
        socket.destroy(e instanceof Error ? e : undefined);
      }
    });
    return s;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!tokenOk(req, url, this.opts.token)) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('a token is required\n');
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405, { 'content-type': 'text/plain' }).end('GET only\n');
      return;
    }
    if (url.pathname === '/metrics') {
      const body = await this.registry.metrics();
      res.writeHead(200, { 'content-type': this.registry.contentType }).end(body);
    } else if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(DASHBOARD_HTML);
    } else if (url.pathname === '/api/view') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await this.view()));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  private onUpgrade(req: IncomingMessage, socket: import('node:net').Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/ws' || !tokenOk(req, url, this.opts.token)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
  }

  private onSocket(ws: WebSocket): void {
    ws.on('error', () => ws.terminate());
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as Buffer).toString('utf8');
      void this.onMessage(ws, text).catch((e: unknown) => {
        ws.send(JSON.stringify({ error: describeValue(e) }));
      });
    });
    if (this.last !== null) ws.send(JSON.stringify({ view: this.last }));
    if (this.timer === null) {
      this.timer = setInterval(() => this.refresh(), this.opts.refreshMs ?? 500);
      this.refresh();
    }
  }

  /** A request from the page: `{ id, op: 'info' | 'kill', pid }`, answered `{ id, ok, value | error }`. */
  private async onMessage(ws: WebSocket, text: string): Promise<void> {
    let m: { id?: unknown; op?: unknown; pid?: unknown };
    try {
      m = JSON.parse(text) as typeof m;
    } catch {
      ws.send(JSON.stringify({ error: 'not JSON' }));
      return;
    }
    const id = m.id;
    try {
      if (m.op !== 'info' && m.op !== 'kill') throw new Error(`unknown op ${describeValue(m.op)}`);
      const pid = parsePid(m.pid);
      const value = await askAgent(this.node, pid.node, { op: m.op, pid });
      ws.send(JSON.stringify({ id, ok: true, value }));
      if (m.op === 'kill') this.refresh();
    } catch (e) {
      ws.send(JSON.stringify({ id, ok: false, error: e instanceof Error ? e.message : describeValue(e) }));
    }
  }

  private async view(): Promise<ClusterView> {
    this.last = await clusterView(this.node, this.last);
    return this.last;
  }

  /** Sends every open dashboard a fresh view; stops the timer when none is open. A failed view is skipped (the next tick tries again). */
  private refresh(): void {
    if (this.wss.clients.size === 0) {
      if (this.timer !== null) clearInterval(this.timer);
      this.timer = null;
      return;
    }
    if (this.refreshing) return;
    this.refreshing = true;
    this.view()
      .then((v) => {
        const text = JSON.stringify({ view: v });
        for (const c of this.wss.clients) if (c.readyState === c.OPEN) c.send(text);
      })
      .catch((e: unknown) => process.emitWarning(`observe: a dashboard refresh failed: ${describeValue(e)}`, { type: 'FoundationWarning' }))
      .finally(() => (this.refreshing = false));
  }

  /** Closes the dashboards' sockets and the server. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
