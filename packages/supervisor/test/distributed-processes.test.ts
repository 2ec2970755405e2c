import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test, vi } from 'vitest';
import { Node } from '@foundation/runtime';
import { mesh } from '@foundation/cluster';
import { DistributedSupervisor } from '@foundation/supervisor';
import { Work, liveIds } from './fixtures/ds-work.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../../..');
const COOKIE = 'ds-processes';
const children: ChildProcess[] = [];
let parent: Node | undefined;

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await parent?.stop();
});

const until = (fn: () => unknown, timeout = 15000) => vi.waitFor(fn, { interval: 20, timeout });

/** Starts a member in a child process (node itself runs it, so SIGKILL reaches the node); resolves once it listens. */
function member(name: string, seed: string): Promise<ChildProcess> {
  const args = ['--conditions=@foundation/source', '--import', 'tsx', join(HERE, 'fixtures/ds-member.ts'), name, COOKIE, seed];
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(proc);
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(proc);
    });
    proc.once('exit', (code) => reject(new Error(`member ${name} exited with ${code}`)));
  });
}

test('real OS processes over the mesh: SIGKILL a member, every permanent child runs exactly once on the survivors', async () => {
  parent = await Node.start({ name: 'p', transport: mesh({ cookie: COOKIE, tickMs: 100, logger: () => {} }) });
  const ds = await DistributedSupervisor.start(parent, { name: 'ds', syncIntervalMs: 50 });
  const [m1, m2] = await Promise.all([member('m1', parent.url!), member('m2', parent.url!)]);
  await until(() => expect(ds.members()).toEqual(['m1', 'm2', 'p']));
  await until(() => expect(ds.heardFrom('m1') && ds.heardFrom('m2')).toBe(true));
  const ids = Array.from({ length: 60 }, (_, i) => `w${i}`);
  for (const id of ids) await ds.startChild({ id, start: [Work, { id }] });
  await until(() => expect(ds.countChildren()).toEqual({ specs: 60, active: 60 }));
  const onM2 = ids.filter((id) => ds.whereis(id)!.node === 'm2');
  expect(onM2.length).toBeGreaterThan(0);
  const everywhere = async (names: string[]) => {
    const lists = [liveIds((p) => parent!.isAlive(p))];
    for (const n of names) lists.push(await parent!.call<string[]>({ name: 'probe', node: n }, 'local' as never, 2000));
    return lists.flat().sort();
  };
  expect(await everywhere(['m1', 'm2'])).toEqual([...ids].sort());
  m2!.kill('SIGKILL');
  await until(async () => {
    expect(ds.members()).toEqual(['m1', 'p']);
    expect(await everywhere(['m1'])).toEqual([...ids].sort());
    for (const id of onM2) expect(['m1', 'p']).toContain(ds.whereis(id)?.node);
  });
  for (const id of onM2) expect(['m1', 'p']).toContain(await parent.call<string>(ds.via(id), 'where' as never, 2000));
  expect(m1!.exitCode).toBeNull();
}, 60_000);
