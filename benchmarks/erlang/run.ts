/**
 * Runner for the Erlang/OTP baseline benchmarks in `bench.erl`.
 *
 * Compiles `bench.erl` with `erlc` into a temporary directory (removed
 * afterwards), runs it on a single-scheduler BEAM (`erl +S 1`) and parses the
 * JSON lines it prints. Usable as a library (`runErlangBaselines`) or as a CLI:
 *
 *   pnpm tsx benchmarks/erlang/run.ts [pingpong|ring|spawn|fanout ...] [runs]
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One workload's result as printed by `bench.erl`. */
export interface ErlangResult {
  /** Workload name: `pingpong`, `ring`, `spawn` or `fanout`. */
  workload: string;
  /** Always `'erlang'`, to tell baselines apart from the runtime's own results. */
  impl: 'erlang';
  /** Unit of `median` and `runs`: `msgs/s` or `spawns/s`. */
  unit: string;
  /** Median of the timed runs (integer). */
  median: number;
  /** Each timed run's rate, in run order (the warm-up run is excluded). */
  runs: number[];
  /** `spawn` only: median bytes of process memory per idle process. */
  bytesPerItem?: number;
}

/** Workloads implemented by `bench.erl`, in the order they run by default. */
const WORKLOADS = ['pingpong', 'ring', 'spawn', 'fanout'] as const;

const HERE = dirname(fileURLToPath(import.meta.url));
const BENCH_ERL = join(HERE, 'bench.erl');

/** Absolute path of `name` if it is an executable on PATH, else null. */
function findOnPath(name: string): string | null {
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

interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command, calling `onLine` for each complete stdout line as it arrives. */
function exec(cmd: string, args: string[], opts: { cwd: string; timeoutMs: number; onLine?: (line: string) => void }): Promise<ExecResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      if (!opts.onLine) return;
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        opts.onLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
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
      if (opts.onLine && pending) opts.onLine(pending);
      resolvePromise({ code, signal, stdout, stderr, timedOut });
    });
  });
}

function describeFailure(what: string, r: ExecResult, timeoutMs: number): Error {
  const why = r.timedOut ? `timed out after ${timeoutMs} ms` : r.signal ? `killed by ${r.signal}` : `exited with code ${r.code}`;
  const detail = (r.stderr || r.stdout).trim();
  return new Error(`${what} ${why}${detail ? `:\n${detail}` : ''}`);
}

/** Parses one JSON line from `bench.erl`, or returns null if the line is not a result. */
function parseLine(line: string): ErlangResult | null {
  const text = line.trim();
  if (!text.startsWith('{')) return null;
  const v: unknown = JSON.parse(text);
  if (typeof v !== 'object' || v === null) throw new Error(`bad result line: ${text}`);
  const o = v as Record<string, unknown>;
  if (
    typeof o.workload !== 'string' ||
    o.impl !== 'erlang' ||
    typeof o.unit !== 'string' ||
    typeof o.median !== 'number' ||
    !Array.isArray(o.runs) ||
    !o.runs.every((x) => typeof x === 'number') ||
    (o.bytesPerItem !== undefined && typeof o.bytesPerItem !== 'number')
  ) {
    throw new Error(`bad result line: ${text}`);
  }
  const result: ErlangResult = {
    workload: o.workload,
    impl: 'erlang',
    unit: o.unit,
    median: o.median,
    runs: o.runs as number[],
  };
  if (typeof o.bytesPerItem === 'number') result.bytesPerItem = o.bytesPerItem;
  return result;
}

async function run(
  opts: { workloads?: string[]; runs?: number; timeoutMs?: number },
  onResult?: (result: ErlangResult, line: string) => void,
): Promise<ErlangResult[] | null> {
  const workloads = opts.workloads?.length ? opts.workloads : [...WORKLOADS];
  for (const w of workloads) {
    if (!(WORKLOADS as readonly string[]).includes(w)) {
      throw new Error(`unknown Erlang workload "${w}" (expected one of ${WORKLOADS.join(', ')})`);
    }
  }
  const runs = opts.runs ?? 3;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a positive integer, got ${runs}`);
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;

  const erl = findOnPath('erl');
  const erlc = findOnPath('erlc');
  if (!erl || !erlc) return null;

  const deadline = Date.now() + timeoutMs;
  const work = mkdtempSync(join(tmpdir(), 'erlang-bench-'));
  try {
    const compiled = await exec(erlc, ['-o', work, BENCH_ERL], { cwd: work, timeoutMs });
    if (compiled.code !== 0) throw describeFailure('erlc', compiled, timeoutMs);

    const results: ErlangResult[] = [];
    let parseError: Error | null = null;
    const remaining = Math.max(1, deadline - Date.now());
    const ran = await exec(
      erl,
      // One scheduler; +P raises the process limit (default 262144) for `spawn`.
      ['+S', '1', '+P', '2000000', '-noshell', '-pa', work, '-run', 'bench', 'main', String(runs), ...workloads],
      {
        cwd: work,
        timeoutMs: remaining,
        onLine: (line) => {
          if (parseError) return;
          try {
            const r = parseLine(line);
            if (r) {
              results.push(r);
              onResult?.(r, line.trim());
            }
          } catch (err) {
            parseError = err instanceof Error ? err : new Error(String(err));
          }
        },
      },
    );
    if (ran.code !== 0) throw describeFailure('erl bench', ran, timeoutMs);
    if (parseError) throw parseError;
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Runs the Erlang baselines if `erl` is on PATH; resolves null when it is not
 * (or when `erlc`, which ships in the same package, is missing).
 *
 * @param opts.workloads subset of `pingpong`, `ring`, `spawn`, `fanout` (default: all four)
 * @param opts.runs      timed runs per workload after one warm-up run (default 3)
 * @param opts.timeoutMs kill the Erlang VM after this long (default 10 minutes)
 * @returns one result per workload, in the order run; rejects if the benchmark fails
 */
export function runErlangBaselines(
  opts: {
    workloads?: string[];
    runs?: number;
    timeoutMs?: number;
  } = {},
): Promise<ErlangResult[] | null> {
  return run(opts);
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  const self = fileURLToPath(import.meta.url);
  const canon = (p: string): string => {
    try {
      return realpathSync(resolve(p));
    } catch {
      return resolve(p);
    }
  };
  return canon(entry) === canon(self);
}

/** CLI entry: `run.ts [workload ...] [runs]`; streams the JSON lines to stdout. */
async function cli(args: string[]): Promise<void> {
  const runsArg = args.find((a) => /^\d+$/.test(a));
  const workloads = args.filter((a) => !/^\d+$/.test(a) && a !== 'all');
  try {
    const results = await run({ workloads, runs: runsArg === undefined ? undefined : Number(runsArg) }, (_r, line) =>
      process.stdout.write(`${line}\n`),
    );
    if (results === null) {
      process.stderr.write('erl/erlc not found on PATH; skipping Erlang baselines\n');
      process.exitCode = 1;
    }
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

if (isMain()) void cli(process.argv.slice(2));
