import { describe, expect, test } from 'vitest';
import {
  ChildNotFoundError,
  DynamicSupervisor,
  MaxChildrenError,
  StartChildError,
  Supervisor,
  SupervisorOptionError,
  type DynamicSupervisorOptions,
  isReachedMaxRestartIntensity,
} from '../src/index.js';
import { Worker, startNode, until, watch } from './helpers.js';

describe('DynamicSupervisor', () => {
  test('starts children on demand from a spec or [Class, args] and lists them', async () => {
    const node = await startNode();
    const sup = await DynamicSupervisor.start(node);
    const a = await sup.startChild([Worker, { id: 'a' }]);
    const b = await sup.startChild({ id: 'b', start: [Worker, { id: 'b' }], restart: 'transient' });
    expect(await node.call(a, 'ping')).toBe('a');
    expect(await sup.whichChildren()).toEqual([
      { id: null, pid: a, type: 'worker', restart: 'permanent' },
      { id: 'b', pid: b, type: 'worker', restart: 'transient' },
    ]);
    expect(await sup.countChildren()).toEqual({ specs: 2, active: 2, supervisors: 0, workers: 2 });
    expect(await Supervisor.of(node, sup.pid).countChildren()).toEqual({ specs: 2, active: 2, supervisors: 0, workers: 2 });
  });

  test('maxChildren refuses one child too many, and frees a place when one is terminated', async () => {
    const node = await startNode();
    const sup = await DynamicSupervisor.start(node, { maxChildren: 2 });
    const a = await sup.startChild([Worker, { id: 'a' }]);
    await sup.startChild([Worker, { id: 'b' }]);
    await expect(sup.startChild([Worker, { id: 'c' }])).rejects.toBeInstanceOf(MaxChildrenError);
    await sup.terminateChild(a);
    await expect(sup.terminateChild(a)).rejects.toBeInstanceOf(ChildNotFoundError);
    await sup.startChild([Worker, { id: 'c' }]);
    expect((await sup.countChildren()).active).toBe(2);
  });

  test('a child that fails to start is not kept', async () => {
    const node = await startNode();
    const sup = await DynamicSupervisor.start(node);
    await expect(sup.startChild([Worker, { id: 'x', failInit: 'no' }])).rejects.toBeInstanceOf(StartChildError);
    expect(await sup.whichChildren()).toEqual([]);
  });

  test('restarts a crashed child one_for_one with the same args; temporary ones are dropped', async () => {
    const node = await startNode();
    const sup = await DynamicSupervisor.start(node);
    const a = await sup.startChild([Worker, { id: 'a' }]);
    const t = await sup.startChild({ start: [Worker, { id: 't' }], restart: 'temporary' });
    const b = await sup.startChild([Worker, { id: 'b' }]);
    node.cast(a, { crash: 'boom' });
    node.cast(t, { crash: 'boom' });
    const kids = await until(async () => {
      const c = await sup.whichChildren();
      return c.length === 2 && c[0]!.pid !== null && !c[0]!.pid.equals(a) ? c : undefined;
    });
    expect(await node.call(kids[0]!.pid!, 'ping')).toBe('a');
    expect(kids[1]!.pid).toEqual(b);
  });

  test('over the intensity it stops all children and exits naming the child', async () => {
    const node = await startNode();
    const sup = await DynamicSupervisor.start(node, { maxRestarts: 0 });
    const log: string[] = [];
    const a = await sup.startChild([Worker, { id: 'a', log, trap: true }]);
    const b = await sup.startChild({ id: 'b', start: [Worker, { id: 'b', log }] });
    const inbox = node.inbox();
    const down = watch(inbox, sup.pid);
    node.cast(b, { crash: 'boom' });
    const { reason } = await down;
    expect(isReachedMaxRestartIntensity(reason)).toBe(true);
    expect(reason).toMatchObject({ shutdown: { reachedMaxRestartIntensity: { child: 'b' } } });
    expect(await node.processInfo(a)).toBeUndefined();
    expect(log).toContain('stop:a');
  });

  test("accepts strategy 'one_for_one' (its only one) and refuses any other naming what is allowed", async () => {
    const node = await startNode();
    const sup = await DynamicSupervisor.start(node, { strategy: 'one_for_one' });
    expect(await sup.countChildren()).toMatchObject({ specs: 0 });
    const other = { strategy: 'one_for_all' } as unknown as DynamicSupervisorOptions;
    await expect(DynamicSupervisor.start(node, other)).rejects.toThrow(SupervisorOptionError);
    await expect(DynamicSupervisor.start(node, other)).rejects.toThrow(
      "supervisor option strategy must be 'one_for_one' (the only strategy of a DynamicSupervisor), got 'one_for_all'",
    );
  });

  test('of() gives the handle of a pool running as a child of a tree; stop() stops its children with it', async () => {
    const node = await startNode();
    const log: string[] = [];
    const root = await Supervisor.start(node, {
      children: [{ id: 'pool', type: 'supervisor', start: [DynamicSupervisor, { strategy: 'one_for_one' }] }],
    });
    const pool = DynamicSupervisor.of(node, (await root.whichChildren())[0]!.pid!);
    const a = await pool.startChild([Worker, { id: 'a', log, trap: true }]);
    await root.terminateChild('pool');
    expect(log).toEqual(['start:a', 'stop:a']);
    expect(node.isAlive(a)).toBe(false);
    await pool.stop();
    const again = DynamicSupervisor.of(node, await root.restartChild('pool'));
    await again.startChild([Worker, { id: 'b', log, trap: true }]);
    await again.stop();
    expect(log).toEqual(['start:a', 'stop:a', 'start:b', 'stop:b']);
  });

  test('restartChild and deleteChild are refused: dynamic children keep no specs', async () => {
    const node = await startNode();
    const sup = await DynamicSupervisor.start(node);
    await expect(Supervisor.of(node, sup.pid).restartChild('x')).rejects.toThrow(/no restartChild/);
  });
});
