import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { vi } from 'vitest';

/** Waits until `fn` stops throwing (polls; no fixed sleep). */
export const until = (fn: () => unknown, timeout = 5000) => vi.waitFor(fn, { interval: 5, timeout });

/** The rejection of `p` (fails the test when it resolves). */
export async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection, got a value');
}

/** A free TCP port on the loopback (the OS picks it; closed again before it is used). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A redis-server of this test's own on the loopback, without persistence. */
export class RedisServer {
  private proc: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  /** Starts one on a free port and resolves once it accepts commands. */
  static async start(port?: number): Promise<RedisServer> {
    const s = new RedisServer(port ?? (await freePort()));
    await s.restart();
    return s;
  }

  /** (Re)starts the server on its port; resolves once it is ready. */
  async restart(): Promise<void> {
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.proc = proc;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`)));
    });
  }

  /** Stops the server's process (SIGSTOP): it holds connections open and answers nothing. */
  pause(): void {
    this.proc?.kill('SIGSTOP');
  }

  /** Lets a paused server run again (SIGCONT). */
  resume(): void {
    this.proc?.kill('SIGCONT');
  }

  /** Kills the server (SIGKILL: an outage, not a clean shutdown) and waits for it to be gone. */
  async kill(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await gone;
  }
}
