/**
 * What `bench.erl` prints: one JSON line per workload, parsed here into a typed result (the one
 * place its output is read) or rejected with `ErlangOutputError`.
 */

/** One workload's result as printed by `bench.erl`. */
export interface ErlangResult {
  /** Workload name, as the TypeScript side names it: `pingpong`, `call-seq`, `dist-call-rtt`... */
  workload: string;
  /** Always `'erlang'`, to tell baselines apart from the runtime's own results. */
  impl: 'erlang';
  /** Unit of `median` and `runs`: `msgs/s`, `spawns/s`, `calls/s`, or `µs` for latencies. */
  unit: string;
  /** Median of the timed runs (integer for rates; for latencies the median p50, to 0.1 µs). */
  median: number;
  /** Each timed run's rate (or p50), in run order (the warm-up run is excluded). */
  runs: number[];
  /** `spawn` only: median bytes of process memory per idle process. */
  bytesPerItem?: number;
  /** Latencies only: median of the runs' p50 (the same as `median`). */
  p50?: number;
  /** Latencies only: median of the runs' p99. */
  p99?: number;
  /** Latencies only: each timed run's p99. */
  p99Runs?: number[];
}

/** A line from `bench.erl` that looks like a result (starts with `{`) but is not one. */
export class ErlangOutputError extends Error {
  override readonly name = 'ErlangOutputError';
  constructor(
    readonly line: string,
    why: string,
  ) {
    super(`bad result line from bench.erl (${why}): ${line}`);
  }
}

const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');

/** Parses one JSON line from `bench.erl`, or returns null if the line is not a result. */
export function parseResultLine(line: string): ErlangResult | null {
  const text = line.trim();
  if (!text.startsWith('{')) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new ErlangOutputError(text, err instanceof Error ? err.message : String(err));
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ErlangOutputError(text, 'not an object');
  const o = v as Record<string, unknown>;
  if (typeof o.workload !== 'string') throw new ErlangOutputError(text, 'workload is not a string');
  if (o.impl !== 'erlang') throw new ErlangOutputError(text, 'impl is not "erlang"');
  if (typeof o.unit !== 'string') throw new ErlangOutputError(text, 'unit is not a string');
  if (typeof o.median !== 'number') throw new ErlangOutputError(text, 'median is not a number');
  if (!isNumbers(o.runs)) throw new ErlangOutputError(text, 'runs is not a list of numbers');
  for (const k of ['bytesPerItem', 'p50', 'p99'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'number') throw new ErlangOutputError(text, `${k} is not a number`);
  }
  if (o.p99Runs !== undefined && !isNumbers(o.p99Runs)) throw new ErlangOutputError(text, 'p99Runs is not a list of numbers');
  const result: ErlangResult = { workload: o.workload, impl: 'erlang', unit: o.unit, median: o.median, runs: o.runs };
  if (typeof o.bytesPerItem === 'number') result.bytesPerItem = o.bytesPerItem;
  if (typeof o.p50 === 'number') result.p50 = o.p50;
  if (typeof o.p99 === 'number') result.p99 = o.p99;
  if (isNumbers(o.p99Runs)) result.p99Runs = o.p99Runs;
  return result;
}

/**
 * Collects the result lines of one `erl` run as they arrive: `onLine` for `exec`, then
 * `results()` once it ended, which throws the first line that did not parse.
 */
export function resultCollector(onResult?: (result: ErlangResult, line: string) => void): {
  onLine: (line: string) => void;
  results: () => ErlangResult[];
} {
  const results: ErlangResult[] = [];
  let parseError: Error | null = null;
  return {
    onLine: (line) => {
      if (parseError) return;
      try {
        const r = parseResultLine(line);
        if (r) {
          results.push(r);
          onResult?.(r, line.trim());
        }
      } catch (err) {
        parseError = err instanceof Error ? err : new Error(String(err));
      }
    },
    results: () => {
      if (parseError) throw parseError;
      return results;
    },
  };
}
