import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1 (the OS picks it; the server started next binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port }, () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/**
 * A nats-server child process on 127.0.0.1 (Debian's /usr/sbin/nats-server), started with a
 * config file of its own in a temp dir; `stop()` kills it by pid, `start()` starts it again on
 * the same port (a server restart).
 */
export class NatsServer {
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'foundation-nats-'));

  private constructor(
    readonly port: number,
    /** The config file's text (change it, then stop() and start(): a server restarted with another config). */
    public config: string,
  ) {}

  /** Starts a server; `extra` is more config text (a gateway block, authorization). */
  static async start(extra = '', port?: number): Promise<NatsServer> {
    const p = port ?? (await freePort());
    const s = new NatsServer(p, `listen: 127.0.0.1:${p}\n${extra}\n`);
    await s.start();
    return s;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const conf = join(this.dir, 'server.conf');
    writeFileSync(conf, this.config);
    const child = spawn('nats-server', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    this.child = child;
    const deadline = performance.now() + 10_000;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null || performance.now() > deadline) throw new Error(`nats-server on ${this.port} did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Kills the server (SIGKILL: no goodbye to its clients) and waits for it to be gone. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Stops the server and removes its temp dir. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
