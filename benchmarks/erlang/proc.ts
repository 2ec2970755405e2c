/**
 * Child-process plumbing of the Erlang runners: finding `erl`/`erlc`/`epmd` on PATH, running a
 * command with a deadline while streaming its stdout lines, and compiling `bench.erl` with its
 * gen_server module into a scratch directory.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The Erlang sources of the baselines: the benchmark driver and the gen_server it calls. */
const SOURCES = [join(HERE, 'bench.erl'), join(HERE, 'bench_server.erl')];

/** Absolute path of `name` if it is an executable on PATH, else null. */
export function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** How a command run by `exec` ended, with everything it printed. */
export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Calls `onLine` for each complete line of a stream of text chunks; returns the feeder and a flush. */
export function lineSplitter(onLine: (line: string) => void): { feed: (chunk: string) => void; flush: () => void } {
  let pending = '';
  return {
    feed(chunk) {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        onLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    },
    flush() {
      if (pending) onLine(pending);
      pending = '';
    },
  };
}

/**
 * Runs a command to its end (SIGKILL at `timeoutMs`), calling `onLine` for each complete stdout
 * line as it arrives.
 */
export function exec(
  cmd: string,
  args: string[],
  opts: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void },
): Promise<ExecResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const lines = opts.onLine ? lineSplitter(opts.onLine) : null;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      lines?.feed(chunk);
    });
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      lines?.flush();
      resolvePromise({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** An Error saying how `what` failed (exit code, signal or timeout) with what it printed. */
export function describeFailure(what: string, r: ExecResult, timeoutMs: number): Error {
  const why = r.timedOut ? `timed out after ${timeoutMs} ms` : r.signal ? `killed by ${r.signal}` : `exited with code ${r.code}`;
  const detail = (r.stderr || r.stdout).trim();
  return new Error(`${what} ${why}${detail ? `:\n${detail}` : ''}`);
}

/** Compiles the Erlang sources into `dir` (rejects with erlc's output when that fails). */
export async function compileBench(erlc: string, dir: string, timeoutMs: number): Promise<void> {
  const compiled = await exec(erlc, ['-o', dir, ...SOURCES], { cwd: dir, timeoutMs });
  if (compiled.code !== 0) throw describeFailure('erlc', compiled, timeoutMs);
}
