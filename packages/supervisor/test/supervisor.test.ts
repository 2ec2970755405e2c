import { describe, expect, test } from 'vitest';
import { Actor, CallExitError, InitError, UnknownNameError, inspect, type InspectEvent } from '@foundation/runtime';
import {
  ChildAlreadyPresentError,
  ChildAlreadyStartedError,
  ChildNotFoundError,
  ChildRunningError,
  Supervisor,
  StartChildError,
  isFailedToStartChild,
  isReachedMaxRestartIntensity,
  type ChildSpec,
  type Strategy,
  type SupervisorHandle,
  type SupervisorReport,
} from '../src/index.js';
import { Worker, startNode, until, watch, type WorkerArgs } from './helpers.js';

const spec = (id: string, log: string[], extra: Partial<ChildSpec> & { args?: Partial<WorkerArgs> } = {}): ChildSpec => {
  const { args, ...rest } = extra;
  return { id, start: [Worker, { id, log, ...args }], ...rest };
};

async function pids(node: Awaited<ReturnType<typeof startNode>>, sup: SupervisorHandle): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const c of await sup.whichChildren()) out[c.id!] = c.pid?.toString() ?? null;
  return out;
}

/** Waits until the supervisor shows every child running with a pid other than in `before` for `changed`. */
async function restarted(
  node: Awaited<ReturnType<typeof startNode>>,
  sup: SupervisorHandle,
  before: Record<string, string | null>,
  changed: string[],
) {
  return until(async () => {
    const now = await pids(node, sup);
    return changed.every((id) => now[id] !== null && now[id] !== before[id]) ? now : undefined;
  });
}

describe('Supervisor start and stop', () => {
  test('children start in order, each after the previous init, and stop in reverse order', async () => {
    const node = await startNode();
    const log: string[] = [];
    const sup = await Supervisor.start(node, {
      children: [
        spec('a', log, { args: { trap: true } }),
        spec('b', log, { args: { trap: true } }),
        spec('c', log, { args: { trap: true } }),
      ],
    });
    expect(log).toEqual(['start:a', 'start:b', 'start:c']);
    const inbox = node.inbox();
    const down = watch(inbox, sup.pid);
    node.exit(sup.pid, 'shutdown');
    expect((await down).reason).toBe('shutdown');
    expect(log.slice(3)).toEqual(['stop:c', 'stop:b', 'stop:a']);
  });

  test('a child whose init throws fails the start, after the started ones are shut down', async () => {
    const node = await startNode();
    const log: string[] = [];
    const err = await Supervisor.start(node, {
      children: [spec('a', log, { args: { trap: true } }), spec('b', log, { args: { failInit: 'no db' } }), spec('c', log)],
    }).catch((e: unknown) => e);
    expect(InitError.is(err)).toBe(true);
    const reason = (err as InitError).reason;
    expect(isFailedToStartChild(reason)).toBe(true);
    expect(reason).toMatchObject({ shutdown: { failedToStartChild: { child: 'b' } } });
    expect((reason as { shutdown: { failedToStartChild: { reason: Error } } }).shutdown.failedToStartChild.reason.message).toBe('no db');
    expect(log).toEqual(['start:a', 'stop:a']);
  });

  test('a child that ignores shutdown (slow terminate) is killed after its shutdown ms', async () => {
    const node = await startNode();
    const log: string[] = [];
    const reports: SupervisorReport[] = [];
    const sup = await Supervisor.start(node, {
      onReport: (r) => reports.push(r),
      children: [spec('slow', log, { shutdown: 50, args: { trap: true, slowTerminateMs: 60_000 } })],
    });
    const [child] = await sup.whichChildren();
    const inbox = node.inbox();
    const childDown = watch(inbox, child!.pid!);
    const t0 = Date.now();
    await sup.terminateChild('slow');
    expect((await childDown).reason).toBe('killed');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect(reports.find((r) => r.kind === 'shutdownError')).toMatchObject({ child: 'slow', reason: 'killed' });
  });

  test('children that stop as asked (on shutdown, or killed by brutal_kill) give no shutdownError report; each start is reported', async () => {
    const node = await startNode();
    const log: string[] = [];
    const reports: SupervisorReport[] = [];
    const sup = await Supervisor.start(node, {
      onReport: (r) => reports.push(r),
      children: [
        spec('t', log, { args: { trap: true } }),
        spec('u', log),
        spec('k', log, { shutdown: 'brutal_kill', args: { trap: true } }),
        spec('tmp', log, { restart: 'temporary', args: { trap: true } }),
      ],
    });
    for (const id of ['t', 'u', 'k', 'tmp']) await sup.terminateChild(id);
    const down = watch(node.inbox(), sup.pid);
    node.exit(sup.pid, 'shutdown');
    expect((await down).reason).toBe('shutdown');
    expect(reports.filter((r) => r.kind === 'shutdownError')).toEqual([]);
    expect(reports.filter((r) => r.kind === 'started').map((r) => r.child)).toEqual(['t', 'u', 'k', 'tmp']);
  });

  test("shutdown 'brutal_kill' kills at once, without terminate", async () => {
    const node = await startNode();
    const log: string[] = [];
    const sup = await Supervisor.start(node, { children: [spec('b', log, { shutdown: 'brutal_kill', args: { trap: true } })] });
    await sup.terminateChild('b');
    expect(log).toEqual(['start:b']);
    expect((await sup.whichChildren())[0]!.pid).toBeNull();
  });
});

describe('strategies', () => {
  const cases: [Strategy, string[], string[]][] = [
    ['one_for_one', ['b'], ['stop:b', 'start:b']],
    ['one_for_all', ['a', 'b', 'c'], ['stop:b', 'stop:c', 'stop:a', 'start:a', 'start:b', 'start:c']],
    ['rest_for_one', ['b', 'c'], ['stop:b', 'stop:c', 'start:b', 'start:c']],
  ];
  for (const [strategy, again, expected] of cases) {
    test(`${strategy}: a crash of b restarts ${again.join(', ')}, stopping the others last-started first`, async () => {
      const node = await startNode();
      const log: string[] = [];
      const sup = await Supervisor.start(node, {
        strategy,
        children: ['a', 'b', 'c'].map((id) => spec(id, log, { args: { trap: true } })),
      });
      const before = await pids(node, sup);
      const b = (await sup.whichChildren())[1]!.pid!;
      log.length = 0;
      node.cast(b, { crash: 'boom' });
      const after = await restarted(node, sup, before, again);
      for (const id of ['a', 'b', 'c']) if (!again.includes(id)) expect(after[id]).toBe(before[id]);
      expect(log).toEqual(expected);
    });
  }
});

describe('restart types', () => {
  async function exitWith(restart: 'permanent' | 'transient' | 'temporary', reason: unknown) {
    const node = await startNode();
    const log: string[] = [];
    const sup = await Supervisor.start(node, { children: [spec('w', log, { restart })] });
    const [child] = await sup.whichChildren();
    const inbox = node.inbox();
    const down = watch(inbox, child!.pid!);
    node.cast(child!.pid!, reason instanceof Error ? { crash: reason.message } : { stop: reason });
    await down;
    // a second call is queued behind the EXIT (see the report): the restart, if any, has happened
    await sup.countChildren();
    return { node, sup, children: await sup.whichChildren(), old: child!.pid! };
  }

  test('permanent: restarted after normal, shutdown and a crash', async () => {
    for (const reason of ['normal', 'shutdown', new Error('x')]) {
      const { children, old } = await exitWith('permanent', reason);
      expect(children[0]!.pid).not.toBeNull();
      expect(children[0]!.pid!.equals(old)).toBe(false);
    }
  });

  test('transient: restarted after a crash only, not after normal, shutdown or { shutdown: _ }', async () => {
    for (const reason of ['normal', 'shutdown', { shutdown: 'bye' }]) {
      const { children } = await exitWith('transient', reason);
      expect(children).toEqual([{ id: 'w', pid: null, type: 'worker', restart: 'transient' }]);
    }
    const { children } = await exitWith('transient', new Error('x'));
    expect(children[0]!.pid).not.toBeNull();
  });

  test('temporary: never restarted, and its spec is dropped', async () => {
    for (const reason of ['normal', new Error('x')]) {
      const { children } = await exitWith('temporary', reason);
      expect(children).toEqual([]);
    }
  });
});

describe('restart intensity and escalation', () => {
  test('over maxRestarts in maxSeconds the supervisor stops its children and exits naming the child', async () => {
    const node = await startNode();
    const log: string[] = [];
    const sup = await Supervisor.start(node, {
      maxRestarts: 2,
      maxSeconds: 60,
      children: [spec('a', log, { args: { trap: true } }), spec('b', log)],
    });
    const inbox = node.inbox();
    const supDown = watch(inbox, sup.pid);
    for (let i = 0; i < 3; i++) {
      const b = await until(async () => (await sup.whichChildren())[1]!.pid ?? undefined);
      const down = watch(inbox, b);
      node.cast(b, { crash: `crash ${i}` });
      await down;
      if (i < 2) await sup.countChildren();
    }
    const { reason } = await supDown;
    expect(isReachedMaxRestartIntensity(reason)).toBe(true);
    expect(reason).toMatchObject({ shutdown: { reachedMaxRestartIntensity: { child: 'b', reason: { message: 'crash 2' } } } });
    expect(log.at(-1)).toBe('stop:a');
  });

  test('escalation: a child supervisor that gives up is restarted by its parent', async () => {
    const node = await startNode();
    const log: string[] = [];
    const reports: SupervisorReport[] = [];
    const top = await Supervisor.start(node, {
      onReport: (r) => reports.push(r),
      children: [
        {
          id: 'inner',
          type: 'supervisor',
          start: [Supervisor, { maxRestarts: 0, children: [spec('leaf', log)] }],
        },
      ],
    });
    const [inner] = await top.whichChildren();
    expect(inner).toMatchObject({ id: 'inner', type: 'supervisor', restart: 'permanent' });
    const [leaf] = await Supervisor.of(node, inner!.pid!).whichChildren();
    node.cast(leaf!.pid!, { crash: 'leaf down' });
    const inner2 = await until(async () => {
      const [c] = await top.whichChildren();
      return c!.pid !== null && !c!.pid.equals(inner!.pid!) ? c!.pid : undefined;
    });
    expect((await Supervisor.of(node, inner2).whichChildren())[0]!.pid).not.toBeNull();
    const terminated = reports.find((r) => r.kind === 'childTerminated');
    expect(terminated).toMatchObject({ child: 'inner', reason: { shutdown: { reachedMaxRestartIntensity: { child: 'leaf' } } } });
    expect(log).toEqual(['start:leaf', 'stop:leaf', 'start:leaf']);
  });
});

describe('child API', () => {
  test('startChild, terminateChild, restartChild, deleteChild, countChildren', async () => {
    const node = await startNode();
    const log: string[] = [];
    const sup = await Supervisor.start(node, { children: [spec('a', log)] });
    const pid = await sup.startChild(spec('b', log));
    expect(await node.call(pid, 'ping')).toBe('b');
    await expect(sup.startChild(spec('b', log))).rejects.toBeInstanceOf(ChildAlreadyStartedError);
    expect(await sup.countChildren()).toEqual({ specs: 2, active: 2, supervisors: 0, workers: 2 });
    await expect(sup.deleteChild('b')).rejects.toBeInstanceOf(ChildRunningError);
    await sup.terminateChild('b');
    expect(await sup.countChildren()).toEqual({ specs: 2, active: 1, supervisors: 0, workers: 2 });
    await expect(sup.startChild(spec('b', log))).rejects.toBeInstanceOf(ChildAlreadyPresentError);
    const again = await sup.restartChild('b');
    expect(await node.call(again, 'ping')).toBe('b');
    await expect(sup.restartChild('b')).rejects.toBeInstanceOf(ChildRunningError);
    await sup.terminateChild('b');
    await sup.deleteChild('b');
    expect((await sup.whichChildren()).map((c) => c.id)).toEqual(['a']);
    await expect(sup.terminateChild('zz')).rejects.toBeInstanceOf(ChildNotFoundError);
    const failed = await sup.startChild(spec('c', log, { args: { failInit: 'nope' } })).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(StartChildError);
    expect((failed as StartChildError).reason).toMatchObject({ message: 'nope' });
    expect((await sup.whichChildren()).map((c) => c.id)).toEqual(['a']);
  });

  test('works by registered name and from inside an actor context', async () => {
    const node = await startNode();
    const log: string[] = [];
    await Supervisor.start(node, { children: [spec('a', log)] }, { name: 'root_sup' });
    expect((await Supervisor.of(node, 'root_sup').whichChildren())[0]!.id).toBe('a');
    const inbox = node.inbox();
    expect((await Supervisor.of(inbox, 'root_sup').countChildren()).active).toBe(1);
  });

  test('a call to a dead supervisor rejects with CallExitError', async () => {
    const node = await startNode();
    const sup = await Supervisor.start(node, {});
    node.exit(sup.pid, 'kill');
    await expect(sup.whichChildren()).rejects.toBeInstanceOf(CallExitError);
  });
});

/** Starts a supervisor from inside its init and answers with what the handle reports, from the actor's own context. */
class Owner extends Actor<'children' | 'byName' | 'stop', unknown, string[]> {
  private sup!: SupervisorHandle;
  override async init(log: string[]): Promise<void> {
    this.sup = await Supervisor.start(this, { children: [spec('a', log)] }, { name: 'owned_sup' });
  }
  override async handleCall(msg: 'children' | 'byName' | 'stop'): Promise<unknown> {
    if (msg === 'children') return (await this.sup.whichChildren()).map((c) => c.id);
    if (msg === 'byName') return (await Supervisor.of(this, 'owned_sup').countChildren()).active;
    await this.sup.stop();
    return 'stopped';
  }
}

describe('handle', () => {
  test('stop() stops the children last started first and resolves once they have stopped; again, at once', async () => {
    const node = await startNode();
    const log: string[] = [];
    const sup = await Supervisor.start(node, {
      children: [spec('a', log, { args: { trap: true } }), spec('b', log, { args: { trap: true, slowTerminateMs: 20, logEnd: true } })],
    });
    await sup.stop();
    expect(log.slice(2)).toEqual(['stop:b', 'end:b', 'stop:a']);
    await until(() => Promise.resolve(node.isAlive(sup.pid) === false ? true : undefined));
    await sup.stop();
  });

  test('a handle made inside an actor (ctx = this) calls from that actor; of() finds one by name', async () => {
    const node = await startNode();
    const log: string[] = [];
    const owner = await node.spawnAndWait(Owner, log);
    expect(await node.call(owner, 'children')).toEqual(['a']);
    expect(await node.call(owner, 'byName')).toBe(1);
    expect(await node.call(owner, 'stop')).toBe('stopped');
    expect(node.whereis('owned_sup')).toBeUndefined();
  });

  test('of() with a name nobody holds throws UnknownNameError', async () => {
    const node = await startNode();
    expect(() => Supervisor.of(node, 'nobody')).toThrow(UnknownNameError);
  });
});

describe('Supervisor inspection', () => {
  test('a restart is published on the node inspection stream with the child, its new pid and why the old one ended', async () => {
    const node = await startNode();
    const events: InspectEvent[] = [];
    inspect(node, (e) => events.push(e), { types: ['restart'] });
    const sup = await Supervisor.start(node, { children: [spec('a', [])] });
    const before = await pids(node, sup);
    const [child] = await sup.whichChildren();
    node.cast(child!.pid!, { crash: 'boom' });
    const now = await restarted(node, sup, before, ['a']);
    await until(() => events.length === 1 || undefined);
    const e = events[0]!;
    expect(e.type).toBe('restart');
    if (e.type !== 'restart') return;
    expect(e.supervisor.equals(sup.pid)).toBe(true);
    expect(e.childId).toBe('a');
    expect(e.pid?.toString()).toBe(now['a']);
    expect((e.reason as Error).message).toBe('boom');
  });
});
