import { describe, expect, test } from 'vitest';
import {
  ChildNotFoundError,
  DynamicSupervisor,
  MaxChildrenError,
  StartChildError,
  Supervisor,
  isReachedMaxRestartIntensity,
} from '../src/index.js';
import { Worker, startNode, until, watch } from './helpers.js';

describe('DynamicSupervisor', () => {
  test('starts children on demand from a spec or [Class, args] and lists them', async () => {
    const node = await startNode();
    const sup = await DynamicSupervisor.start(node);
    const a = await DynamicSupervisor.startChild(node, sup, [Worker, { id: 'a' }]);
    const b = await DynamicSupervisor.startChild(node, sup, { id: 'b', start: [Worker, { id: 'b' }], restart: 'transient' });
    expect(await node.call(a, 'ping')).toBe('a');
    expect(await DynamicSupervisor.whichChildren(node, sup)).toEqual([
      { id: null, pid: a, type: 'worker', restart: 'permanent' },
      { id: 'b', pid: b, type: 'worker', restart: 'transient' },
    ]);
    expect(await DynamicSupervisor.countChildren(node, sup)).toEqual({ specs: 2, active: 2, supervisors: 0, workers: 2 });
    expect(await Supervisor.countChildren(node, sup)).toEqual({ specs: 2, active: 2, supervisors: 0, workers: 2 });
  });

  test('maxChildren refuses one child too many, and frees a place when one is terminated', async () => {
    const node = await startNode();
    const sup = await DynamicSupervisor.start(node, { maxChildren: 2 });
    const a = await DynamicSupervisor.startChild(node, sup, [Worker, { id: 'a' }]);
    await DynamicSupervisor.startChild(node, sup, [Worker, { id: 'b' }]);
    await expect(DynamicSupervisor.startChild(node, sup, [Worker, { id: 'c' }])).rejects.toBeInstanceOf(MaxChildrenError);
    await DynamicSupervisor.terminateChild(node, sup, a);
    await expect(DynamicSupervisor.terminateChild(node, sup, a)).rejects.toBeInstanceOf(ChildNotFoundError);
    await DynamicSupervisor.startChild(node, sup, [Worker, { id: 'c' }]);
    expect((await DynamicSupervisor.countChildren(node, sup)).active).toBe(2);
  });

  test('a child that fails to start is not kept', async () => {
    const node = await startNode();
    const sup = await DynamicSupervisor.start(node);
    await expect(DynamicSupervisor.startChild(node, sup, [Worker, { id: 'x', failInit: 'no' }])).rejects.toBeInstanceOf(StartChildError);
    expect(await DynamicSupervisor.whichChildren(node, sup)).toEqual([]);
  });

  test('restarts a crashed child one_for_one with the same args; temporary ones are dropped', async () => {
    const node = await startNode();
    const sup = await DynamicSupervisor.start(node);
    const a = await DynamicSupervisor.startChild(node, sup, [Worker, { id: 'a' }]);
    const t = await DynamicSupervisor.startChild(node, sup, { start: [Worker, { id: 't' }], restart: 'temporary' });
    const b = await DynamicSupervisor.startChild(node, sup, [Worker, { id: 'b' }]);
    node.cast(a, { crash: 'boom' });
    node.cast(t, { crash: 'boom' });
    const kids = await until(async () => {
      const c = await DynamicSupervisor.whichChildren(node, sup);
      return c.length === 2 && c[0]!.pid !== null && !c[0]!.pid.equals(a) ? c : undefined;
    });
    expect(await node.call(kids[0]!.pid!, 'ping')).toBe('a');
    expect(kids[1]!.pid).toEqual(b);
  });

  test('over the intensity it stops all children and exits naming the child', async () => {
    const node = await startNode();
    const sup = await DynamicSupervisor.start(node, { maxRestarts: 0 });
    const log: string[] = [];
    const a = await DynamicSupervisor.startChild(node, sup, [Worker, { id: 'a', log, trap: true }]);
    const b = await DynamicSupervisor.startChild(node, sup, { id: 'b', start: [Worker, { id: 'b', log }] });
    const inbox = node.inbox();
    const down = watch(inbox, sup);
    node.cast(b, { crash: 'boom' });
    const { reason } = await down;
    expect(isReachedMaxRestartIntensity(reason)).toBe(true);
    expect(reason).toMatchObject({ shutdown: { reachedMaxRestartIntensity: { child: 'b' } } });
    expect(await node.processInfo(a)).toBeUndefined();
    expect(log).toContain('stop:a');
  });

  test('restartChild and deleteChild are refused: dynamic children keep no specs', async () => {
    const node = await startNode();
    const sup = await DynamicSupervisor.start(node);
    await expect(Supervisor.restartChild(node, sup, 'x')).rejects.toThrow(/no restartChild/);
  });
});
