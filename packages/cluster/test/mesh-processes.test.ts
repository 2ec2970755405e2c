import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import type { CallExitError, Pid } from '@foundation/runtime';
import { COOKIE, downFor, exitFrom, failure, startNode, stopAll, until } from './mesh-helpers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../../..');
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await stopAll();
});

/**
 * Starts a node in a child process, from source through tsx's loader (node itself, not the tsx
 * CLI, so that SIGKILL reaches the node and not a wrapper); resolves with its URL.
 */
function child(name: string, seed: string): Promise<{ proc: ChildProcess; url: string }> {
  const args = ['--conditions=@foundation/source', '--import', 'tsx', join(HERE, 'fixtures/mesh-child.ts'), name, COOKIE, seed];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(proc);
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ proc, url: (JSON.parse(line) as { url: string }).url });
    });
    proc.once('exit', (code) => reject(new Error(`child ${name} exited with ${code}`)));
  });
}

test("a node in another OS process killed with SIGKILL: nodedown, and 'noconnection' for links, monitors and calls", async () => {
  const { node } = await startNode('parent', { tickMs: 100 });
  const downs: unknown[] = [];
  node.on('nodedown', (n, r) => downs.push([n, r]));
  const { proc } = await child('kid', node.url);
  await until(() => expect(node.nodes()).toEqual(['kid']), 15_000);
  const echo = (await node.call<{ self: Pid }>({ name: 'echo', node: 'kid' }, 'hi', 5000)).self;
  const inbox = node.inbox();
  inbox.link(echo);
  const ref = inbox.monitor(echo);
  const pending = failure(node.call(echo, 'hold', 30_000));
  await node.call(echo, 'sync', 5000); // link, monitor and the held call have all arrived
  proc.kill('SIGKILL');
  expect(((await pending) as CallExitError).reason).toBe('noconnection');
  expect((await inbox.receive(exitFrom(echo), 5000)).reason).toBe('noconnection');
  expect((await inbox.receive(downFor(ref), 5000)).reason).toBe('noconnection');
  expect(downs).toEqual([['kid', 'noconnection']]);
  expect(node.nodes()).toEqual([]);
}, 30_000);

test('two child processes and this one form a full mesh through one seed', async () => {
  const { node } = await startNode('hub', { tickMs: 100 });
  await Promise.all([child('p1', node.url), child('p2', node.url)]);
  await until(() => expect(node.nodes().sort()).toEqual(['p1', 'p2']), 15_000);
  // p1 reaches p2 through its own connection: ask p1's echo for p2's echo via a call chain is
  // not possible with this fixture, so check the mesh from here and that both answer.
  for (const n of ['p1', 'p2']) expect(await node.call({ name: 'echo', node: n }, n, 5000)).toMatchObject({ echo: n });
}, 30_000);
