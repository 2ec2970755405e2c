import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { InvalidTopicError, PubSub, withTopic } from '@foundation/pubsub';
import { Node } from '@foundation/runtime';
import { Federation, federatedAdapter, nats } from '../src/index.js';
import { topicMatches } from '../src/federation/topics.js';
import { NatsServer, freePort } from './server.js';
import { until } from './support.js';

/*
 * Federated topics: two clusters × 2 nodes over two nats-servers joined by a NATS gateway (as
 * in federation.test.ts), each node with a PubSub on the federated adapter; and a hub of three.
 */

const servers: NatsServer[] = [];
const nodes: Node[] = [];
const feds: Federation[] = [];
const pubsubs: PubSub[] = [];

async function gatewayServers(names: string[]): Promise<NatsServer[]> {
  const ports = await Promise.all(names.map(() => freePort()));
  const gateways = `gateways: [ ${names.map((n, i) => `{ name: "${n}", url: "nats://127.0.0.1:${ports[i]}" }`).join(', ')} ]`;
  const out: NatsServer[] = [];
  for (const [i, n] of names.entries())
    out.push(await NatsServer.start(`gateway { name: "${n}", listen: "127.0.0.1:${ports[i]}", ${gateways} }`));
  servers.push(...out);
  return out;
}

afterEach(async () => {
  for (const p of pubsubs.splice(0)) await p.stop().catch(() => undefined);
  for (const f of feds.splice(0)) await f.stop().catch(() => undefined);
  for (const n of nodes.splice(0).reverse()) await n.stop();
});
afterAll(async () => {
  for (const s of servers.splice(0)) await s.dispose();
});

async function member(server: NatsServer, cluster: string, name: string, clusters: string[], fedOpts: object = {}) {
  const node = await Node.start({ name, transport: nats({ servers: server.url, cluster, heartbeatMs: 100 }) });
  nodes.push(node);
  const fed = await Federation.start(node, { servers: server.url, cluster, clusters, heartbeatMs: 100, ...fedOpts });
  feds.push(fed);
  const ps = await PubSub.start(node, {
    name: 'app',
    dispatchers: { withTopic },
    adapter: federatedAdapter(fed, { patterns: ['alerts.#', 'orders.*.created'] }),
  });
  pubsubs.push(ps);
  const inbox = node.inbox();
  await ps.subscribe(inbox.self, '#');
  return { node, fed, ps, inbox };
}

/** Everything `inbox` holds once nothing more arrives for a moment. */
async function drain(inbox: ReturnType<Node['inbox']>): Promise<unknown[]> {
  const got: unknown[] = [];
  for (;;) {
    try {
      got.push(await inbox.receive(() => true, 300));
    } catch {
      return got;
    }
  }
}

describe('federated topics', () => {
  test('a broadcast to a federated topic reaches every node of both clusters once; other topics stay in their cluster', async () => {
    const [east, west] = await gatewayServers(['E', 'W']);
    const clusters = ['east', 'west'];
    const e1 = await member(east!, 'east', 'e1', clusters);
    const e2 = await member(east!, 'east', 'e2', clusters);
    const w1 = await member(west!, 'west', 'w1', clusters);
    const w2 = await member(west!, 'west', 'w2', clusters);
    const all = [e1, e2, w1, w2];
    await until(() => expect(all.map((m) => m.node.nodes().length)).toEqual([1, 1, 1, 1]));
    await until(() => expect(all.map((m) => m.fed.clusters().every((c) => c.reachable))).toEqual([true, true, true, true]));
    // Each cluster's subscriptions have propagated inside it (pg).
    await until(() => expect(all.map((m) => m.ps.nodesFor('x').length)).toEqual([1, 1, 1, 1]));

    await e2.ps.broadcast('alerts.fire', { level: 3 });
    await w2.ps.broadcast('orders.eu.created', 7, { dispatcher: 'withTopic' });
    await e1.ps.broadcast('local.only', 'stays east');
    const got = await Promise.all(
      all.map((m) => until(async () => expect(m.inbox.pending).toBeGreaterThanOrEqual(2)).then(() => drain(m.inbox))),
    );
    const fed = [{ level: 3 }, { topic: 'orders.eu.created', message: 7 }];
    expect(got[0]).toEqual(expect.arrayContaining([...fed, 'stays east']));
    expect(got[0]).toHaveLength(3);
    expect(got[1]).toEqual(expect.arrayContaining([...fed, 'stays east']));
    expect(got[1]).toHaveLength(3);
    expect(got[2]).toEqual(expect.arrayContaining(fed));
    expect(got[2]).toHaveLength(2);
    expect(got[3]).toEqual(expect.arrayContaining(fed));
    expect(got[3]).toHaveLength(2);
  });

  test('in a hub of three clusters a broadcast crosses each cluster once and does not come back', async () => {
    const [a, b, c] = await gatewayServers(['A', 'B', 'C']);
    const clusters = ['hub', 'left', 'right'];
    const opts = { topology: 'hub', hub: 'hub' };
    const h = await member(a!, 'hub', 'h1', clusters, opts);
    const l = await member(b!, 'left', 'l1', clusters, opts);
    const r = await member(c!, 'right', 'r1', clusters, opts);
    await until(() => expect([h, l, r].map((m) => m.fed.clusters().every((x) => x.reachable))).toEqual([true, true, true]));
    await l.ps.broadcast('alerts.flood', 'water');
    await r.ps.broadcast('alerts.fire', 'smoke');
    const got = await Promise.all(
      [h, l, r].map((m) => until(() => expect(m.inbox.pending).toBeGreaterThanOrEqual(2)).then(() => drain(m.inbox))),
    );
    for (const g of got) expect([...g].sort()).toEqual(['smoke', 'water']);
  });

  test('matching follows AMQP patterns; a bad pattern is refused when the adapter is made', () => {
    const m = (p: string, t: string) => topicMatches(p.split('.'), t.split('.'));
    expect([
      m('alerts.#', 'alerts'),
      m('alerts.#', 'alerts.a.b'),
      m('a.*.c', 'a.b.c'),
      m('a.*.c', 'a.c'),
      m('#.z', 'z'),
      m('a', 'b'),
    ]).toEqual([true, true, true, false, true, false]);
    expect(() => federatedAdapter({} as Federation, { patterns: ['a..b'] })).toThrow(InvalidTopicError);
  });
});
