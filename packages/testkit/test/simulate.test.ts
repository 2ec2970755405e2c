import { describe, expect, test } from 'vitest';
import { Actor, isNodeDown, type Node, type Pid } from '@foundation/runtime';
import { SIM_EPOCH_MS, SimulatedNodeError, SimulationStalledError, simulate, type Cluster } from '@foundation/testkit';

/** Sends `to` the message 'tick' after `ms`. */
class Ticker extends Actor<never, never, { to: Pid; ms: number }> {
  override init({ to, ms }: { to: Pid; ms: number }): void {
    this.sendAfter('tick' as never, ms, to);
  }
}

/** Sends `to` n messages named by its node, one per turn. */
class Sender extends Actor<number, never, { to: Pid; n: number }> {
  private to!: Pid;
  override init({ to, n }: { to: Pid; n: number }): void {
    this.to = to;
    this.send(this.self, n);
  }
  override handleInfo(left: number): void {
    this.send(this.to, `${this.node.name}${left}`);
    if (left > 1) this.send(this.self, left - 1);
  }
}

/** Answers with Date.now() as its node reads it. */
class WallClock extends Actor<never, number> {
  override handleCall(): number {
    return Date.now();
  }
}

/** Answers calls with its node's name and what it was asked; forwards infos to `log` when given. */
class Echo extends Actor<unknown, unknown, Pid | undefined> {
  private log: Pid | undefined;
  override init(log?: Pid): void {
    this.log = log;
  }
  override handleCall(msg: unknown): unknown {
    return { from: this.node.name, msg };
  }
  override handleInfo(msg: unknown): void {
    if (this.log) this.send(this.log, msg);
  }
}

/** Every node sends three numbered messages to one collector on node a; returns the order they arrived in. */
async function race(cluster: Cluster): Promise<string[]> {
  const a = cluster.node('a');
  const box = a.inbox();
  const collector = a.spawn(Echo, box.self);
  for (const node of cluster.nodes) {
    for (let i = 0; i < 3; i++) node.send(collector, `${node.name}${i}`);
  }
  await cluster.runUntilQuiet();
  const got: string[] = [];
  while (box.pending > 0) got.push((await box.receive()) as string);
  return got;
}

describe('simulate', () => {
  test('the same seed gives the same trace, byte for byte', async () => {
    const run = (seed: number) =>
      simulate({ nodes: 3, seed }, async (cluster) => {
        await race(cluster);
        return cluster.trace.join('\n');
      });
    const first = await run(7);
    expect(first.split('\n').length).toBeGreaterThan(10);
    expect(await run(7)).toBe(first);
  });

  test('different seeds give different interleavings, and per-sender order always holds', async () => {
    const orders = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const got = await simulate({ nodes: 3, seed }, race);
      expect(got.slice().sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2', 'c0', 'c1', 'c2']);
      for (const n of ['a', 'b', 'c']) expect(got.filter((m) => m.startsWith(n))).toEqual([`${n}0`, `${n}1`, `${n}2`]);
      orders.add(got.join(','));
    }
    expect(orders.size).toBeGreaterThan(5);
  });

  test('a call across nodes resolves while the simulator runs; the body awaits it as usual', async () => {
    const reply = await simulate({ nodes: 2, seed: 1 }, async (cluster) => {
      const echo = cluster.node('b').spawn(Echo, undefined);
      return cluster.node('a').call(echo, 'hi', 1000);
    });
    expect(reply).toEqual({ from: 'b', msg: 'hi' });
  });

  test('time moves only when nothing else can happen: a call to a silent process times out at its deadline', async () => {
    await simulate({ nodes: 2, seed: 3 }, async (cluster) => {
      const box = cluster.node('b').inbox();
      const t0 = cluster.now;
      await expect(cluster.node('a').call(box.self, 'anyone?', 250)).rejects.toMatchObject({ name: 'CallTimeoutError' });
      expect(cluster.now - t0).toBe(250);
    });
  });

  test('advance(ms) fires timers as they fall due; Date.now() inside a node reads its skewed simulated clock', async () => {
    await simulate({ nodes: 2, seed: 5 }, async (cluster) => {
      cluster.skew('b', 40);
      const box = cluster.node('a').inbox();
      cluster.node('a').spawn(Ticker, { to: box.self, ms: 100 });
      await cluster.advance(99);
      expect(box.pending).toBe(0);
      await cluster.advance(1);
      expect(box.pending).toBe(1);
      expect(cluster.now).toBe(100);
      const clock = cluster.node('b').spawn(WallClock, undefined);
      expect(await cluster.node('a').call(clock, 'now', 1000)).toBe(SIM_EPOCH_MS + 100 + 40);
    });
  });

  test('a partition cuts links across groups (both sides see nodedown, frames in flight are lost); heal() joins them again', async () => {
    await simulate({ nodes: 3, seed: 11 }, async (cluster) => {
      const box = cluster.node('c').inbox();
      box.monitorNodes();
      const echo = cluster.node('c').spawn(Echo, box.self);
      cluster.node('a').send(echo, 'lost in flight');
      cluster.partition(['a', 'b'], ['c']);
      expect(cluster.node('a').nodes()).toEqual(['b']);
      expect(cluster.node('c').nodes()).toEqual([]);
      await cluster.runUntilQuiet();
      const got: unknown[] = [];
      while (box.pending > 0) got.push(await box.receive());
      expect(got).toEqual([
        { nodedown: 'a', reason: 'noconnection' },
        { nodedown: 'b', reason: 'noconnection' },
      ]);
      expect(cluster.trace.some((l) => l.includes('frame(s) in flight lost'))).toBe(true);
      cluster.heal();
      expect(cluster.node('c').nodes()).toEqual(['a', 'b']);
    });
  });

  test('crash stops a node for good and its peers see noconnection; restart starts a new incarnation with setup run again', async () => {
    const started: string[] = [];
    await simulate({ nodes: 2, seed: 2, setup: (node: Node) => void started.push(`${node.name}:${node.incarnation}`) }, async (cluster) => {
      const before = cluster.node('b');
      const box = cluster.node('a').inbox();
      box.monitorNodes();
      cluster.crash('b');
      expect(isNodeDown(await box.receive())).toBe(true);
      expect(cluster.nodes.map((n) => n.name)).toEqual(['a']);
      const after = await cluster.restart('b');
      expect(after.incarnation).not.toBe(before.incarnation);
      expect(await box.receive()).toEqual({ nodeup: 'b' });
      expect(started).toHaveLength(3);
      expect(() => cluster.crash('nope')).toThrow(SimulatedNodeError);
      await expect(cluster.restart('b')).rejects.toThrow(SimulatedNodeError);
    });
  });

  test('disconnect drops the link, and the nodes reconnect after the wait given', async () => {
    await simulate({ nodes: 2, seed: 9 }, async (cluster) => {
      const box = cluster.node('a').inbox();
      box.monitorNodes();
      cluster.disconnect('a', 'b', 50);
      expect(await box.receive()).toEqual({ nodedown: 'b', reason: 'noconnection' });
      await cluster.advance(50);
      expect(await box.receive()).toEqual({ nodeup: 'b' });
    });
  });

  test('a reconnect after a disconnect does not heal a partition made meanwhile', async () => {
    await simulate({ nodes: 2, seed: 9 }, async (cluster) => {
      cluster.disconnect('a', 'b', 50);
      cluster.partition(['a'], ['b']);
      await cluster.advance(100);
      expect(cluster.node('a').nodes()).toEqual([]);
      cluster.heal();
      expect(cluster.node('a').nodes()).toEqual(['b']);
    });
  });

  test('recover() reconnects a pair whose disconnect has not reconnected yet: the cluster is whole at once', async () => {
    await simulate({ nodes: 3, seed: 9 }, async (cluster) => {
      cluster.disconnect('a', 'b', 500);
      await cluster.advance(100);
      expect(cluster.node('a').nodes()).toEqual(['c']);
      await cluster.recover();
      expect(cluster.node('a').nodes().sort()).toEqual(['b', 'c']);
      expect(cluster.node('b').nodes().sort()).toEqual(['a', 'c']);
    });
  });

  test('delay holds frames of a link (still in order) until their time', async () => {
    await simulate({ nodes: 2, seed: 4 }, async (cluster) => {
      const box = cluster.node('b').inbox();
      cluster.delay('a', 'b', 30);
      cluster.node('a').send(box.self, 1);
      cluster.node('a').send(box.self, 2);
      await cluster.advance(29);
      expect(box.pending).toBe(0);
      await cluster.advance(1);
      expect([await box.receive(), await box.receive()]).toEqual([1, 2]);
    });
  });

  test('runUntilQuiet waits for delayed frames in flight: time moves to their arrival', async () => {
    await simulate({ nodes: 2, seed: 4 }, async (cluster) => {
      const box = cluster.node('b').inbox();
      cluster.delay('a', 'b', 101);
      cluster.node('a').send(box.self, 'late');
      cluster.delay('a', 'b', 0); // ends the delay for later frames, not for one on its way
      await cluster.runUntilQuiet();
      expect(box.pending).toBe(1);
      expect(cluster.now).toBe(101);
    });
  });

  test("a slow node lags: its actors' messages arrive later in the interleaving than the others', on average", async () => {
    const positionsOfB = async (slow: boolean) => {
      let sum = 0;
      for (let seed = 0; seed < 30; seed++) {
        const got = await simulate({ nodes: 3, seed }, async (cluster) => {
          if (slow) cluster.slow('b', 8);
          const box = cluster.node('a').inbox();
          for (const node of cluster.nodes) node.spawn(Sender, { to: box.self, n: 3 });
          await cluster.runUntilQuiet();
          const got: string[] = [];
          while (box.pending > 0) got.push((await box.receive()) as string);
          return got;
        });
        got.forEach((m, i) => (sum += m.startsWith('b') ? i : 0));
      }
      return sum;
    };
    expect(await positionsOfB(true)).toBeGreaterThan(await positionsOfB(false));
  });

  test('node.stop() in the simulation: what it queued still arrives, its peers see it go with shutdown, and it may be restarted', async () => {
    await simulate({ nodes: 2, seed: 6 }, async (cluster) => {
      const box = cluster.node('a').inbox();
      box.monitorNodes();
      const b = cluster.node('b');
      b.send(box.self, 'last words');
      await b.stop();
      expect(await box.receive()).toBe('last words');
      expect(await box.receive()).toEqual({ nodedown: 'b', reason: 'shutdown' });
      expect(cluster.isUp('b')).toBe(false);
      expect(cluster.nodes.map((n) => n.name)).toEqual(['a']);
      await cluster.restart('b');
      expect(await box.receive()).toEqual({ nodeup: 'b' });
    });
  });

  test('a body that waits for what cannot come fails with SimulationStalledError, naming the seed', async () => {
    const e = await simulate({ nodes: 1, seed: 13 }, async (cluster) => {
      await cluster.node('a').inbox().receive();
    }).catch((e: unknown) => e);
    expect(e).toBeInstanceOf(SimulationStalledError);
    expect((e as Error).message).toContain('seed 13');
  });

  test('a failing body rejects with its own error, the seed and the last steps added', async () => {
    const e = await simulate({ nodes: 2, seed: 21 }, async () => {
      throw new TypeError('boom');
    }).catch((e: unknown) => e);
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toMatch(/boom\n\(simulation seed 21; last steps:/);
  });
});
