/**
 * `pnpm bench:check`: every performance target of `targets.ts` against its figure and peer,
 * failing (exit 1) on any miss — a missing figure or a missing peer (e.g. Erlang not installed)
 * is a miss. Run it before touching a hot path.
 *
 *   pnpm bench:check                       run the whole suite (SUITE), then check every target
 *   pnpm bench:check calls threads         run these scripts only; check the targets of the
 *                                          workloads they printed
 *   pnpm bench:check --from run.jsonl      check captured JSON lines (e.g. a `pnpm bench` stdout)
 *                                          without running anything; every target is checked
 *   --save file                            keep the JSON lines of this run (default: a file in
 *                                          the OS temp dir, named at the end)
 *
 * The table goes to stdout; the benchmarks' progress to stderr. BENCH_RUNS and the other
 * harness variables are passed on to the scripts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allMet, evaluate, formatTable, parseBenchLines } from './lib/check-table.js';
import { runSuite } from './lib/suite.js';
import { SUITE, TARGETS } from './targets.js';

/** A command line `check.ts` cannot act on. */
class CheckUsageError extends Error {
  override readonly name = 'CheckUsageError';
}

interface Args {
  from?: string;
  save?: string;
  scripts: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { scripts: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--from' || a === '--save') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--'))
        throw new CheckUsageError(`${a} needs a file name, got ${v === undefined ? 'nothing' : `"${v}"`}`);
      if (a === '--from') args.from = v;
      else args.save = v;
    } else if (a.startsWith('--')) {
      throw new CheckUsageError(`unknown option "${a}" (known: --from <file>, --save <file>)`);
    } else {
      args.scripts.push(a);
    }
  }
  if (args.from !== undefined && (args.scripts.length > 0 || args.save !== undefined)) {
    throw new CheckUsageError(
      `--from checks a file without running anything: drop ${args.scripts.length > 0 ? `the scripts (${args.scripts.join(' ')})` : '--save'}`,
    );
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let text: string;
  let failed: string[] = [];
  let subset = false;
  if (args.from !== undefined) {
    text = readFileSync(args.from, 'utf8');
  } else {
    subset = args.scripts.length > 0;
    const lines: string[] = [];
    failed = await runSuite(subset ? args.scripts : SUITE, (line) => lines.push(line));
    text = lines.join('\n') + '\n';
    const save = args.save ?? join(mkdtempSync(join(tmpdir(), 'bench-check-')), 'run.jsonl');
    writeFileSync(save, text);
    process.stderr.write(`[check] JSON lines saved to ${save} (re-check with --from)\n`);
  }
  const figures = parseBenchLines(text);
  const seen = new Set(figures.map((f) => f.workload));
  const targets = subset ? TARGETS.filter((t) => seen.has(t.workload)) : TARGETS;
  const rows = evaluate(targets, figures);
  process.stdout.write(`${formatTable(rows)}\n`);
  const machine = figures.find((f) => f.workload === 'machine' && f.impl === 'first-touch')?.values.median;
  if (machine !== undefined)
    process.stdout.write(
      `machine: first touch of memory ${machine} µs per 4 KiB page (benchmarks/machine.ts; bare-metal Linux: well under 1)\n`,
    );
  if (subset && rows.length < TARGETS.length)
    process.stdout.write(`(${TARGETS.length - rows.length} targets of workloads not run are not checked)\n`);
  if (rows.length === 0) process.stdout.write('no target covers the workloads that ran: nothing was checked\n');
  if (failed.length > 0) process.stdout.write(`benchmarks that failed: ${failed.join(', ')}\n`);
  if (!allMet(rows) || failed.length > 0 || rows.length === 0) process.exitCode = 1;
}

/** Errors that say all there is to say about bad input: no stack trace for them. */
const INPUT_ERRORS = new Set(['CheckUsageError', 'UnknownScriptError', 'BenchLineError', 'TargetError']);

main().catch((err: unknown) => {
  const text =
    err instanceof Error ? (INPUT_ERRORS.has(err.name) ? `${err.name}: ${err.message}` : (err.stack ?? err.message)) : String(err);
  process.stderr.write(`${text}\n`);
  process.exitCode = 2;
});
