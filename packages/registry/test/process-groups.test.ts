import { describe, expect, test } from 'vitest';
import { InvalidArgumentError, MemoryNetwork, NoProcessError, Pid, StoppedError, type Node } from '@foundation/runtime';
import { ProcessGroups, isGroupEvent, isGroupJoined, isGroupLeft, type GroupEvent } from '@foundation/registry';
import { Idle, failure, ids, startNode, until } from './support.js';
import { diff, subtract } from '../src/internal/pg-table.js';

const idle = (node: Node) => node.spawn(Idle, undefined);

describe('process groups on one node', () => {
  test('joined processes are members and local members; groups lists the non-empty ones', async () => {
    const node = await startNode();
    const pg = await ProcessGroups.start(node);
    const [a, b] = [idle(node), idle(node)];
    await pg.join('workers', [a, b]);
    await pg.join('admins', a);
    expect(ids(pg.members('workers'))).toEqual(ids([a, b]));
    expect(ids(pg.localMembers('workers'))).toEqual(ids([a, b]));
    expect(pg.groups().sort()).toEqual(['admins', 'workers']);
    expect(pg.members('nobody')).toEqual([]);
    expect(await pg.leave('admins', a)).toBe(true);
    expect(await pg.leave('admins', a)).toBe(false);
    expect(pg.groups()).toEqual(['workers']);
  });

  test('a process joined twice is a member twice and must leave twice (OTP pg)', async () => {
    const node = await startNode();
    const pg = await ProcessGroups.start(node);
    const a = idle(node);
    await pg.join('g', a);
    await pg.join('g', [a]);
    expect(pg.members('g')).toEqual([a, a]);
    await pg.leave('g', a);
    expect(pg.members('g')).toEqual([a]);
    await pg.leave('g', a);
    expect(pg.members('g')).toEqual([]);
  });

  test('a member that exits leaves every group it was in', async () => {
    const node = await startNode();
    const pg = await ProcessGroups.start(node);
    const [a, b] = [idle(node), idle(node)];
    await pg.join('g1', [a, b, a]);
    await pg.join('g2', a);
    node.exit(a, 'kill');
    await until(() => expect(pg.members('g1')).toEqual([b]));
    expect(pg.groups()).toEqual(['g1']);
  });

  test('scopes are independent', async () => {
    const node = await startNode();
    const one = await ProcessGroups.start(node, { scope: 'one' });
    const two = await ProcessGroups.start(node, { scope: 'two' });
    await one.join('g', idle(node));
    expect(one.members('g')).toHaveLength(1);
    expect(two.members('g')).toEqual([]);
    expect(ProcessGroups.of(node, 'one')).toBe(one);
    expect(node.whereis('pg:two')).toBe(two.pid);
  });

  test('a group monitor gets the members at once, then joined and left events', async () => {
    const node = await startNode();
    const pg = await ProcessGroups.start(node);
    const a = idle(node);
    await pg.join('g', a);
    const inbox = node.inbox();
    expect(await pg.monitor('g', inbox.self)).toEqual([a]);
    const b = idle(node);
    await pg.join('g', b);
    await pg.join('other', b);
    await pg.leave('g', a);
    node.exit(b, 'kill');
    const events: GroupEvent[] = [];
    for (let i = 0; i < 3; i++) events.push(await inbox.receive(isGroupEvent, 1000));
    expect(events).toEqual([
      { scope: 'default', group: 'g', joined: [b] },
      { scope: 'default', group: 'g', left: [a] },
      { scope: 'default', group: 'g', left: [b] },
    ]);
    expect(await pg.demonitor('g', inbox.self)).toBe(true);
    await pg.join('g', idle(node));
    expect(inbox.pending).toBe(0);
  });

  test('a scope monitor sees every group', async () => {
    const node = await startNode();
    const pg = await ProcessGroups.start(node);
    const a = idle(node);
    await pg.join('g', a);
    const inbox = node.inbox();
    const now = await pg.monitorScope(inbox.self);
    expect([...now]).toEqual([['g', [a]]]);
    await pg.join('h', a);
    expect(await inbox.receive(isGroupJoined, 1000)).toEqual({ scope: 'default', group: 'h', joined: [a] });
    expect(await pg.demonitorScope(inbox.self)).toBe(true);
  });

  test('a monitor that exits is forgotten', async () => {
    const node = await startNode();
    const pg = await ProcessGroups.start(node);
    const inbox = node.inbox();
    await pg.monitor('g', inbox.self);
    inbox.close();
    await pg.join('g', idle(node));
    expect(node.stats().deadLetters).toBe(0);
  });

  test('stop empties the view and refuses writes', async () => {
    const node = await startNode();
    const pg = await ProcessGroups.start(node);
    await pg.join('g', idle(node));
    await pg.stop();
    expect(pg.members('g')).toEqual([]);
    expect(StoppedError.is(await failure(pg.join('g', idle(node))))).toBe(true);
  });

  test('bad input is refused with named errors', async () => {
    const node = await startNode();
    const pg = await ProcessGroups.start(node);
    const dead = node.inbox();
    dead.close();
    const bad: [string, () => unknown][] = [
      ['scope', () => ProcessGroups.start(node, { scope: '' })],
      ['node', () => ProcessGroups.start(null as never)],
      ['group', () => pg.join('', idle(node))],
      ['group type', () => pg.members(7 as never)],
      ['no pids', () => pg.join('g', [])],
      ['not a pid', () => pg.join('g', ['x'] as never)],
      ['remote pid', () => pg.join('g', new Pid('elsewhere', 1, 1))],
      ['subscriber', () => pg.monitor('g', 'me' as never)],
    ];
    for (const [what, fn] of bad) expect(InvalidArgumentError.is(await failure(fn)), what).toBe(true);
    expect(NoProcessError.is(await failure(pg.join('g', [idle(node), dead.self])))).toBe(true);
    expect(pg.members('g')).toEqual([]);
  });
});

describe('process groups across nodes', () => {
  async function cluster(n = 3) {
    const net = new MemoryNetwork();
    const names = ['a', 'b', 'c', 'd', 'e'].slice(0, n);
    const nodes: Node[] = [];
    const pgs: ProcessGroups[] = [];
    for (const name of names) {
      const node = await startNode(name, net);
      nodes.push(node);
      pgs.push(await ProcessGroups.start(node));
    }
    return { net, nodes, pgs };
  }

  test('a join on one node is visible on every node; localMembers stays local', async () => {
    const { nodes, pgs } = await cluster();
    const a = idle(nodes[0]!);
    const c = idle(nodes[2]!);
    await pgs[0]!.join('workers', a);
    await pgs[2]!.join('workers', c);
    for (const pg of pgs) await until(() => expect(ids(pg.members('workers'))).toEqual(ids([a, c])));
    expect(pgs[1]!.localMembers('workers')).toEqual([]);
    expect(pgs[0]!.localMembers('workers')).toEqual([a]);
    await pgs[0]!.leave('workers', a);
    for (const pg of pgs) await until(() => expect(pg.members('workers')).toEqual([c]));
  });

  test('members that joined before another node started its scope are sent to it', async () => {
    const net = new MemoryNetwork();
    const a = await startNode('a', net);
    const b = await startNode('b', net);
    const pgA = await ProcessGroups.start(a);
    const pid = idle(a);
    await pgA.join('g', pid);
    const pgB = await ProcessGroups.start(b);
    await until(() => expect(pgB.members('g')).toEqual([pid]));
    // And a node that connects later learns them too.
    const c = await startNode('c', net);
    const pgC = await ProcessGroups.start(c);
    const pidC = idle(c);
    await pgC.join('g', pidC);
    for (const pg of [pgA, pgB, pgC]) await until(() => expect(ids(pg.members('g'))).toEqual(ids([pid, pidC])));
  });

  test('a remote member that exits leaves every view', async () => {
    const { nodes, pgs } = await cluster();
    const b = idle(nodes[1]!);
    await pgs[1]!.join('g', b);
    for (const pg of pgs) await until(() => expect(pg.members('g')).toEqual([b]));
    nodes[1]!.exit(b, 'kill');
    for (const pg of pgs) await until(() => expect(pg.members('g')).toEqual([]));
  });

  test("a cut drops the other side's members, a heal brings them back, with monitor events", async () => {
    const { net, nodes, pgs } = await cluster();
    const [a, b, c] = nodes.map((n) => idle(n));
    await pgs[0]!.join('g', a!);
    await pgs[1]!.join('g', b!);
    await pgs[2]!.join('g', c!);
    for (const pg of pgs) await until(() => expect(pg.members('g')).toHaveLength(3));
    const inbox = nodes[0]!.inbox();
    await pgs[0]!.monitor('g', inbox.self);

    net.cut('a', 'b');
    await until(() => expect(ids(pgs[0]!.members('g'))).toEqual(ids([a!, c!])));
    await until(() => expect(ids(pgs[1]!.members('g'))).toEqual(ids([b!, c!])));
    expect(pgs[2]!.members('g')).toHaveLength(3); // c still sees both sides
    expect(await inbox.receive(isGroupLeft, 1000)).toEqual({ scope: 'default', group: 'g', left: [b] });

    // Changes made during the partition reach the other side after the heal.
    const b2 = idle(nodes[1]!);
    await pgs[1]!.join('g', b2);
    net.heal('a', 'b');
    for (const pg of pgs) await until(() => expect(ids(pg.members('g'))).toEqual(ids([a!, b!, b2, c!])));
    const joined = await inbox.receive(isGroupJoined, 1000);
    expect(ids(joined.joined)).toEqual(ids([b!, b2]));
  });

  test("a crashed node's members are dropped everywhere; its successor's members appear", async () => {
    const { net, nodes, pgs } = await cluster();
    const c = idle(nodes[2]!);
    const a = idle(nodes[0]!);
    await pgs[2]!.join('g', c);
    await pgs[0]!.join('g', a);
    for (const pg of pgs) await until(() => expect(pg.members('g')).toHaveLength(2));
    net.crash('c');
    for (const pg of pgs.slice(0, 2)) await until(() => expect(pg.members('g')).toEqual([a]));
    await nodes[2]!.stop();
    const c2node = await startNode('c', net);
    const pgC2 = await ProcessGroups.start(c2node);
    const c2 = idle(c2node);
    await pgC2.join('g', c2);
    for (const pg of [pgs[0]!, pgs[1]!, pgC2]) await until(() => expect(ids(pg.members('g'))).toEqual(ids([a, c2])));
  });

  test("a scope actor that stops takes its node's members out of the other views", async () => {
    const { nodes, pgs } = await cluster(2);
    await pgs[1]!.join('g', idle(nodes[1]!));
    await until(() => expect(pgs[0]!.members('g')).toHaveLength(1));
    await pgs[1]!.stop();
    await until(() => expect(pgs[0]!.members('g')).toEqual([]));
    // Restarted, it announces itself again.
    const again = await ProcessGroups.start(nodes[1]!);
    const pid = idle(nodes[1]!);
    await again.join('g', pid);
    await until(() => expect(pgs[0]!.members('g')).toEqual([pid]));
  });

  test('scopes do not mix across nodes', async () => {
    const net = new MemoryNetwork();
    const a = await startNode('a', net);
    const b = await startNode('b', net);
    const pgA = await ProcessGroups.start(a, { scope: 's1' });
    const pgB = await ProcessGroups.start(b, { scope: 's1' });
    const otherB = await ProcessGroups.start(b, { scope: 's2' });
    await otherB.join('g', idle(b));
    const pid = idle(b);
    await pgB.join('g', pid);
    await until(() => expect(pgA.members('g')).toEqual([pid]));
  });
});

describe('membership lists as multisets', () => {
  const p = (id: number) => new Pid('n', id, 1);
  test('subtract takes out the earliest occurrences, keeps the rest in order, and lists the removed in the order asked', () => {
    const [kept, removed] = subtract([p(1), p(2), p(1), p(3), p(2)], [p(2), p(9), p(1), p(2), p(2)]);
    expect(kept.map((x) => x.id)).toEqual([1, 3]);
    expect(removed.map((x) => x.id)).toEqual([2, 1, 2]);
  });
  test('diff says who joined and who left, counting duplicates', () => {
    const [joined, left] = diff([p(1), p(2), p(2), p(3)], [p(2), p(3), p(3), p(4)]);
    expect(joined.map((x) => x.id)).toEqual([3, 4]);
    expect(left.map((x) => x.id)).toEqual([1, 2]);
  });
});
