/**
 * Shared benchmark plumbing: warm-up then N timed runs, medians, JSON-line output (results and
 * ratios), the Erlang baseline for the same workload, quiescence waits and `--expose-gc`.
 *
 * Every workload script (`pingpong.ts`, `ring.ts`, `spawn.ts`, `fanout.ts`) calls `benchmark()`
 * with its implementations; stdout carries only JSON lines, progress and warnings go to stderr.
 *
 * Environment:
 *   BENCH_RUNS    timed runs per implementation (default 3; one warm-up run precedes them)
 *   BENCH_WARMUP  untimed warm-up runs per implementation (default 1)
 *   BENCH_ERLANG  set to 0 to skip the Erlang baseline (it is skipped anyway without `erl`)
 *   BENCH_IMPLS   comma-separated implementations to run (e.g. `foundation-call`; default all)
 */
import { spawn } from 'node:child_process';
import type { Node } from '@foundation/runtime';
import { runErlangBaselines, type ErlangResult } from '../erlang/run.js';

/** What one timed run measured. */
export interface Sample {
  /** Items per second: messages (`msgs/s`) or spawns (`spawns/s`). */
  rate: number;
  /** `spawn` only: heap bytes per idle actor, after a full GC. */
  bytesPerItem?: number;
}

/** One implementation's result for one workload: one JSON line. */
export interface Result {
  workload: string;
  /** `foundation`, `foundation-call`, `bare` or `erlang`. */
  impl: string;
  unit: string;
  /** Median of the timed runs (integer). */
  median: number;
  /** Each timed run's rate, in run order (warm-up excluded). */
  runs: number[];
  /** Median bytes per item (spawn). */
  bytesPerItem?: number;
  /** Bytes per item of each timed run (spawn; not printed by the Erlang runner). */
  bytesRuns?: number[];
}

/** A foundation-vs-something comparison: one JSON line. */
export interface Ratio {
  workload: string;
  /** `numerator/denominator`, e.g. `foundation/erlang`. */
  ratio: string;
  /** `median` (rates: > 1 means the numerator is faster) or `bytesPerItem` (< 1 means smaller). */
  metric: 'median' | 'bytesPerItem';
  value: number;
}

/** One implementation of a workload: a function doing one complete, self-timed run. */
export interface Impl {
  impl: string;
  once: () => Promise<Sample>;
}

function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

/** Timed runs per implementation (`BENCH_RUNS`, default 3). */
export const RUNS = intFromEnv('BENCH_RUNS', 3, 1);
/** Untimed warm-up runs per implementation (`BENCH_WARMUP`, default 1). */
export const WARMUP = intFromEnv('BENCH_WARMUP', 1, 0);

/** Median, rounded to an integer as `bench.erl` does (mean of the middle two for even counts). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return Math.round(s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2);
}

/** Rate in items per second from a count and a duration in milliseconds. */
export function rate(count: number, ms: number): number {
  return Math.round((count * 1000) / Math.max(ms, 1e-6));
}

/** Milliseconds, sub-microsecond resolution. */
export function now(): number {
  return performance.now();
}

/** Prints one JSON line on stdout. */
export function emit(line: Result | Ratio): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Progress and warnings: stderr, so that stdout stays JSON lines only. */
export function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/** Full GC when `--expose-gc` is on (no-op otherwise). */
export function collectGarbage(): void {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
}

/**
 * Makes sure `global.gc` exists: when it does not, re-runs this script in a child Node with
 * `--expose-gc` (same loader flags, arguments and environment), passes its exit code on, and
 * resolves `false` — the caller must then do nothing more. Resolves `true` when gc is there.
 */
export async function ensureExposeGc(): Promise<boolean> {
  if (typeof globalThis.gc === 'function') return true;
  if (process.env.BENCH_REEXEC === '1') throw new Error('global.gc still missing after re-exec with --expose-gc');
  const script = process.argv[1];
  if (!script) throw new Error('cannot re-exec: no script path in process.argv');
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', ...process.execArgv, script, ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_REEXEC: '1' },
    });
    child.on('error', reject);
    child.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  process.exitCode = code;
  return false;
}

/** Resolves after the current event-loop turn's immediates (and the dispatcher drains queued so far). */
export function nextImmediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Waits until `node` has nothing left to run: its run queue is empty on two consecutive
 * event-loop turns (the dispatcher drains from `setImmediate`). Use after set-up (spawns run
 * their init on their first turn) so that the timed section starts from an idle node.
 */
export async function waitQuiescent(node: Node, timeoutMs = 120_000): Promise<void> {
  const deadline = now() + timeoutMs;
  let idleTurns = 0;
  while (idleTurns < 2) {
    await nextImmediate();
    idleTurns = node.stats().runQueue === 0 ? idleTurns + 1 : 0;
    if (now() > deadline) throw new Error(`node ${node.name} not quiescent after ${timeoutMs} ms`);
  }
}

/** Throws when a run lost messages (sent to dead processes or unknown targets). */
export function checkNoDeadLetters(node: Node, what: string): void {
  const { deadLetters } = node.stats();
  if (deadLetters !== 0) throw new Error(`${what}: ${deadLetters} dead letters`);
}

/** Warm-up run(s), then `RUNS` timed runs, each after a full GC; prints and returns the result. */
export async function measure(workload: string, unit: string, impl: Impl): Promise<Result> {
  for (let i = 0; i < WARMUP; i++) {
    collectGarbage();
    await impl.once();
  }
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    collectGarbage();
    await nextImmediate();
    samples.push(await impl.once());
  }
  const runs = samples.map((s) => s.rate);
  const result: Result = { workload, impl: impl.impl, unit, median: median(runs), runs };
  const bytes = samples.map((s) => s.bytesPerItem).filter((b): b is number => b !== undefined);
  if (bytes.length > 0) {
    result.bytesPerItem = median(bytes);
    result.bytesRuns = bytes;
  }
  emit(result);
  return result;
}

/** Runs the Erlang baseline for `workload`; null when Erlang is missing, disabled or failed. */
export async function erlangBaseline(workload: string): Promise<ErlangResult | null> {
  if (process.env.BENCH_ERLANG === '0') {
    log(`[${workload}] BENCH_ERLANG=0: skipping the Erlang baseline`);
    return null;
  }
  try {
    const results = await runErlangBaselines({ workloads: [workload], runs: RUNS });
    if (results === null) {
      log(`[${workload}] erl/erlc not on PATH: no Erlang baseline, no foundation/erlang ratio`);
      return null;
    }
    const r = results.find((x) => x.workload === workload) ?? null;
    if (r) emit(r);
    return r;
  } catch (err) {
    log(`[${workload}] Erlang baseline failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
    return null;
  }
}

function ratioLine(workload: string, num: Result | ErlangResult, den: Result | ErlangResult, metric: Ratio['metric']): Ratio | null {
  const a = metric === 'median' ? num.median : num.bytesPerItem;
  const b = metric === 'median' ? den.median : den.bytesPerItem;
  if (a === undefined || b === undefined || b === 0) return null;
  return { workload, ratio: `${num.impl}/${den.impl}`, metric, value: Math.round((a / b) * 1000) / 1000 };
}

/**
 * A workload's whole benchmark: each implementation measured in turn (warm-up + timed runs),
 * then Erlang's baseline, then ratio lines: every `foundation*` implementation over `erlang`
 * and over `bare`, for the rate and (when measured) for bytes per item.
 */
export async function benchmark(spec: {
  workload: string;
  unit: string;
  impls: Impl[];
  /** Erlang's workload to compare with (default: `workload`); null when Erlang has none. */
  erlang?: string | null;
}): Promise<void> {
  const { workload, unit } = spec;
  const only = process.env.BENCH_IMPLS?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const impls = only?.length ? spec.impls.filter((i) => only.includes(i.impl)) : spec.impls;
  const t0 = now();
  const results: Result[] = [];
  for (const impl of impls) {
    log(`[${workload}] ${impl.impl}: ${WARMUP} warm-up + ${RUNS} timed run(s)`);
    results.push(await measure(workload, unit, impl));
  }
  const erlangWorkload = spec.erlang === undefined ? workload : spec.erlang;
  if (erlangWorkload !== null) log(`[${workload}] erlang baseline`);
  const erlang = erlangWorkload === null ? null : await erlangBaseline(erlangWorkload);
  emitRatios(workload, results, erlang);
  log(`[${workload}] done in ${((now() - t0) / 1000).toFixed(1)} s`);
}

/** Ratio lines: every `foundation*` result over `erlang` and over `bare`, rate and bytes. */
function emitRatios(workload: string, results: Result[], erlang: ErlangResult | null): void {
  const bare = results.find((r) => r.impl === 'bare');
  for (const r of results) {
    if (!r.impl.startsWith('foundation')) continue;
    for (const den of [erlang, bare]) {
      if (!den) continue;
      for (const metric of ['median', 'bytesPerItem'] as const) {
        const line = ratioLine(workload, r, den, metric);
        if (line) emit(line);
      }
    }
  }
}

/** One timed Erlang run of `workload` (a fresh BEAM with its own warm-up); null when missing or failed. */
async function erlangOnce(workload: string): Promise<number | null> {
  try {
    const results = await runErlangBaselines({ workloads: [workload], runs: 1 });
    if (results === null) {
      log(`[${workload}] erl/erlc not on PATH: no Erlang baseline, no foundation/erlang ratio`);
      return null;
    }
    const r = results.find((x) => x.workload === workload);
    if (!r || r.runs.length !== 1) throw new Error(`bench.erl printed no run of ${workload}`);
    return r.runs[0]!;
  } catch (err) {
    log(`[${workload}] Erlang baseline failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
    return null;
  }
}

/**
 * Like `benchmark`, but with the Erlang peer interleaved: each implementation's warm-up, then
 * `RUNS` rounds of one timed run of each implementation followed by one Erlang run (a fresh
 * `erl +S 1` with its own warm-up), so that the noise of a shared machine falls on both sides
 * alike. Prints the same lines as `benchmark` (the Erlang line's `runs` are the rounds' runs).
 * For workloads with an Erlang twin measured as a rate; not for bytes per item.
 */
export async function benchmarkInterleaved(spec: { workload: string; unit: string; impls: Impl[] }): Promise<void> {
  const { workload, unit } = spec;
  const only = process.env.BENCH_IMPLS?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const impls = only?.length ? spec.impls.filter((i) => only.includes(i.impl)) : spec.impls;
  const t0 = now();
  let withErlang = process.env.BENCH_ERLANG !== '0';
  if (!withErlang) log(`[${workload}] BENCH_ERLANG=0: skipping the Erlang baseline`);
  log(
    `[${workload}] ${[...impls.map((i) => i.impl), ...(withErlang ? ['erlang'] : [])].join(', ')}: ${WARMUP} warm-up + ${RUNS} timed run(s) each, interleaved`,
  );
  for (const impl of impls) {
    for (let i = 0; i < WARMUP; i++) {
      collectGarbage();
      await impl.once();
    }
  }
  const runs = new Map<string, number[]>(impls.map((i) => [i.impl, []]));
  const erlangRuns: number[] = [];
  for (let round = 0; round < RUNS; round++) {
    for (const impl of impls) {
      collectGarbage();
      await nextImmediate();
      runs.get(impl.impl)!.push((await impl.once()).rate);
    }
    if (withErlang) {
      const r = await erlangOnce(workload);
      if (r === null) withErlang = false;
      else erlangRuns.push(r);
    }
  }
  const results: Result[] = impls.map((i) => {
    const rs = runs.get(i.impl)!;
    return { workload, impl: i.impl, unit, median: median(rs), runs: rs };
  });
  for (const r of results) emit(r);
  let erlang: ErlangResult | null = null;
  if (withErlang && erlangRuns.length === RUNS) {
    erlang = { workload, impl: 'erlang', unit, median: median(erlangRuns), runs: erlangRuns };
    emit(erlang);
  }
  emitRatios(workload, results, erlang);
  log(`[${workload}] done in ${((now() - t0) / 1000).toFixed(1)} s`);
}

/** Entry point wrapper: reports a failure on stderr with a non-zero exit code. */
export function main(fn: () => Promise<void>): void {
  fn().catch((err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  });
}
