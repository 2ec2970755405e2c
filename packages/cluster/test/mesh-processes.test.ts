import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { Actor, type CallExitError, type Pid } from '@foundation/runtime';
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

test("a call to a node in another process leaves at once while this node runs another actor's long handler", async () => {
  const { node } = await startNode('busy');
  await child('far', node.url);
  await until(() => expect(node.nodes()).toEqual(['far']), 15_000);
  const echo = { name: 'echo', node: 'far' };
  await node.call(echo, 'warm', 5000);
  // From an event-loop turn of its own: nothing is queued for 'far' before.
  await new Promise((resolve) => setImmediate(resolve));
  const spinner = node.spawn(Spinner, undefined);
  // Generous bounds: before frames left on their own, the call waited for the whole 300 ms
  // handler. Not longer: 'far' (ticks of 100 ms) drops a node silent for 400 ms.
  const t0 = Date.now();
  const long = node.call(spinner, 300, 5000);
  const arrived = node.call<{ now: number }>(echo, 'now', 5000);
  const [, { now }] = await Promise.all([long, arrived]);
  expect(now - t0).toBeLessThan(150);
}, 30_000);

test("a call an actor's handler makes to another node leaves when its turn ends, not after the next actor's long turn", async () => {
  const { node } = await startNode('busy');
  await child('far', node.url);
  await until(() => expect(node.nodes()).toEqual(['far']), 15_000);
  await node.call({ name: 'echo', node: 'far' }, 'warm', 5000);
  await new Promise((resolve) => setImmediate(resolve));
  const asker = node.spawn(Asker, undefined);
  const spinner = node.spawn(Spinner, undefined);
  const t0 = Date.now();
  // One drain: the asker's turn (its call to 'far' is queued), then the spinner's 300 ms turn.
  const arrived = node.call(asker, 'now', 5000);
  const long = node.call(spinner, 300, 5000);
  const [{ now }] = await Promise.all([arrived, long]);
  expect(now - t0).toBeLessThan(150);
}, 30_000);

/** Asks 'far''s echo what it is called with, from its own handler, and answers what it said. */
class Asker extends Actor<string, Promise<{ now: number }>, void> {
  override handleCall(msg: string): Promise<{ now: number }> {
    return this.call<{ now: number }>({ name: 'echo', node: 'far' }, msg, 5000);
  }
}

/** Burns the CPU for as many ms as it is called with: a handler that holds its node's thread. */
class Spinner extends Actor<number, true, void> {
  override handleCall(ms: number): true {
    const end = Date.now() + ms;
    while (Date.now() < end);
    return true;
  }
}
