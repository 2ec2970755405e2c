/**
 * The two-node Erlang distribution baseline (`dist-call-rtt`): sequential `gen_server:call`s
 * from node a to a registered gen_server on node b, two BEAMs on 127.0.0.1 (`erl +S 1` each, a
 * fixed cookie), 1,000 warm-up calls then 20,000 timed one by one; p50 and p99 in µs.
 *
 * It never touches a machine-wide epmd: it starts its own `epmd -port <free port>` as a child
 * process (not `-daemon`), points both nodes at it with ERL_EPMD_PORT (and `-start_epmd false`,
 * so a node never starts a daemon of its own), and kills epmd and the nodes by pid when done,
 * also on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileBench, describeFailure, exec, findOnPath, lineSplitter } from './proc.js';
import { resultCollector, type ErlangResult } from './result.js';

const COOKIE = 'foundation_bench';
const SERVER_NODE = 'b@127.0.0.1';
const CLIENT_NODE = 'a@127.0.0.1';
const START_TIMEOUT_MS = 30_000;

/** A child process this runner started, with a promise of its end. */
interface Owned {
  proc: ChildProcess;
  closed: Promise<void>;
}

function own(cmd: string, args: string[], env: NodeJS.ProcessEnv): Owned {
  const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const closed = new Promise<void>((resolve) => {
    proc.once('close', () => resolve());
    // A spawn failure also ends with 'close' (or never started): either way nothing to wait for.
    proc.once('error', () => resolve());
  });
  return { proc, closed };
}

/** Kills what this runner started, by pid, and waits until each has gone. */
async function killAll(children: Owned[]): Promise<void> {
  for (const c of children) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  }
  await Promise.all(children.map((c) => c.closed));
}

/** A TCP port that was free on 127.0.0.1 a moment ago (the caller retries if it is taken by then). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port from listen(0)'))));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts a private epmd on a free loopback port; tries three ports before giving up. */
async function startEpmd(epmd: string, children: Owned[]): Promise<number> {
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = own(epmd, ['-port', String(port), '-address', '127.0.0.1'], process.env);
    children.push(child);
    let stderr = '';
    child.proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && child.proc.exitCode === null && child.proc.signalCode === null) {
      if (await canConnect(port)) return port;
      await new Promise((r) => setTimeout(r, 20));
    }
    lastError = `epmd on port ${port} ${child.proc.exitCode === null ? 'did not listen within 5 s' : `exited with ${child.proc.exitCode}`}${stderr ? `: ${stderr.trim()}` : ''}`;
    await killAll([child]);
  }
  throw new Error(`could not start a private epmd: ${lastError}`);
}

function nodeArgs(name: string, work: string): string[] {
  return [
    ...['+S', '1', '-name', name, '-setcookie', COOKIE, '-start_epmd', 'false'],
    ...['-kernel', 'inet_dist_use_interface', '{127,0,0,1}', '-noshell', '-pa', work],
  ];
}

/** Starts node b with its registered gen_server; resolves once it printed `ready`. */
function startServerNode(erl: string, work: string, env: NodeJS.ProcessEnv, children: Owned[]): Promise<void> {
  const child = own(erl, [...nodeArgs(SERVER_NODE, work), '-run', 'bench', 'dist_serve'], env);
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`node ${SERVER_NODE} not ready after ${START_TIMEOUT_MS} ms: ${output.trim()}`)),
      START_TIMEOUT_MS,
    );
    const lines = lineSplitter((line) => {
      if (line.trim() !== 'ready') return;
      clearTimeout(timer);
      resolve();
    });
    child.proc.stdout?.setEncoding('utf8');
    child.proc.stdout?.on('data', (chunk: string) => {
      output += chunk;
      lines.feed(chunk);
    });
    child.proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.proc.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`node ${SERVER_NODE} exited (${signal ?? code}) before it was ready: ${output.trim()}`));
    });
  });
}

/**
 * Runs `dist-call-rtt` (one warm-up run, then `runs` timed runs); resolves null when `erl`,
 * `erlc` or `epmd` is not on PATH. Rejects when a node or epmd fails; the children are gone
 * either way when it settles.
 */
export async function runDistCallRtt(opts: {
  runs: number;
  timeoutMs: number;
  onResult?: (result: ErlangResult, line: string) => void;
}): Promise<ErlangResult[] | null> {
  const erl = findOnPath('erl');
  const erlc = findOnPath('erlc');
  const epmd = findOnPath('epmd');
  if (!erl || !erlc || !epmd) return null;
  const deadline = Date.now() + opts.timeoutMs;
  const work = mkdtempSync(join(tmpdir(), 'erlang-dist-bench-'));
  const children: Owned[] = [];
  try {
    await compileBench(erlc, work, opts.timeoutMs);
    const port = await startEpmd(epmd, children);
    const env = { ...process.env, ERL_EPMD_PORT: String(port) };
    await startServerNode(erl, work, env, children);
    const collected = resultCollector(opts.onResult);
    const remaining = Math.max(1, deadline - Date.now());
    const ran = await exec(
      erl,
      [...nodeArgs(CLIENT_NODE, work), '-run', 'bench', 'main', String(opts.runs), 'dist_call_rtt', `peer=${SERVER_NODE}`],
      {
        cwd: work,
        env,
        timeoutMs: remaining,
        onLine: collected.onLine,
      },
    );
    if (ran.code !== 0) throw describeFailure(`erl bench (node ${CLIENT_NODE})`, ran, remaining);
    return collected.results();
  } finally {
    await killAll(children);
    rmSync(work, { recursive: true, force: true });
  }
}
