/**
 * Runs the benchmark scripts in sequence, each in a fresh Node process (with `--expose-gc` and
 * the same loader flags as this one), and passes their JSON lines through to stdout unchanged.
 * Their progress (stderr) is passed through as well; at the end, a table of every result and
 * the targets of the workloads that ran (`targets.ts`) are written to stderr. Exits non-zero
 * when any benchmark failed (a missed target does not fail it: that is `pnpm bench:check`).
 *
 *   pnpm bench                                  (the suite of targets.ts: SUITE)
 *   pnpm tsx benchmarks/run-all.ts ring calls   (some scripts, in the order given)
 *
 * BENCH_RUNS, BENCH_WARMUP, BENCH_ERLANG and BENCH_IMPLS are passed on (see lib/harness.ts).
 */
import { evaluate, formatTable, parseBenchLines, type BenchFigures } from './lib/check-table.js';
import { runSuite } from './lib/suite.js';
import { SUITE, TARGETS } from './targets.js';

const fmt = (n: number | undefined): string =>
  n === undefined ? '' : Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumSignificantDigits: 4 });

/** Every result line, with its ratios to `erlang` and `bare` when the script printed them. */
function resultsTable(figures: readonly BenchFigures[], ratios: Map<string, number>): string {
  const out = ['| workload | impl | median | p99 | bytes/item | vs erlang | vs bare |', '|---|---|---:|---:|---:|---:|---:|'];
  for (const f of figures) {
    const v = f.values;
    const vs = (den: string): string => {
      const r = ratios.get(`${f.workload} ${f.impl}/${den}`);
      return r === undefined ? '' : `${r.toFixed(2)}×`;
    };
    out.push(
      `| ${f.workload} | ${f.impl} | ${fmt(v.median)} ${f.unit ?? ''} | ${fmt(v.p99)} | ${v.bytesPerItem === undefined ? '' : `${v.bytesPerItem} B`} | ${vs('erlang')} | ${vs('bare')} |`,
    );
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const scripts = asked.length > 0 ? asked : SUITE;
  const jsonLines: string[] = [];
  const ratios = new Map<string, number>();
  const t0 = performance.now();
  const failed = await runSuite(scripts, (line) => {
    process.stdout.write(`${line}\n`);
    try {
      const o = JSON.parse(line) as { workload?: unknown; ratio?: unknown; metric?: unknown; value?: unknown };
      jsonLines.push(line);
      if (typeof o.ratio === 'string' && o.metric === 'median' && typeof o.value === 'number')
        ratios.set(`${String(o.workload)} ${o.ratio}`, o.value);
    } catch {
      // not JSON: passed through as is, not ours to judge
    }
  });
  const figures = parseBenchLines(jsonLines.join('\n'));
  const seen = new Set(figures.map((f) => f.workload));
  process.stderr.write(`\n${resultsTable(figures, ratios)}\n`);
  const rows = evaluate(
    TARGETS.filter((t) => seen.has(t.workload)),
    figures,
  );
  if (rows.length > 0) process.stderr.write(`\ntargets (targets.ts) of the workloads that ran:\n${formatTable(rows)}\n`);
  process.stderr.write(`[run-all] total ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  if (failed.length > 0) {
    process.stderr.write(`[run-all] failed: ${failed.join(', ')}\n`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
