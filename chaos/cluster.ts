/**
 * The chaos cluster from the test's side: node processes on fixed loopback ports, each dialling
 * its peers through the `Network` of proxies; SIGKILLed and restarted by pid.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Network } from './proxy.js';
import type { NodeConfig, Reply, Request } from './protocol.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');

/** How a request to a node process ended: its reply, or the process died before answering. */
export type Outcome = Reply | { id: number; ok: false; error: 'CallerKilled'; message: string };

type Body = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * A free loopback port, held by a listener until `release`: the proxies are made while the
 * nodes' ports are held, or one of their ephemeral listeners could take a node's port (seen in
 * CI: a node exited with EADDRINUSE before it was ready).
 */
async function reservePort(): Promise<{ port: number; release: () => Promise<void> }> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  return { port, release: () => new Promise<void>((r) => s.close(() => r())) };
}

/** Tries a node start this many times: a port freed by a killed incarnation may be taken for a moment by an outgoing connection. */
const START_ATTEMPTS = 5;

/** One node process (any number of incarnations: `start` after a kill restarts it on the same port). */
export class ChaosNode {
  private proc: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (o: Outcome) => void>();
  /** How many times it was started. */
  starts = 0;

  constructor(readonly config: NodeConfig) {}

  get name(): string {
    return this.config.name;
  }
  get alive(): boolean {
    return this.proc !== undefined;
  }

  /** Starts the process, retried if it exits before it is ready; resolves once its services run. */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startOnce();
        this.starts++;
        return;
      } catch (e) {
        if (attempt >= START_ATTEMPTS) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  private startOnce(): Promise<void> {
    const proc = fork(join(HERE, 'fixtures/chaos-node.ts'), [JSON.stringify(this.config)], {
      cwd: ROOT,
      execPath: process.execPath,
      execArgv: ['--conditions=@foundation/source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc = proc;
    return new Promise((resolve, reject) => {
      proc.on('message', (m: Reply) => {
        if (m.id === 0) return resolve();
        const done = this.pending.get(m.id);
        this.pending.delete(m.id);
        done?.(m);
      });
      proc.once('exit', (code, signal) => {
        if (this.proc === proc) this.proc = undefined;
        for (const [id, done] of this.pending) done({ id, ok: false, error: 'CallerKilled', message: `exited (${signal ?? code})` });
        this.pending.clear();
        reject(new Error(`${this.name} exited before it was ready (${signal ?? code})`));
      });
    });
  }

  /** SIGKILL by pid; resolves once it has exited. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    const exited = new Promise((r) => proc.once('exit', r));
    process.kill(proc.pid!, 'SIGKILL');
    await exited;
  }

  /** Asks the process to do `body`; the outcome is its reply, or CallerKilled if it dies first. */
  request(body: Body): Promise<Outcome> {
    const id = this.nextId++;
    if (!this.proc) return Promise.resolve({ id, ok: false, error: 'CallerKilled', message: 'not running' });
    const proc = this.proc;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      // The process may die between the check above and the write: the send then fails here.
      const gone = (e: Error | null) => {
        if (!e || !this.pending.delete(id)) return;
        resolve({ id, ok: false, error: 'CallerKilled', message: e.message });
      };
      if (!proc.connected) gone(new Error('IPC channel closed'));
      else proc.send({ ...body, id }, gone);
    });
  }

  /** The value of a request that must succeed. */
  async ask<T>(body: Body): Promise<T> {
    const o = await this.request(body);
    if (!o.ok) throw new Error(`${this.name} ${body.op}: ${o.error}: ${o.message}`);
    return o.value as T;
  }
}

/** Five (or `n`) node processes and the proxies between them. */
export class ChaosCluster {
  private constructor(
    readonly nodes: ChaosNode[],
    readonly net: Network,
  ) {}

  static async start(n: number, cookie: string): Promise<ChaosCluster> {
    const ports = new Map<string, number>();
    const held: (() => Promise<void>)[] = [];
    for (let i = 0; i < n; i++) {
      const { port, release } = await reservePort();
      ports.set(`n${i}`, port);
      held.push(release);
    }
    const net = await Network.start(ports);
    await Promise.all(held.map((release) => release()));
    const urls = new Map([...ports].map(([name, port]) => [name, `ws://127.0.0.1:${port}`]));
    const nodes = [...ports].map(
      ([name, port]) =>
        new ChaosNode({
          name,
          port,
          cookie,
          peers: [...urls].filter(([m]) => m !== name).map(([, u]) => u),
          routes: net.routesOf(name),
        }),
    );
    const cluster = new ChaosCluster(nodes, net);
    const started = await Promise.allSettled(nodes.map((x) => x.start()));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed !== undefined) {
      // The test never gets the cluster to stop: the nodes that did start must not outlive it.
      await cluster.stop();
      throw failed.reason;
    }
    return cluster;
  }

  node(name: string): ChaosNode {
    const x = this.nodes.find((m) => m.name === name);
    if (!x) throw new Error(`no node ${name}`);
    return x;
  }

  live(): ChaosNode[] {
    return this.nodes.filter((x) => x.alive);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((x) => x.kill()));
    await this.net.stop();
  }
}
