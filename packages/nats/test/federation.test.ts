import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { CallExitError, InvalidArgumentError, Node, type Pid } from '@foundation/runtime';
import { mesh, staticPeers } from '@foundation/cluster';
import { Federation, FederationOptionsError, nats } from '../src/index.js';
import { NatsServer, freePort } from './server.js';
import { Echo, failure, until } from './support.js';

/*
 * Two clusters × 2 nodes over two nats-servers joined by a NATS gateway: east (e1, e2) on one
 * server, west (w1, w2) on the other.
 */

let east: NatsServer;
let west: NatsServer;
let westGatewayConfig = '';
const nodes: Node[] = [];
const feds: Federation[] = [];
const children: ChildProcess[] = [];

async function gatewayPair(): Promise<[NatsServer, NatsServer]> {
  const [ge, gw] = [await freePort(), await freePort()];
  const gateways = `gateways: [ { name: "E", url: "nats://127.0.0.1:${ge}" }, { name: "W", url: "nats://127.0.0.1:${gw}" } ]`;
  westGatewayConfig = `gateway { name: "W", listen: "127.0.0.1:${gw}", ${gateways} }`;
  const e = await NatsServer.start(`gateway { name: "E", listen: "127.0.0.1:${ge}", ${gateways} }`);
  const w = await NatsServer.start(westGatewayConfig);
  return [e, w];
}

beforeAll(async () => {
  [east, west] = await gatewayPair();
});
afterAll(async () => {
  await east.dispose();
  await west.dispose();
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const f of feds.splice(0)) await f.stop().catch(() => undefined);
  for (const n of nodes.splice(0).reverse()) await n.stop();
});

const CLUSTERS = ['east', 'west'];

async function member(server: NatsServer, cluster: string, name: string): Promise<{ node: Node; fed: Federation }> {
  const node = await Node.start({ name, transport: nats({ servers: server.url, cluster, heartbeatMs: 100 }) });
  nodes.push(node);
  const fed = await Federation.start(node, { servers: server.url, cluster, clusters: CLUSTERS, heartbeatMs: 100 });
  feds.push(fed);
  return { node, fed };
}

async function childMember(server: NatsServer, cluster: string, name: string): Promise<ChildProcess> {
  const file = fileURLToPath(new URL('./fixtures/child-federated.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@foundation/source', file, server.url, cluster, name, CLUSTERS.join(',')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`child ${name} exited (${code}) before it was ready`)));
  });
  return child;
}

const reachable = (fed: Federation) =>
  fed
    .clusters()
    .filter((c) => c.reachable)
    .map((c) => c.cluster);

describe('two federated clusters', () => {
  test('a call and a send across clusters; the registry shows both clusters, their gateways and nodes', async () => {
    const e1 = await member(east, 'east', 'e1');
    const e2 = await member(east, 'east', 'e2');
    const w1 = await member(west, 'west', 'w1');
    const w2 = await member(west, 'west', 'w2');
    await until(() => expect([e1, e2, w1, w2].map((m) => m.node.nodes().length)).toEqual([1, 1, 1, 1]));
    await until(() => expect([e1.fed.isGateway, e2.fed.isGateway, w1.fed.isGateway, w2.fed.isGateway]).toEqual([true, false, true, false]));
    await until(() => expect(reachable(e2.fed)).toEqual(['east', 'west']));
    await until(() =>
      expect(e2.fed.clusters()).toEqual([
        { cluster: 'east', gateway: 'e1', nodes: ['e1', 'e2'], reachable: true },
        { cluster: 'west', gateway: 'w1', nodes: ['w1', 'w2'], reachable: true },
      ]),
    );
    // The nodes of one cluster are not nodes of the other: each keeps its own membership.
    expect(e1.node.nodes()).toEqual(['e2']);

    const inbox = e2.node.inbox();
    w1.node.spawn(Echo, inbox.self, { name: 'echo' });
    const onW2 = w2.node.spawn(Echo, undefined, { name: 'echo' });
    const r = await e2.fed.callCluster<{ echo: unknown; self: Pid }>('west', 'echo', { q: [1, new Map([[1, 2]])] }, 4000);
    expect(r.echo).toEqual({ q: [1, new Map([[1, 2]])] });
    expect(r.self.node).toBe('w1');
    const r2 = await e2.fed.callCluster<{ self: Pid }>('west', { name: 'echo', node: 'w2' }, 'q', 4000);
    expect(r2.self.equals(onW2)).toBe(true);
    // A pid from the other cluster is a pid of a node this one does not know.
    expect(((await failure(e2.node.call(r2.self, 'q', 1000))) as CallExitError).reason).toBe('noconnection');
    expect(((await failure(e2.fed.callCluster('west', 'nobody', 'q', 4000))) as CallExitError).reason).toBe('noproc');

    expect(e2.fed.sendToCluster('west', 'echo', 'over there')).toBe(true);
    // To this node's own cluster: delivered through the node itself.
    expect(e2.fed.sendToCluster('east', { name: 'nobody', node: 'e1' }, 'x')).toBe(true);
    expect(() => e2.fed.sendToCluster('north', 'echo', 'x')).toThrow(InvalidArgumentError);
    expect(() => e2.fed.sendToCluster('west', 42 as never, 'x')).toThrow(InvalidArgumentError);
    const hits = async () => (await w1.node.processInfo(w1.node.whereis('echo')!))!.messagesHandled;
    await until(async () => expect(await hits()).toBeGreaterThanOrEqual(2)); // the call and the send
  });

  test('a killed gateway node: callers see unreachable or a timeout for a moment, then the next node of its cluster serves', async () => {
    const e1 = await member(east, 'east', 'e1');
    const child = await childMember(west, 'west', 'w1');
    const w2 = await member(west, 'west', 'w2');
    w2.node.spawn(Echo, undefined, { name: 'echo' });
    await until(() => expect(w2.node.nodes()).toEqual(['w1']));
    await until(async () => expect((await e1.fed.callCluster<{ self: Pid }>('west', 'echo', 'q', 2000)).self.node).toBe('w1'));
    expect(w2.fed.isGateway).toBe(false);
    child.kill('SIGKILL');
    const seen = new Set<string>();
    await until(async () => {
      try {
        const r = await e1.fed.callCluster<{ self: Pid }>('west', 'echo', 'q', 1000);
        seen.add(r.self.node);
      } catch (e) {
        seen.add(CallExitError.is(e) ? String((e as CallExitError).reason) : (e as Error).name);
      }
      expect(seen.has('w2')).toBe(true);
    }, 10_000);
    expect(w2.fed.isGateway).toBe(true);
    expect([...seen].filter((s) => !['w1', 'w2', 'unreachable', 'CallTimeoutError'].includes(s))).toEqual([]);
    await until(() => expect(e1.fed.clusters()[1]).toMatchObject({ cluster: 'west', gateway: 'w2', nodes: ['w2'], reachable: true }));
  });

  test('a cut between the clusters: calls fail with unreachable and the registry marks the cluster unreachable; healed, it is back', async () => {
    const e1 = await member(east, 'east', 'e1');
    const w1 = await member(west, 'west', 'w1');
    w1.node.spawn(Echo, undefined, { name: 'echo' });
    await until(() => expect(reachable(e1.fed)).toEqual(['east', 'west']));
    expect(await e1.fed.callCluster('west', 'echo', 'q', 2000)).toMatchObject({ echo: 'q' });
    // The west server restarted without its gateway: west works on its own, east cannot reach it.
    west.config = west.config.replace(westGatewayConfig, '');
    await west.stop();
    await west.start();
    await until(() => expect(reachable(e1.fed)).toEqual(['east']));
    const e = await failure(e1.fed.callCluster('west', 'echo', 'q', 2000));
    expect((e as CallExitError).reason).toBe('unreachable');
    expect(e1.fed.sendToCluster('west', 'echo', 'lost')).toBe(false);
    await until(() => expect(reachable(w1.fed)).toEqual(['west']));
    // Healed.
    west.config += `\n${westGatewayConfig}\n`;
    await west.stop();
    await west.start();
    await until(() => expect(reachable(e1.fed)).toEqual(['east', 'west']), 15_000);
    await until(async () => expect(await e1.fed.callCluster('west', 'echo', 'again', 2000)).toMatchObject({ echo: 'again' }), 10_000);
  });
});

describe('three clusters in a hub topology (one server)', () => {
  test('a spoke reaches another spoke through the hub gateway', async () => {
    const clusters = ['hub', 's1', 's2'];
    const mk = async (cluster: string, name: string) => {
      const node = await Node.start({ name, transport: nats({ servers: east.url, cluster, heartbeatMs: 100 }) });
      nodes.push(node);
      const fed = await Federation.start(node, { servers: east.url, cluster, clusters, topology: 'hub', hub: 'hub', heartbeatMs: 100 });
      feds.push(fed);
      return { node, fed };
    };
    const h = await mk('hub', 'h1');
    const a = await mk('s1', 'a1');
    const b = await mk('s2', 'b1');
    b.node.spawn(Echo, undefined, { name: 'echo' });
    await until(() => expect(reachable(a.fed)).toEqual(clusters));
    expect(await a.fed.callCluster('s2', 'echo', 'via hub', 2000)).toMatchObject({ echo: 'via hub' });
    expect(h.fed.forwarded).toBe(1);
    await expect(Federation.start(h.node, { servers: east.url, cluster: 'hub', clusters, topology: 'hub' } as never)).rejects.toThrow(
      FederationOptionsError,
    );
  });
});

describe('a mesh cluster in the federation', () => {
  test('a cluster on the WebSocket mesh federates through its gateway node like one on NATS', async () => {
    const m1 = await Node.start({ name: 'm1', transport: mesh({ cookie: 'c' }) });
    nodes.push(m1);
    const m2 = await Node.start({ name: 'm2', transport: mesh({ cookie: 'c', discovery: [staticPeers([m1.url])] }) });
    nodes.push(m2);
    await until(() => expect(m1.nodes()).toEqual(['m2']));
    for (const n of [m1, m2])
      feds.push(await Federation.start(n, { servers: west.url, cluster: 'east', clusters: CLUSTERS, heartbeatMs: 100 }));
    const w1 = await member(west, 'west', 'w1');
    m2.spawn(Echo, undefined, { name: 'echo' });
    await until(() => expect(reachable(w1.fed)).toEqual(['east', 'west']));
    expect(w1.fed.clusters()[0]).toMatchObject({ cluster: 'east', gateway: 'm1', nodes: ['m1', 'm2'] });
    // west -> east's gateway m1 -> m2 over the mesh, and back.
    const r = await w1.fed.callCluster<{ self: Pid }>('east', { name: 'echo', node: 'm2' }, 'q', 4000);
    expect(r.self.node).toBe('m2');
    expect(await feds[0]!.callCluster('west', { name: 'nobody', node: 'w1' }, 'q', 4000).catch((e: CallExitError) => e.reason)).toBe(
      'noproc',
    );
  });
});
