/**
 * Runs benchmark scripts (`benchmarks/<name>.ts`) one after another, each in a fresh Node
 * process with `--expose-gc` and the loader flags of this one, passing each stdout line on as it
 * comes; their stderr (progress) goes straight to ours. Shared by `run-all.ts` and `check.ts`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHMARKS = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Files in benchmarks/ that are not benchmark scripts. */
const NOT_SCRIPTS = new Set(['run-all', 'check', 'targets']);

/** A script name that is not a benchmark script in benchmarks/. */
export class UnknownScriptError extends Error {
  override readonly name = 'UnknownScriptError';
  constructor(readonly script: string) {
    super(`unknown benchmark script "${script}" (expected the name of a benchmarks/<name>.ts script, e.g. calls)`);
  }
}

/** Throws UnknownScriptError unless `name` is a benchmark script in benchmarks/. */
export function checkScript(name: string): void {
  if (NOT_SCRIPTS.has(name) || !/^[a-z0-9-]+$/.test(name) || !existsSync(join(BENCHMARKS, `${name}.ts`))) {
    throw new UnknownScriptError(name);
  }
}

/** Node flags for the children: ours (tsx loader, conditions), plus what they need. */
function childNodeArgs(): string[] {
  const args = [...process.execArgv];
  if (!args.some((a) => a.includes('tsx'))) args.push('--import', import.meta.resolve('tsx'));
  if (!args.some((a) => a.includes('@foundation/source'))) args.push('--conditions=@foundation/source');
  if (!args.includes('--expose-gc')) args.push('--expose-gc');
  return args;
}

/** Runs one script to its end; resolves its exit code (1 when killed by a signal). */
export function runScript(name: string, onLine: (line: string) => void): Promise<number> {
  checkScript(name);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...childNodeArgs(), join(BENCHMARKS, `${name}.ts`)], {
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

/** Runs `scripts` in order; every stdout line goes to `onLine`. Resolves the scripts that failed. */
export async function runSuite(scripts: readonly string[], onLine: (line: string) => void): Promise<string[]> {
  for (const s of scripts) checkScript(s);
  const failed: string[] = [];
  for (const s of scripts) {
    const t = performance.now();
    const code = await runScript(s, onLine);
    if (code !== 0) failed.push(`${s} (exit ${code})`);
    process.stderr.write(`[suite] ${s}: ${((performance.now() - t) / 1000).toFixed(1)} s${code === 0 ? '' : `, exit code ${code}`}\n`);
  }
  return failed;
}
