/**
 * Runner for the Erlang/OTP baseline benchmarks in `bench.erl`.
 *
 * Compiles `bench.erl` and `bench_server.erl` with `erlc` into a temporary directory (removed
 * afterwards), runs them on a single-scheduler BEAM (`erl +S 1`) and parses the JSON lines they
 * print; `dist-call-rtt` runs on two BEAMs with their own epmd (`dist.ts`). Usable as a library
 * (`runErlangBaselines`) or as a CLI:
 *
 *   pnpm tsx benchmarks/erlang/run.ts [pingpong|ring|spawn|fanout|call-seq|call-concurrent|dist-call-rtt ...] [runs]
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDistCallRtt } from './dist.js';
import { compileBench, describeFailure, exec, findOnPath } from './proc.js';
import { resultCollector, type ErlangResult } from './result.js';

export type { ErlangResult } from './result.js';
export { ErlangOutputError } from './result.js';

/** Workloads one single-scheduler BEAM runs, in the order they run by default. */
const LOCAL_WORKLOADS = ['pingpong', 'ring', 'spawn', 'fanout', 'call-seq', 'call-concurrent'] as const;
/** The two-node case: not in the default set (it needs epmd and two BEAMs). */
const DIST_WORKLOAD = 'dist-call-rtt';
const WORKLOADS: readonly string[] = [...LOCAL_WORKLOADS, DIST_WORKLOAD];

/** Runs the single-BEAM workloads in one `erl +S 1`, streaming each result as it is printed. */
async function runLocal(
  workloads: string[],
  runs: number,
  timeoutMs: number,
  onResult?: (result: ErlangResult, line: string) => void,
): Promise<ErlangResult[] | null> {
  const erl = findOnPath('erl');
  const erlc = findOnPath('erlc');
  if (!erl || !erlc) return null;

  const deadline = Date.now() + timeoutMs;
  const work = mkdtempSync(join(tmpdir(), 'erlang-bench-'));
  try {
    await compileBench(erlc, work, timeoutMs);
    const collected = resultCollector(onResult);
    const remaining = Math.max(1, deadline - Date.now());
    const ran = await exec(
      erl,
      // One scheduler; +P raises the process limit (default 262144) for `spawn`.
      ['+S', '1', '+P', '2000000', '-noshell', '-pa', work, '-run', 'bench', 'main', String(runs), ...workloads],
      {
        cwd: work,
        timeoutMs: remaining,
        onLine: collected.onLine,
      },
    );
    if (ran.code !== 0) throw describeFailure('erl bench', ran, remaining);
    return collected.results();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function run(
  opts: { workloads?: string[]; runs?: number; timeoutMs?: number },
  onResult?: (result: ErlangResult, line: string) => void,
): Promise<ErlangResult[] | null> {
  const workloads = opts.workloads?.length ? opts.workloads : [...LOCAL_WORKLOADS];
  for (const w of workloads) {
    if (!WORKLOADS.includes(w)) throw new Error(`unknown Erlang workload "${w}" (expected one of ${WORKLOADS.join(', ')})`);
  }
  const runs = opts.runs ?? 3;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a positive integer, got ${runs}`);
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  const deadline = Date.now() + timeoutMs;

  const local = workloads.filter((w) => w !== DIST_WORKLOAD);
  const results: ErlangResult[] = [];
  if (local.length > 0) {
    const r = await runLocal(local, runs, timeoutMs, onResult);
    if (r === null) return null;
    results.push(...r);
  }
  if (workloads.includes(DIST_WORKLOAD)) {
    const r = await runDistCallRtt({ runs, timeoutMs: Math.max(1, deadline - Date.now()), onResult });
    if (r === null) return null;
    results.push(...r);
  }
  return results;
}

/**
 * Runs the Erlang baselines if `erl` is on PATH; resolves null when it is not
 * (or when `erlc` or, for `dist-call-rtt`, `epmd` — all in Debian's erlang-nox — is missing).
 *
 * @param opts.workloads subset of `pingpong`, `ring`, `spawn`, `fanout`, `call-seq`,
 *                       `call-concurrent`, `dist-call-rtt` (default: all but `dist-call-rtt`)
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
