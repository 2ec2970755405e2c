/**
 * The logic of `pnpm bench:check`, pure: benchmark JSON lines are parsed into typed figures at
 * one boundary (`parseBenchLines`), each target is judged against them (`evaluate`), and the
 * verdicts are laid out as a table (`formatTable`). No I/O here, so a captured file and a live
 * run are judged by the same code.
 */

/** One performance target: a figure of one implementation of one workload, bounded. */
export interface Target {
  /** The `workload` field of the result line, e.g. `call-seq`. */
  workload: string;
  /** The `impl` field of the result line, e.g. `foundation`. */
  impl: string;
  /** The numeric field of the result line to judge: `median`, `p50`, `p99`, `bytesPerItem`... */
  metric: string;
  /**
   * When set, the bound applies to the ratio figure / peer's figure (same workload, same
   * metric), e.g. `erlang` or `raw-postmessage`, both measured in the same run. A missing peer
   * is a miss, never a pass.
   */
  peer?: string;
  /** Higher is better: the figure (or ratio) must be at least this. */
  atLeast?: number;
  /** Lower is better (latencies, bytes): the figure (or ratio) must be at most this. */
  atMost?: number;
}

/** A result line's figures, as parsed from a benchmark's JSON line. */
export interface BenchFigures {
  workload: string;
  impl: string;
  unit: string | undefined;
  /** Every numeric field of the line: `median`, `p50`, `p99`, `bytesPerItem`... */
  values: Readonly<Record<string, number>>;
}

/** A target that is not one: no bound, both bounds, or a bound that is not a finite number. */
export class TargetError extends Error {
  override readonly name = 'TargetError';
  constructor(
    readonly target: unknown,
    why: string,
  ) {
    super(`bad benchmark target (${why}): ${JSON.stringify(target)}`);
  }
}

/** A line of captured benchmark output that starts like JSON but is not a JSON object. */
export class BenchLineError extends Error {
  override readonly name = 'BenchLineError';
  constructor(
    readonly lineNumber: number,
    readonly line: string,
    why: string,
  ) {
    super(`benchmark output line ${lineNumber} (${why}): ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`);
  }
}

/**
 * Parses benchmark output: each line starting with `{` must be a JSON object; result lines (with
 * string `workload` and `impl`) become figures, ratio lines (no `impl`) and other text are
 * skipped. When a workload/impl pair appears twice, the later line wins (a re-run replaces it).
 */
export function parseBenchLines(text: string): BenchFigures[] {
  const byKey = new Map<string, BenchFigures>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line.startsWith('{')) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new BenchLineError(i + 1, line, err instanceof Error ? err.message : String(err));
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BenchLineError(i + 1, line, 'not a JSON object');
    const o = v as Record<string, unknown>;
    if (typeof o.workload !== 'string' || typeof o.impl !== 'string') continue;
    const values: Record<string, number> = {};
    for (const [k, x] of Object.entries(o)) if (typeof x === 'number' && Number.isFinite(x)) values[k] = x;
    const figures: BenchFigures = { workload: o.workload, impl: o.impl, unit: typeof o.unit === 'string' ? o.unit : undefined, values };
    const key = `${o.workload}\u0000${o.impl}`;
    byKey.delete(key); // keeps the map in the order of the latest lines
    byKey.set(key, figures);
  }
  return [...byKey.values()];
}

/** Throws TargetError unless `t` has exactly one finite bound and non-empty names. */
export function checkTarget(t: Target): void {
  for (const k of ['workload', 'impl', 'metric'] as const) {
    if (typeof t[k] !== 'string' || t[k] === '') throw new TargetError(t, `${k} must be a non-empty string`);
  }
  if (t.peer !== undefined && (typeof t.peer !== 'string' || t.peer === '')) throw new TargetError(t, 'peer must be a non-empty string');
  const bounds = [t.atLeast, t.atMost].filter((b) => b !== undefined);
  if (bounds.length !== 1) throw new TargetError(t, 'exactly one of atLeast / atMost');
  if (typeof bounds[0] !== 'number' || !Number.isFinite(bounds[0])) throw new TargetError(t, 'the bound must be a finite number');
}

/** What a target came to. Only `met` passes. */
export type Verdict = 'met' | 'missed' | 'no figure' | 'peer missing';

/** One row of the check: the target, the figures it was judged on, and the verdict. */
export interface Row {
  target: Target;
  /** The figure of `target.impl`, or null when no line had it. */
  figure: number | null;
  unit: string | undefined;
  /** The peer's figure (same workload and metric), or null (no peer, or missing). */
  peerFigure: number | null;
  /** figure / peerFigure, when both are there and the peer's is not 0. */
  ratio: number | null;
  verdict: Verdict;
}

function find(figures: readonly BenchFigures[], workload: string, impl: string): BenchFigures | undefined {
  return figures.find((f) => f.workload === workload && f.impl === impl);
}

/** Judges every target against the figures (targets are checked first: see `checkTarget`). */
export function evaluate(targets: readonly Target[], figures: readonly BenchFigures[]): Row[] {
  return targets.map((target) => {
    checkTarget(target);
    const own = find(figures, target.workload, target.impl);
    const figure = own?.values[target.metric] ?? null;
    const row: Row = { target, figure, unit: own?.unit, peerFigure: null, ratio: null, verdict: 'no figure' };
    if (target.peer !== undefined) {
      row.peerFigure = find(figures, target.workload, target.peer)?.values[target.metric] ?? null;
      if (figure === null) return row;
      if (row.peerFigure === null || row.peerFigure === 0) {
        row.verdict = 'peer missing';
        return row;
      }
      row.ratio = figure / row.peerFigure;
    }
    if (figure === null) return row;
    const judged = row.ratio ?? figure;
    const ok = target.atLeast !== undefined ? judged >= target.atLeast : judged <= target.atMost!;
    row.verdict = ok ? 'met' : 'missed';
    return row;
  });
}

/** True when every row met its target. */
export function allMet(rows: readonly Row[]): boolean {
  return rows.every((r) => r.verdict === 'met');
}

function fmtNumber(n: number | null): string {
  if (n === null) return '—';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n.toLocaleString('en-US', { maximumSignificantDigits: 4 });
}

function fmtTarget(t: Target, unit: string | undefined): string {
  const op = t.atLeast !== undefined ? '≥' : '≤';
  const bound = (t.atLeast ?? t.atMost)!;
  if (t.peer !== undefined) return `${op} ${bound}× ${t.peer}`;
  return `${op} ${fmtNumber(bound)}${t.metric === 'bytesPerItem' ? ' B' : unit ? ` ${unit}` : ''}`;
}

const MARK: Record<Verdict, string> = { met: '✓', missed: '✗', 'no figure': '✗ no figure', 'peer missing': '✗ peer missing' };

/** The check as a Markdown table: figure, peer figure, ratio, target, ✓/✗ per row. */
export function formatTable(rows: readonly Row[]): string {
  const out = ['| workload | impl | metric | figure | peer | peer figure | ratio | target | |', '|---|---|---|---:|---|---:|---:|---|---|'];
  for (const r of rows) {
    const t = r.target;
    const unit = t.metric === 'bytesPerItem' ? 'B' : r.unit;
    const figure = r.figure === null ? '—' : `${fmtNumber(r.figure)}${unit ? ` ${unit}` : ''}`;
    out.push(
      `| ${t.workload} | ${t.impl} | ${t.metric} | ${figure} | ${t.peer ?? ''} | ${t.peer === undefined ? '' : fmtNumber(r.peerFigure)} | ${r.ratio === null ? '' : `${r.ratio.toFixed(2)}×`} | ${fmtTarget(t, r.unit)} | ${MARK[r.verdict]} |`,
    );
  }
  const missed = rows.filter((r) => r.verdict !== 'met').length;
  out.push('', missed === 0 ? `all ${rows.length} targets met` : `${missed} of ${rows.length} targets missed`);
  return out.join('\n');
}
