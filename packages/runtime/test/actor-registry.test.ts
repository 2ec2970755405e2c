import { afterEach, describe, expect, test } from 'vitest';
import {
  Actor,
  AlreadyRegisteredError,
  MemoryNetwork,
  Node,
  NotAnActorError,
  CallExitError,
  InvalidArgumentError,
  actorClass,
  actorName,
  defineActor,
  isExit,
  type From,
  type Pid,
} from '@foundation/runtime';

class Echo extends Actor<unknown, unknown, string> {
  tag = '';
  override init(tag: string) {
    this.tag = tag;
  }
  override handleCall(msg: unknown, _from: From) {
    return { tag: this.tag, msg, node: this.node.name };
  }
}
defineActor('Echo', Echo);

class Faulty extends Actor<never, never, void> {
  override init() {
    throw new Error('init refused');
  }
}
defineActor('Faulty', Faulty);

/** A user's class whose own fields reuse the names a runtime might use internally. */
class Clash extends Actor<'get', unknown, void> {
  next = 'mine';
  prev = 1;
  k = 2;
  pid = 3;
  flags = 4;
  args = 5;
  ext = 6;
  mbox = 7;
  parent = 8;
  queued = 9;
  handled = 10;
  accept() {
    return 'user accept';
  }
  wake() {
    return 'user wake';
  }
  kill() {
    return 'user kill';
  }
  override handleCall() {
    return [this.next, this.flags, this.args];
  }
}

const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});
async function start(name: string, net?: MemoryNetwork) {
  const node = await Node.start({ name, transport: net?.transport() });
  nodes.push(node);
  return node;
}

describe('defineActor', () => {
  test('a class defined by name can be spawned by that name', async () => {
    const node = await start('a');
    const pid = node.spawn('Echo', 'by-name');
    expect(await node.call(pid, 'hi', 1000)).toEqual({ tag: 'by-name', msg: 'hi', node: 'a' });
    expect(actorClass('Echo')).toBe(Echo);
    expect(actorName(Echo)).toBe('Echo');
  });

  test('a name is held by one class and a class has one name', () => {
    class Other extends Actor {}
    expect(() => defineActor('Echo', Other)).toThrow(AlreadyRegisteredError);
    expect(() => defineActor('Echo2', Echo)).toThrow(AlreadyRegisteredError);
    expect(defineActor('Echo', Echo)).toBe(Echo);
  });

  test('an unknown name or a non-class is a NotAnActorError that names it', async () => {
    const node = await start('a');
    expect(() => node.spawn('Nope', undefined)).toThrow(/'Nope'/);
    expect(() => node.spawn('Nope', undefined)).toThrow(NotAnActorError);
    expect(() => defineActor('x', (() => 1) as never)).toThrow(NotAnActorError);
    expect(() => defineActor('', Echo)).toThrow(InvalidArgumentError);
  });

  test("an actor's own fields and methods never clobber the runtime's", async () => {
    const node = await start('a');
    const pids = [node.spawn(Clash, undefined), node.spawn(Clash, undefined)];
    expect(await node.call(pids[0]!, 'get', 1000)).toEqual(['mine', 4, 5]);
    expect((await node.processInfo(pids[1]!))?.className).toBe('Clash');
    const box = node.inbox();
    box.monitor(pids[0]!);
    node.exit(pids[0]!, 'kill');
    await box.receive((m) => typeof m === 'object' && m !== null && 'ref' in m, 1000);
    expect((await node.processes()).length).toBe(2); // the other Clash and the inbox
  });
});

describe('spawn on another node', () => {
  test('spawn with { node } resolves with a pid on that node, parented by the spawner', async () => {
    const net = new MemoryNetwork();
    const a = await start('a', net);
    const b = await start('b', net);
    const pid = await b.spawn('Echo', 'remote', { node: 'a' });
    expect(pid.node).toBe('a');
    expect(await b.call(pid, 'x', 1000)).toEqual({ tag: 'remote', msg: 'x', node: 'a' });
    expect((await a.processInfo(pid))?.parent?.equals(b.self)).toBe(true);
  });

  test('a linked remote spawn carries a crash back to the spawner', async () => {
    const net = new MemoryNetwork();
    const a = await start('a', net);
    const b = await start('b', net);
    const box = b.inbox();
    const pid: Pid = await box.spawn('Echo', 'linked', { node: 'a', link: true });
    expect((await a.processInfo(pid))?.links.some((l) => l.equals(box.self))).toBe(true);
    a.exit(pid, 'boom');
    const exit = await box.receive(isExit, 1000);
    expect(exit.from.equals(pid)).toBe(true);
    expect(exit.reason).toBe('boom');
  });

  test('an unknown class, an undefined class or an unreachable node rejects', async () => {
    const net = new MemoryNetwork();
    await start('a', net);
    const b = await start('b', net);
    await expect(b.spawn('Missing', 1, { node: 'a' })).rejects.toThrow(/'Missing'/);
    class Anonymous extends Actor {}
    await expect(b.spawn(Anonymous, undefined, { node: 'a' })).rejects.toThrow(NotAnActorError);
    const err = await b.spawn('Echo', 'x', { node: 'nowhere' }).catch((e: unknown) => e);
    expect(CallExitError.is(err)).toBe(true);
    expect((err as CallExitError).reason).toBe('noconnection');
  });

  test('a remote init that throws still spawns (init runs later), and the linked spawner sees it die', async () => {
    const net = new MemoryNetwork();
    await start('a', net);
    const b = await start('b', net);
    const box = b.inbox();
    const pid = await box.spawn('Faulty', undefined, { node: 'a', link: true });
    const exit = await box.receive(isExit, 1000);
    expect(exit.from.equals(pid)).toBe(true);
    expect((exit.reason as Error).message).toBe('init refused');
  });
});
