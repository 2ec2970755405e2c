/**
 * Runs the four workload benchmarks in sequence, each in a fresh Node process (with
 * `--expose-gc` and the same loader flags as this one), and passes their JSON lines through to
 * stdout unchanged. Their progress (stderr) is passed through as well; at the end a summary
 * table with the targets is written to stderr. Exits non-zero when any benchmark failed.
 *
 *   pnpm bench                                  (all four)
 *   pnpm tsx benchmarks/run-all.ts ring spawn   (a subset, in the order given)
 *
 * BENCH_RUNS, BENCH_WARMUP, BENCH_ERLANG and BENCH_IMPLS are passed on (see lib/harness.ts).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const WORKLOADS = ['pingpong', 'ring', 'spawn', 'fanout', 'threads'] as const;

/** Targets: Foundation ≥ 2× Erlang's message rates, ≥ 2M spawns/s, ≤ 300 B per idle actor. */
const TARGET_MSG_RATIO = 2;
const TARGET_SPAWNS = 2_000_000;
const TARGET_BYTES = 300;

interface Line {
  workload: string;
  impl?: string;
  unit?: string;
  median?: number;
  bytesPerItem?: number;
  ratio?: string;
  metric?: string;
  value?: number;
}

/** Node flags for the children: ours (tsx loader, conditions), plus what they need. */
function childNodeArgs(): string[] {
  const args = [...process.execArgv];
  if (!args.some((a) => a.includes('tsx'))) args.push('--import', import.meta.resolve('tsx'));
  if (!args.some((a) => a.includes('@foundation/source'))) args.push('--conditions=@foundation/source');
  if (!args.includes('--expose-gc')) args.push('--expose-gc');
  return args;
}

function runScript(workload: string, onLine: (line: string) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const script = join(HERE, `${workload}.ts`);
    const child = spawn(process.execPath, [...childNodeArgs(), script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        onLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (pending) onLine(pending);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

const fmt = (n: number | undefined): string => (n === undefined ? '—' : n.toLocaleString('en-US'));
const fmtRatio = (n: number | undefined): string => (n === undefined ? '—' : `${n.toFixed(2)}×`);
const check = (ok: boolean | undefined): string => (ok === undefined ? '' : ok ? ' ✓' : ' ✗');

function summary(lines: Line[]): string {
  const out: string[] = ['', '| workload | impl | median | vs erlang | vs bare | bytes/item |', '|---|---|---:|---:|---:|---:|'];
  // The workloads the scripts reported, in order (spawn.ts reports two: spawn and spawn-classes).
  for (const w of new Set(lines.map((l) => l.workload))) {
    const results = lines.filter((l) => l.workload === w && l.impl !== undefined);
    const ratio = (name: string, metric = 'median') =>
      lines.find((l) => l.workload === w && l.ratio === name && l.metric === metric)?.value;
    for (const r of results) {
      const vsErlang = ratio(`${r.impl}/erlang`);
      const isFoundation = r.impl!.startsWith('foundation');
      const msgTarget = isFoundation && r.unit === 'msgs/s' && vsErlang !== undefined ? vsErlang >= TARGET_MSG_RATIO : undefined;
      const spawnTarget = isFoundation && r.unit === 'spawns/s' ? r.median! >= TARGET_SPAWNS : undefined;
      const bytesTarget = isFoundation && r.bytesPerItem !== undefined ? r.bytesPerItem <= TARGET_BYTES : undefined;
      out.push(
        `| ${w} | ${r.impl} | ${fmt(r.median)} ${r.unit}${check(spawnTarget)} | ${isFoundation ? fmtRatio(vsErlang) + check(msgTarget) : ''} | ${isFoundation ? fmtRatio(ratio(`${r.impl}/bare`)) : ''} | ${r.bytesPerItem === undefined ? '' : `${r.bytesPerItem} B${check(bytesTarget)}`} |`,
      );
    }
  }
  out.push(
    '',
    `targets: foundation ≥ ${TARGET_MSG_RATIO}× erlang msgs/s, ≥ ${fmt(TARGET_SPAWNS)} spawns/s, ≤ ${TARGET_BYTES} B per idle actor (✓ met, ✗ missed)`,
  );
  return out.join('\n');
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  for (const w of asked) {
    if (!(WORKLOADS as readonly string[]).includes(w)) {
      throw new Error(`unknown workload "${w}" (expected some of ${WORKLOADS.join(', ')})`);
    }
  }
  const workloads = asked.length > 0 ? asked : [...WORKLOADS];
  const lines: Line[] = [];
  const failed: string[] = [];
  const t0 = performance.now();
  for (const w of workloads) {
    const t = performance.now();
    const code = await runScript(w, (line) => {
      process.stdout.write(`${line}\n`);
      if (!line.trim().startsWith('{')) return;
      try {
        lines.push(JSON.parse(line) as Line);
      } catch {
        // not ours to judge: passed through as is
      }
    });
    if (code !== 0) failed.push(`${w} (exit ${code})`);
    process.stderr.write(`[run-all] ${w}: ${((performance.now() - t) / 1000).toFixed(1)} s${code === 0 ? '' : `, exit code ${code}`}\n`);
  }
  process.stderr.write(`${summary(lines)}\n`);
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
