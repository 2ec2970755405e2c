import { afterEach, describe, expect, test } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { CallExitError, isDown, isExit } from '@foundation/runtime';
import { Echo, seeds, startNode, stopAll, until } from './mesh-helpers.js';

/**
 * A TCP proxy on the loopback that can cut the path silently — bytes stop flowing, no socket
 * closes — as a network partition does, and heal it again.
 */
class PartitionProxy {
  private server!: Server;
  private readonly sockets = new Set<Socket>();
  cut = false;
  port = 0;

  async start(targetPort: number): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(from);
        from.on('data', (d) => {
          if (!this.cut) to.write(d);
        });
        from.on('error', () => to.destroy());
        from.on('close', () => to.destroy());
      }
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

const proxies: PartitionProxy[] = [];
afterEach(async () => {
  await stopAll();
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
});

describe('a partition the network makes (a silent TCP path, not a closed socket)', () => {
  test("heartbeats find it: nodedown, links and monitors 'noconnection', pending calls fail; the nodes meet again after it heals", async () => {
    const { node: x } = await startNode('x', { tickMs: 100 });
    const proxy = new PartitionProxy();
    proxies.push(proxy);
    await proxy.start(Number(new URL(x.url).port));
    // p dials x through the proxy (and, with the smaller name, its dial is the one kept).
    const { node: p } = await startNode('p', { tickMs: 100, discovery: [seeds([`ws://127.0.0.1:${proxy.port}`])] });
    await until(() => expect(p.nodes()).toEqual(['x']));

    const remote = x.spawn(Echo, undefined);
    x.spawn(Echo, undefined, { name: 'echo' }); // not linked to anything on p: outlives the partition
    const box = p.inbox();
    box.link(remote);
    const ref = box.monitor(remote);
    expect(await p.call(remote, 'ping', 1000)).toMatchObject({ echo: 'ping' });
    const downsOnP: unknown[] = [];
    const downsOnX: unknown[] = [];
    p.on('nodedown', (n, r) => downsOnP.push([n, r]));
    x.on('nodedown', (n, r) => downsOnX.push([n, r]));

    proxy.cut = true;
    const pending = p.call(remote, 'hold', 10_000).catch((e: unknown) => e);
    const exit = await box.receive((m) => isExit(m) && m.from.equals(remote), 5000);
    expect((exit as { reason: unknown }).reason).toBe('noconnection');
    const down = await box.receive((m) => isDown(m) && m.ref.equals(ref), 5000);
    expect((down as { reason: unknown }).reason).toBe('noconnection');
    const err = await pending;
    expect(CallExitError.is(err)).toBe(true);
    expect((err as CallExitError).reason).toBe('noconnection');
    await until(() => expect(downsOnP).toContainEqual(['x', 'noconnection']));
    await until(() => expect(downsOnX).toContainEqual(['p', 'noconnection']));
    // The linked actor on x died of the lost link too (it does not trap exits); x itself runs on.
    await until(async () => expect(await x.processInfo(remote)).toBeUndefined());
    expect(await x.call('echo', 'still here', 1000)).toMatchObject({ echo: 'still here' });

    proxy.cut = false;
    await until(() => expect(p.nodes()).toEqual(['x']), 10_000);
    expect(await p.call({ name: 'echo', node: 'x' }, 'after the heal', 2000)).toMatchObject({ echo: 'after the heal' });
  });
});
