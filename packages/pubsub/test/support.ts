import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { afterEach, expect, vi } from 'vitest';
import { Actor, Node, type Inbox, type Pid } from '@foundation/runtime';
import { mesh } from '@foundation/cluster';
import { PubSub, clusterAdapter, redisAdapter, type AdapterFactory, type PubSubLogger } from '@foundation/pubsub';

const started: { stop(): Promise<void> }[] = [];

afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.stop();
});

/** Waits until `check` stops throwing (polling, never a fixed sleep). */
export const until = (check: () => unknown, timeout = 5000) => vi.waitFor(check, { interval: 2, timeout });

/** The rejection or throw of `p` (fails when it resolves). */
export async function failure(p: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

/** Log lines, kept for assertions; stays quiet. */
export class LogLines {
  readonly lines: string[] = [];
  readonly logger: PubSubLogger = (level, msg) => {
    this.lines.push(`${level} ${msg}`);
  };
}

/** A node alone (no transport); stopped after the test. */
export async function soloNode(name: string): Promise<Node> {
  const node = await Node.start({ name });
  started.push(node);
  return node;
}

/** A node on the mesh (loopback, any port), dialing `peers`; stopped after the test. */
export async function meshNode(name: string, peers: string[] = []): Promise<Node> {
  const node = await Node.start({ name, transport: mesh({ cookie: 'pubsub-test', logger: () => {} }) });
  started.push(node);
  for (const url of peers) await node.connect(url);
  return node;
}

/** `n` mesh nodes, each connected to every other. */
export async function meshNodes(names: string[]): Promise<Node[]> {
  const nodes: Node[] = [];
  for (const name of names)
    nodes.push(
      await meshNode(
        name,
        nodes.map((n) => n.url),
      ),
    );
  for (const n of nodes) await until(() => expect(n.nodes().length).toBe(names.length - 1));
  return nodes;
}

/** A free TCP port on the loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A redis-server of the test's own, on a loopback port; stopped (by pid) after the test. */
export class RedisServer {
  private child: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  static async start(port?: number): Promise<RedisServer> {
    const r = new RedisServer(port ?? (await freePort()));
    await r.restart();
    started.push(r);
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again) on its port and waits until it takes connections. */
  async restart(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    this.child = child;
    await until(() => canConnect(this.port), 10_000);
  }

  /** Kills the server (SIGKILL, its pid) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
    this.child = undefined;
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}

async function canConnect(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
}

/** Starts a PubSub, stopped after the test (before its node). */
export async function startPubSub(node: Node, name: string, adapter: AdapterFactory, log = new LogLines(), extra = {}): Promise<PubSub> {
  const ps = await PubSub.start(node, { name, adapter, logger: log.logger, ...extra });
  started.push(ps);
  return ps;
}

/** One adapter's way to make a cluster of PubSubs for the behaviour suite. */
export interface Flavour {
  readonly kind: 'cluster' | 'redis';
  /** `names.length` nodes with PubSub `name` on each, all reaching each other. */
  cluster(names: string[], name?: string, extra?: object): Promise<PubSub[]>;
}

export const clusterFlavour: Flavour = {
  kind: 'cluster',
  async cluster(names, name = 'ps', extra = {}) {
    const nodes = await meshNodes(names);
    return Promise.all(nodes.map((n) => startPubSub(n, name, clusterAdapter(), new LogLines(), extra)));
  },
};

export const redisFlavour: Flavour = {
  kind: 'redis',
  async cluster(names, name = 'ps', extra = {}) {
    const redis = await RedisServer.start();
    const nodes = await Promise.all(names.map((n) => soloNode(n)));
    return Promise.all(nodes.map((n) => startPubSub(n, name, redisAdapter({ url: redis.url }), new LogLines(), extra)));
  },
};

/** Waits until a broadcast to `topic` from `from` would reach a subscriber on every node of `on` (the cluster adapter learns of remote subscriptions a moment later). */
export async function reaches(flavour: Flavour, from: PubSub, topic: string, on: PubSub[]): Promise<void> {
  if (flavour.kind === 'redis') return;
  const want = on
    .filter((p) => p !== from)
    .map((p) => p.node.name)
    .sort();
  await until(() => expect(from.nodesFor(topic)).toEqual(expect.arrayContaining(want)));
}

/** Receives until `inbox` has nothing within `ms` (used only after a positive signal that all sends happened). */
export async function drain(inbox: Inbox, ms = 50): Promise<unknown[]> {
  const got: unknown[] = [];
  for (;;) {
    try {
      got.push(await inbox.receive(undefined, ms));
    } catch {
      return got;
    }
  }
}

/** Does nothing: a subscriber that can be killed. */
export class Idle extends Actor<unknown, unknown, void> {}

/** Forwards what it receives to `to`, tagged with its own pid. */
export class Forwarder extends Actor<unknown, unknown, Pid> {
  private to!: Pid;
  override init(to: Pid): void {
    this.to = to;
  }
  override handleInfo(msg: unknown): void {
    this.send(this.to, { at: this.self, msg });
  }
}
