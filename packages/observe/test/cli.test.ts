import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/cli.js';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli-main.ts', import.meta.url));
const APP = fileURLToPath(new URL('./fixtures/cluster-app.ts', import.meta.url));
const COOKIE = 'cli-test-cookie';

const children: ChildProcess[] = [];

/** Runs the real `foundation` entry point from source in a child process. */
function foundation(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--conditions=@foundation/source', '--import', 'tsx', CLI, ...args], {
    cwd: PKG,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

/** The first stdout line of a child matching `re`, or a failure with what it wrote on stderr. */
function line(child: ChildProcess, re: RegExp, ms = 20_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => reject(new Error(`no line matching ${re} in ${ms} ms; stderr: ${err}`)), ms);
    child.once('exit', (code) => reject(new Error(`exited ${code} before a line matching ${re}; stderr: ${err}`)));
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = re.exec(l);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}

/** Runs the CLI in this process with its output captured. */
async function cli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli([...args, '--cookie', COOKIE], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

let urlA = '';

beforeAll(async () => {
  const a = foundation(['start', '--name', 'cli_a', '--cookie', COOKIE, '--run', APP]);
  urlA = (await line(a, /^node cli_a at (ws:\/\/\S+) dashboard (http:\/\/127\.0\.0\.1:\d+)$/))[1]!;
  const b = foundation(['start', '--name', 'cli_b', '--cookie', COOKIE, '--join', urlA]);
  await line(b, /^node cli_b at ws:\/\/\S+ /);
}, 60_000);

afterAll(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((r) => {
          if (c.exitCode !== null || c.signalCode !== null) return r();
          c.once('exit', () => r());
          c.kill('SIGTERM');
        }),
    ),
  );
});

describe('foundation CLI against a cluster of two node processes', () => {
  it('nodes lists both nodes with their links (the real binary, in a child process)', async () => {
    const child = foundation(['nodes', '--url', urlA, '--cookie', COOKIE]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
    const rows = out.split('\n').filter((l) => /^cli_[ab] /.test(l));
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(['cli_a', 'cli_b']);
    expect(rows[0]).toMatch(/cli_b/); // a's peers include b
  });

  it('ps lists processes by mailbox, info shows one, kill ends it and its supervisor restarts it', async () => {
    const ps = await cli('ps', '--url', urlA, '--node', 'cli_a');
    expect(ps.code).toBe(0);
    expect(ps.out[0]).toMatch(/^PID\s+PROCESS\s+STATUS\s+MAILBOX\s+MSGS\/S/);
    const worker = ps.out.find((l) => / worker /.test(l));
    expect(worker).toBeDefined();
    const pid = worker!.split(/\s+/)[0]!;
    expect(pid).toMatch(/^<cli_a\.\d+\.\d+>$/);

    const info = await cli('info', '--url', urlA, pid);
    expect(info.code).toBe(0);
    expect(info.out).toEqual(expect.arrayContaining([`pid        ${pid}`, 'class      Worker', 'name       worker']));

    const kill = await cli('kill', '--url', urlA, pid);
    expect(kill).toMatchObject({ code: 0, out: [`killed ${pid}`] });
    // The supervisor restarts it: 'worker' is held by a new pid.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const again = await cli('ps', '--url', urlA, '--node', 'cli_a');
      const w = again.out.find((l) => / worker /.test(l));
      if (w !== undefined && !w.startsWith(pid)) break;
      if (Date.now() > deadline) throw new Error(`worker not restarted: ${again.out.join('\n')}`);
    }
    const gone = await cli('info', '--url', urlA, pid);
    expect(gone.code).toBe(1);
    expect(gone.err.join('\n')).toContain('no such process');
  });

  it('trace prints the ticks the worker receives, collected from the cluster', async () => {
    const t = await cli('trace', '--url', urlA, 'worker', '--duration', '600');
    expect(t.code).toBe(0);
    const ticks = t.out.filter((l) => / cli_a <cli_a\.\d+\.\d+> receive info <- 'tick'$/.test(l));
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(t.err.some((l) => l.startsWith("tracing 'worker' on cli_a, cli_b"))).toBe(true);
  });

  it('dashboard serves the cluster s dashboard from a node of its own', async () => {
    const child = foundation(['dashboard', '--url', urlA, '--cookie', COOKIE]);
    const url = (await line(child, /^dashboard (http:\/\/127\.0\.0\.1:\d+)$/))[1]!;
    const view = (await (await fetch(`${url}/api/view`)).json()) as { nodes: { node: string }[] };
    expect(view.nodes.map((n) => n.node)).toEqual(expect.arrayContaining(['cli_a', 'cli_b']));
    expect((await fetch(url)).headers.get('content-type')).toContain('text/html');
  });

  it('refuses a command without a cookie or a url, saying what is missing', async () => {
    const none = await runCli(['nodes'], { out: () => {}, err: (l) => expect(l).toContain('cookie') });
    expect(none).toBe(2);
    const noUrl = await cli('ps');
    expect(noUrl.code).toBe(2);
    expect(noUrl.err[0]).toContain('--url');
  });
});
