import { describe, expect, test } from 'vitest';
import {
  Actor,
  AlreadyRegisteredError as RuntimeAlreadyRegistered,
  CallExitError,
  InvalidArgumentError,
  MemoryNetwork,
  NoProcessError,
  Pid,
  StoppedError,
  UnknownNameError,
  UnknownOptionError,
  inspect,
  type Node,
} from '@foundation/runtime';
import {
  AlreadyRegisteredError,
  DistributedRegistry,
  ProcessGroups,
  Registry,
  _,
  isRegisteredEvent,
  isRegistryEvent,
  isUnregisteredEvent,
  where,
  type RegistryEvent,
} from '@foundation/registry';
import { Echo, Idle, failure, startNode, until } from './support.js';

interface Service {
  role: string;
  region: string;
  load: number;
}

async function setup(keys: 'unique' | 'duplicate' = 'unique') {
  const node = await startNode();
  const reg = await Registry.start<string, Service>(node, { name: 'services', keys });
  return { node, reg };
}

const idle = (node: Node) => node.spawn(Idle, undefined);

describe('unique keys', () => {
  test('a registered key looks up to its process and value, read from the table', async () => {
    const { node, reg } = await setup();
    const pid = idle(node);
    await reg.register('db', pid, { role: 'primary', region: 'eu', load: 1 });
    expect(reg.lookup('db')).toEqual([{ pid, value: { role: 'primary', region: 'eu', load: 1 } }]);
    expect(reg.whereis('db')).toBe(pid);
    expect(reg.lookup('cache')).toEqual([]);
    expect(reg.count()).toBe(1);
    expect(reg.keys(pid)).toEqual(['db']);
    expect(reg.values('db', pid)).toEqual([{ role: 'primary', region: 'eu', load: 1 }]);
  });

  test('a taken key is refused with AlreadyRegisteredError naming the key and its holder', async () => {
    const { node, reg } = await setup();
    const a = idle(node);
    const b = idle(node);
    await reg.register('db', a);
    const e = (await failure(reg.register('db', b))) as AlreadyRegisteredError;
    expect(AlreadyRegisteredError.is(e)).toBe(true);
    expect(RuntimeAlreadyRegistered.is(e)).toBe(true);
    expect(e).toBeInstanceOf(AlreadyRegisteredError);
    expect(e.key).toBe('db');
    expect(e.holder).toBe(a);
    expect(e.registry).toBe('services');
    // The holder itself cannot take it twice either.
    expect(((await failure(reg.register('db', a))) as AlreadyRegisteredError).holder).toBe(a);
    expect(reg.lookup('db')).toEqual([{ pid: a, value: undefined }]);
  });

  test('one process may hold several keys, and unregister frees one of them', async () => {
    const { node, reg } = await setup();
    const a = idle(node);
    await reg.register('db', a);
    await reg.register('cache', a);
    expect(reg.keys(a)).toEqual(['db', 'cache']);
    expect(await reg.unregister('db', a)).toBe(true);
    expect(await reg.unregister('db', a)).toBe(false);
    expect(reg.keys(a)).toEqual(['cache']);
    const b = idle(node);
    await reg.register('db', b);
    expect(reg.whereis('db')).toBe(b);
  });

  test('updateValue replaces the value of an entry the process holds', async () => {
    const { node, reg } = await setup();
    const a = idle(node);
    await reg.register('db', a, { role: 'replica', region: 'eu', load: 0 });
    expect(await reg.updateValue('db', a, { role: 'primary', region: 'eu', load: 0 })).toBe(true);
    expect(reg.lookup('db')[0]!.value.role).toBe('primary');
    expect(await reg.updateValue('db', idle(node), { role: 'x', region: 'x', load: 0 })).toBe(false);
  });

  test('writes are applied in the order they were made', async () => {
    const { node, reg } = await setup();
    const pids = Array.from({ length: 50 }, () => idle(node));
    const results = await Promise.allSettled(pids.map((pid) => reg.register('leader', pid)));
    expect(results[0]!.status).toBe('fulfilled');
    expect(results.slice(1).every((r) => r.status === 'rejected')).toBe(true);
    expect(reg.whereis('leader')).toBe(pids[0]);
  });

  test('a looked-up array is a frozen snapshot that later writes do not change', async () => {
    const { node, reg } = await setup('duplicate');
    const a = idle(node);
    await reg.register('t', a);
    const before = reg.lookup('t');
    await reg.register('t', idle(node));
    expect(Object.isFrozen(before)).toBe(true);
    expect(before).toHaveLength(1);
    expect(reg.lookup('t')).toHaveLength(2);
  });
});

describe('duplicate keys', () => {
  test('a key names every process that registered it, in registration order, a process once per registration', async () => {
    const { node, reg } = await setup('duplicate');
    const [a, b] = [idle(node), idle(node)];
    await reg.register('topic', a, { role: 'a', region: 'eu', load: 1 });
    await reg.register('topic', b, { role: 'b', region: 'us', load: 2 });
    await reg.register('topic', a, { role: 'a2', region: 'eu', load: 3 });
    expect(reg.lookup('topic').map((e) => [e.pid, e.value.role])).toEqual([
      [a, 'a'],
      [b, 'b'],
      [a, 'a2'],
    ]);
    expect(reg.keys(a)).toEqual(['topic', 'topic']);
    expect(reg.count()).toBe(3);
    expect(reg.values('topic', a).map((v) => v.role)).toEqual(['a', 'a2']);
    expect(await reg.unregister('topic', a)).toBe(true);
    expect(reg.lookup('topic').map((e) => e.pid)).toEqual([b]);
    expect(reg.count()).toBe(1);
  });
});

describe('process exit', () => {
  test('the entries of a process that exits are removed, and only its own', async () => {
    const { node, reg } = await setup('duplicate');
    const [a, b] = [idle(node), idle(node)];
    await reg.register('x', a);
    await reg.register('y', a);
    await reg.register('x', b);
    node.exit(a, 'kill');
    await until(() => expect(reg.count()).toBe(1));
    expect(reg.lookup('x').map((e) => e.pid)).toEqual([b]);
    expect(reg.lookup('y')).toEqual([]);
    expect(reg.keys(a)).toEqual([]);
  });

  test('a unique key is free again once its holder exited', async () => {
    const { node, reg } = await setup();
    const a = idle(node);
    await reg.register('db', a);
    node.exit(a, 'shutdown');
    await until(() => expect(reg.whereis('db')).toBeUndefined());
    const b = idle(node);
    await reg.register('db', b);
    expect(reg.whereis('db')).toBe(b);
  });

  test('a dead process cannot register', async () => {
    const { node, reg } = await setup();
    const inbox = node.inbox();
    inbox.close();
    expect(NoProcessError.is(await failure(reg.register('db', inbox.self)))).toBe(true);
  });
});

describe('via-names', () => {
  test('call, cast and send reach the process holding the key', async () => {
    const { node, reg } = await setup();
    const inbox = node.inbox();
    const echo = node.spawn(Echo, inbox.self);
    await reg.register('echo', echo);
    expect(await node.call(reg.via('echo'), 'hi')).toEqual({ echo: 'hi', self: echo });
    node.cast(reg.via('echo'), 'c');
    node.send(reg.via('echo'), 's');
    expect(await inbox.receive(undefined, 1000)).toEqual(['cast', 'c']);
    expect(await inbox.receive(undefined, 1000)).toEqual(['info', 's']);
  });

  test('a via-name follows the key to its next holder', async () => {
    const { node, reg } = await setup();
    const first = node.spawn(Echo, undefined);
    await reg.register('svc', first);
    const via = reg.via('svc');
    expect(((await node.call(via, 1)) as { self: Pid }).self).toBe(first);
    node.exit(first, 'kill');
    await until(() => expect(reg.whereis('svc')).toBeUndefined());
    const second = node.spawn(Echo, undefined);
    await reg.register('svc', second);
    expect(((await node.call(via, 2)) as { self: Pid }).self).toBe(second);
  });

  test('an unheld key fails as an unknown name does', async () => {
    const { node, reg } = await setup();
    expect(UnknownNameError.is(await failure(() => node.send(reg.via('nobody'), 'x')))).toBe(true);
    const e = await failure(node.call(reg.via('nobody'), 'x', 500));
    expect(UnknownNameError.is(e) || CallExitError.is(e)).toBe(true);
  });

  test('a duplicate registry gives no via-names', async () => {
    const { reg } = await setup('duplicate');
    expect(InvalidArgumentError.is(await failure(() => reg.via('x')))).toBe(true);
  });
});

describe('match and select', () => {
  async function fleet() {
    const { node, reg } = await setup('duplicate');
    const [a, b, c] = [idle(node), idle(node), idle(node)];
    await reg.register('db', a, { role: 'primary', region: 'eu', load: 7 });
    await reg.register('db', b, { role: 'replica', region: 'eu', load: 2 });
    await reg.register('db', c, { role: 'replica', region: 'us', load: 12 });
    await reg.register('cache', c, { role: 'primary', region: 'us', load: 1 });
    return { node, reg, a, b, c };
  }

  test('match keeps the entries of a key whose value matches a partial pattern', async () => {
    const { reg, a, b, c } = await fleet();
    expect(reg.match('db', { role: 'replica' }).map((e) => e.pid)).toEqual([b, c]);
    expect(reg.match('db', { role: _, region: 'eu' }).map((e) => e.pid)).toEqual([a, b]);
    expect(reg.match('db', { load: where((n: number) => n > 5) }).map((e) => e.pid)).toEqual([a, c]);
    expect(reg.match('db', _)).toHaveLength(3);
    expect(reg.match('nothing', _)).toEqual([]);
    expect(reg.countMatch('db', { region: 'us' })).toBe(1);
  });

  test('select matches a pattern over whole entries { key, pid, value }', async () => {
    const { reg, a, c } = await fleet();
    expect(reg.select({ value: { role: 'primary' } }).map((e) => [e.key, e.pid])).toEqual([
      ['db', a],
      ['cache', c],
    ]);
    expect(
      reg
        .select({ pid: c })
        .map((e) => e.key)
        .sort(),
    ).toEqual(['cache', 'db']);
    expect(reg.select({ key: 'cache' })).toEqual([{ key: 'cache', pid: c, value: { role: 'primary', region: 'us', load: 1 } }]);
    expect(reg.select({ key: where((k: string) => k.startsWith('d')), value: { region: 'us' } }).map((e) => e.pid)).toEqual([c]);
    expect(reg.select(where((e) => e.value.load > 100))).toEqual([]);
    expect(reg.countSelect(_)).toBe(4);
  });

  test('a bare function where a pattern belongs is refused', async () => {
    const { reg } = await fleet();
    const bad = (() => true) as unknown as Service;
    expect(InvalidArgumentError.is(await failure(() => reg.match('db', bad)))).toBe(true);
    expect(InvalidArgumentError.is(await failure(() => reg.select({ value: { load: bad as unknown as number } })))).toBe(true);
  });
});

describe('dispatch', () => {
  test('dispatch hands the entries of a key to a function, and skips it when there are none', async () => {
    const { node, reg } = await setup('duplicate');
    const inbox = node.inbox();
    const subs = [node.spawn(Echo, inbox.self), node.spawn(Echo, inbox.self)];
    for (const pid of subs) await reg.register('news', pid);
    const n = reg.dispatch('news', (entries) => {
      for (const { pid } of entries) node.send(pid, 'headline');
    });
    expect(n).toBe(2);
    expect(await inbox.receive(undefined, 1000)).toEqual(['info', 'headline']);
    expect(await inbox.receive(undefined, 1000)).toEqual(['info', 'headline']);
    let called = false;
    expect(reg.dispatch('sports', () => (called = true))).toBe(0);
    expect(called).toBe(false);
  });
});

describe('listeners', () => {
  test('registrations and removals are published on the node inspection stream', async () => {
    const node = await startNode();
    const seen: string[] = [];
    inspect(node, (e) => e.type === 'registry' && seen.push(`${e.registry} ${e.change} ${e.name} ${e.pid}`), { types: ['registry'] });
    const reg = await Registry.start<string, number>(node, { name: 'r', keys: 'unique' });
    const pid = idle(node);
    await reg.register('k', pid, 1);
    node.exit(pid, 'kill');
    await until(() => expect(seen).toHaveLength(2));
    expect(seen).toEqual([`r registered k ${pid}`, `r unregistered k ${pid}`]);
  });

  test('listeners receive registered and unregistered events, also when a holder exits', async () => {
    const node = await startNode();
    const early = node.inbox();
    const reg = await Registry.start<string, number>(node, { name: 'r', keys: 'unique', listeners: [early.self] });
    const late = node.inbox();
    expect(await reg.listen(late.self)).toBe(true);
    expect(await reg.listen(late.self)).toBe(false);
    const pid = idle(node);
    await reg.register('k', pid, 1);
    await reg.unregister('k', pid);
    await reg.register('j', pid, 2);
    node.exit(pid, 'kill');
    const expected: RegistryEvent<string, number>[] = [
      { registered: 'r', key: 'k', pid, value: 1 },
      { unregistered: 'r', key: 'k', pid, value: 1 },
      { registered: 'r', key: 'j', pid, value: 2 },
      { unregistered: 'r', key: 'j', pid, value: 2 },
    ];
    for (const box of [early, late]) {
      for (const ev of expected) expect(await box.receive(isRegistryEvent, 1000)).toEqual(ev);
    }
    expect(isRegisteredEvent(expected[0])).toBe(true);
    expect(isUnregisteredEvent(expected[0])).toBe(false);
  });

  test('a listener that unlistens or exits gets no more events', async () => {
    const { node, reg } = await setup();
    const a = node.inbox();
    const b = node.inbox();
    await reg.listen(a.self);
    await reg.listen(b.self);
    expect(await reg.unlisten(a.self)).toBe(true);
    b.close();
    await reg.register('k', idle(node));
    const c = node.inbox();
    await reg.listen(c.self);
    await reg.register('k2', idle(node));
    await c.receive(isRegisteredEvent, 1000);
    expect(a.pending).toBe(0);
    expect(node.stats().deadLetters).toBe(0);
  });

  test('a named listener that does not exist (yet) is skipped without harm', async () => {
    const node = await startNode();
    const reg = await Registry.start(node, { name: 'r', keys: 'unique', listeners: ['audit'] });
    await reg.register('k', idle(node));
    const audit = node.inbox();
    node.register('audit', audit.self);
    await reg.register('k2', idle(node));
    expect(await audit.receive(isRegisteredEvent, 1000)).toMatchObject({ registered: 'r', key: 'k2' });
  });
});

describe('lifecycle', () => {
  test('Registry.of finds a running registry by name, and stop empties it and refuses writes', async () => {
    const { node, reg } = await setup();
    expect(Registry.of(node, 'services')).toBe(reg);
    expect(node.whereis('services')).toBe(reg.pid);
    await reg.register('db', idle(node));
    await reg.stop();
    expect(reg.alive).toBe(false);
    expect(reg.lookup('db')).toEqual([]);
    expect(() => Registry.of(node, 'services')).toThrow(UnknownNameError);
    expect(StoppedError.is(await failure(reg.register('x', idle(node))))).toBe(true);
  });

  test.each([
    [
      "Registry.start: unknown option 'listener' (known: name, keys, listeners)",
      (node: Node) => Registry.start(node, { name: 'r', keys: 'unique', listener: [] } as never),
    ],
    [
      "DistributedRegistry.start: unknown option 'syncInterval' (known: name, keys, syncIntervalMs, antiEntropyIntervalMs, listeners)",
      (node: Node) => DistributedRegistry.start(node, { name: 'r', keys: 'unique', syncInterval: 100 } as never),
    ],
    ["ProcessGroups.start: unknown option 'name' (known: scope)", (node: Node) => ProcessGroups.start(node, { name: 'x' } as never)],
  ])('%s', async (message, start) => {
    const node = await startNode();
    const e = await failure(start(node));
    expect(e).toBeInstanceOf(UnknownOptionError);
    expect(e.message).toBe(message);
  });

  test('a registry started from inside an actor is its child; the handle and of(this, name) write from that actor', async () => {
    class Owner extends Actor<string, unknown> {
      private reg!: Registry<string, number>;
      override async init(): Promise<void> {
        this.reg = await Registry.start<string, number>(this, { name: 'owned', keys: 'unique' });
      }
      override async handleCall(key: string): Promise<unknown> {
        await this.reg.register(key, this.self, 1);
        await Registry.of<string, number>(this, 'owned').updateValue(key, this.self, 2);
        return this.reg.lookup(key).map((e) => e.value);
      }
    }
    const node = await startNode();
    const owner = await node.spawnAndWait(Owner, undefined);
    expect(await node.call(owner, 'me')).toEqual([2]);
    const reg = Registry.of<string, number>(node, 'owned');
    expect((await node.processInfo(reg.pid))?.parent).toEqual(owner);
    await reg.stop();
    expect(reg.alive).toBe(false);
    expect(() => Registry.of(node, 'owned')).toThrow(UnknownNameError);
  });

  test('node.stop shuts the registry down', async () => {
    const { node, reg } = await setup();
    await reg.register('db', idle(node));
    await node.stop();
    expect(reg.alive).toBe(false);
    expect(reg.count()).toBe(0);
  });
});

describe('bad input', () => {
  test('start refuses bad options, each with a named error saying which', async () => {
    const node = await startNode();
    const cases: [unknown, string][] = [
      [undefined, 'Registry.start option'],
      [{ keys: 'unique' }, 'name'],
      [{ name: '', keys: 'unique' }, 'name'],
      [{ name: 'r', keys: 'many' }, 'keys'],
      [{ name: 'r', keys: 'unique', listeners: 'me' }, 'listeners'],
      [{ name: 'r', keys: 'unique', listeners: [42] }, 'listeners[0]'],
    ];
    for (const [opts, field] of cases) {
      const e = await failure(Registry.start(node, opts as never));
      expect(InvalidArgumentError.is(e), String(e)).toBe(true);
      expect(e.message).toContain(field);
    }
    expect(InvalidArgumentError.is(await failure(Registry.start({} as never, { name: 'r', keys: 'unique' })))).toBe(true);
    await Registry.start(node, { name: 'r', keys: 'unique' });
    expect(RuntimeAlreadyRegistered.is(await failure(Registry.start(node, { name: 'r', keys: 'duplicate' })))).toBe(true);
  });

  test('writes and reads refuse bad keys, pids and functions', async () => {
    const { node, reg } = await setup();
    const pid = idle(node);
    const bad: [string, () => unknown][] = [
      ['object key', () => reg.register({ k: 1 } as never, pid)],
      ['NaN key', () => reg.register(NaN as never, pid)],
      ['not a pid', () => reg.register('k', 'pid' as never)],
      ['remote pid', () => reg.register('k', new Pid('elsewhere', 1, 1))],
      ['unregister non-pid', () => reg.unregister('k', {} as never)],
      ['keys non-pid', () => reg.keys('x' as never)],
      ['listen to a via-name', () => reg.listen(reg.via('k'))],
      ['dispatch without fn', () => reg.dispatch('k', 'fn' as never)],
      ['where without fn', () => where(1 as never)],
    ];
    for (const [what, fn] of bad) expect(InvalidArgumentError.is(await failure(fn)), what).toBe(true);
    expect(reg.count()).toBe(0);
  });

  test('numbers are keys too, distinct from their string form', async () => {
    const node = await startNode();
    const reg = await Registry.start<number | string>(node, { name: 'n', keys: 'unique' });
    const [a, b] = [idle(node), idle(node)];
    await reg.register(1, a);
    await reg.register('1', b);
    expect(reg.whereis(1)).toBe(a);
    expect(reg.whereis('1')).toBe(b);
  });
});

describe('distribution', () => {
  test('a remote process can call through a via-name resolved on the registry node', async () => {
    // The registry is node-local: other nodes reach a holder by asking a process on this node,
    // or by pid. A via-name resolves where it is used.
    const net = new MemoryNetwork();
    const a = await startNode('a', net);
    const b = await startNode('b', net);
    const reg = await Registry.start(a, { name: 'r', keys: 'unique' });
    const echo = a.spawn(Echo, undefined);
    await reg.register('echo', echo);
    const pid = reg.whereis('echo')!;
    expect(await b.call(pid, 'x')).toEqual({ echo: 'x', self: pid });
  });
});
