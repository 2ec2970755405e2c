import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Runs an example from source as `pnpm tsx` does; resolves with its exit code and output. */
function run(file: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const proc = spawn(process.execPath, ['--conditions=@foundation/source', '--import', 'tsx', join(ROOT, file), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 55_000);
  return new Promise((resolve) =>
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
}

test('level 0: the same script started three times forms one cluster with no configuration', async () => {
  const id = `x${randomBytes(4).toString('hex')}`;
  const runs = await Promise.all(
    ['p1', 'p2', 'p3'].map((n) =>
      run('examples/foundation/level0.ts', ['--until', '3'], { FOUNDATION_CLUSTER_ID: id, FOUNDATION_NODE_NAME: n }),
    ),
  );
  for (const r of runs) {
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('profile development');
    expect(r.out).toContain('cluster of 3; heard: hello from p1, hello from p2, hello from p3');
  }
}, 60_000);

test('level 1: production wires a cluster-wide registry and a shared cache', async () => {
  const r = await run('examples/foundation/level1.ts');
  expect(r.code, r.out).toBe(0);
  expect(r.out).toContain('registry distributed, supervisor distributed, cache partitioned');
  expect(r.out).toContain("a finds 'billing' on node b");
  expect(r.out).toContain('b reads invoice:1 -> {"total":42}');
}, 60_000);

test('level 2: bad options are named errors; a multilevel cache invalidates across nodes', async () => {
  const r = await run('examples/foundation/level2.ts');
  expect(r.code, r.out).toBe(0);
  expect(r.out).toContain("UnknownOptionError: Foundation.start caching: unknown option 'adaptor'");
  expect(r.out).toContain('FoundationOptionError: Foundation: caching.adapter must be one of');
  expect(r.out).toContain('b reads user:1 -> Ada Lovelace');
}, 60_000);

test('level 3: the underlying objects are reachable', async () => {
  const r = await run('examples/foundation/level3.ts');
  expect(r.code, r.out).toBe(0);
  expect(r.out).toContain('raw spawn: pong');
  expect(r.out).toContain('presence in room.lobby: alice');
  expect(r.out).toMatch(/DOWN <.*>: killed/);
}, 60_000);

test('the job queue, partitioned counters, word count and trace examples run to their end', async () => {
  const [jobs, counters, words, trace] = await Promise.all(
    ['job-queue', 'partitioned-counters', 'word-count', 'trace'].map((e) => run(`examples/foundation/${e}.ts`)),
  );
  for (const r of [jobs, counters, words, trace]) expect(r!.code, r!.out).toBe(0);
  expect(jobs!.out).toContain('12 jobs done, 1 retried');
  expect(counters!.out.match(/ 10 \(on [ab]\)/g)).toHaveLength(6);
  expect(words!.out).toMatch(/31 lines, \d+ words/);
  expect(words!.out).toMatch(/^the\s+19$/m);
  const parents = trace!.out.match(/traceparent 00-([0-9a-f]{32})-/g) ?? [];
  expect(parents).toHaveLength(3);
  expect(new Set(parents).size).toBe(1);
}, 60_000);

test('the demo runs three nodes, loses one, and prints how everything recovered', async () => {
  const r = await run('examples/foundation-demo.ts');
  expect(r.code, r.out).toBe(0);
  expect(r.out).toContain('3/3 nodes heard all');
  expect(r.out).toMatch(/singleton\s+was on n\d\s+runs on n\d/);
  expect(r.out).toContain('3/3 readable after the loss');
  expect(r.out).toContain('2/2 nodes heard all');
}, 60_000);
