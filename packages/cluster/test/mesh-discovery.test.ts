import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { dns } from '../src/index.js';
import { findDnsmasq, startDnsmasq, startRelay, type DnsRelay, type Dnsmasq } from './fixtures/dnsmasq.js';
import { LogLines, startNode, stopAll, until } from './mesh-helpers.js';

// How the mesh acts on what discovery reports: found URLs are dialled until connected, lost
// ones are no longer redialled. Against a real DNS server (dnsmasq), as in production.

const DNSMASQ = findDnsmasq();
if (!DNSMASQ)
  console.warn('SKIPPED: the mesh discovery tests need dnsmasq (apt-get install -y --no-install-recommends dnsmasq); .ci/run installs it.');

/** A listening socket that counts the connections made to it and closes each at once: a pod address nobody serves. */
async function counter(host: string, port: number): Promise<{ count: () => number; close: () => Promise<void> }> {
  let n = 0;
  const conns = new Set<Socket>();
  const server: Server = createServer((s) => {
    n++;
    conns.add(s);
    s.on('error', () => {});
    s.on('close', () => conns.delete(s));
    s.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    count: () => n,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of conns) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port free on 127.0.0.1 now (the DNS strategy needs the port before the node starts). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe.skipIf(!DNSMASQ)('mesh with DNS discovery (against a dnsmasq on 127.0.0.1)', () => {
  let server: Dnsmasq;
  let relay: DnsRelay;
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    server = await startDnsmasq(DNSMASQ!, []);
    // Counts the lookups, so the test can wait for polls instead of time.
    relay = await startRelay(server.server, 0);
  });
  afterAll(async () => {
    await relay?.close();
    await server?.stop();
  });
  afterEach(async () => {
    await stopAll();
    for (const close of closers.splice(0)) await close();
  });

  const NAME = 'nodes.mesh.test';
  const hosts = (ips: string[]) =>
    server.setHosts(
      ips.map((ip) => `${ip} ${NAME}`),
      { name: NAME, addresses: ips },
    );
  const polls = async (n: number) => {
    const from = relay.received;
    await until(() => expect(relay.received).toBeGreaterThanOrEqual(from + n));
  };

  test('a URL discovery stops listing is no longer dialled; a live connection to it is left to the heartbeat', async () => {
    const port = await freePort();
    await hosts(['127.0.0.1', '127.0.0.2']);
    const discovery = () => [dns({ query: NAME, port, intervalMs: 30, resolver: relay.server })];
    const log = new LogLines();
    const { node: a } = await startNode('a', { port, discovery: discovery() }, log);
    const { node: b } = await startNode('b', { host: '127.0.0.2', port });
    const bUrl = `ws://127.0.0.2:${port}`;
    expect(b.url).toBe(bUrl);
    await until(() => expect(a.nodes()).toEqual(['b']));

    // b's address leaves DNS while b is up: the connection stays.
    await hosts(['127.0.0.1']);
    await polls(3);
    expect(a.nodes()).toEqual(['b']);
    await hosts(['127.0.0.1', '127.0.0.2']);
    await polls(2);

    // b stops (a clean goodbye: nothing but discovery wants its URL). While DNS lists it, a redials it.
    await b.stop();
    const gone = await counter('127.0.0.2', port);
    closers.push(gone.close);
    await until(() => expect(gone.count()).toBeGreaterThanOrEqual(2));
    expect(log.has(/no longer lists/)).toBe(false);

    // The pod is gone from DNS: within a couple of polls a gives it up.
    await hosts(['127.0.0.1']);
    await until(() => expect(log.has(new RegExp(`debug a: discovery 'dns' no longer lists ${bUrl}: not dialling it any more`))).toBe(true));
    const attempts = gone.count();
    // Ten more polls (≥ 300 ms): more than the backoff after the few failed dials above.
    await polls(10);
    expect(gone.count()).toBe(attempts);
    expect(log.count(/no longer lists/)).toBe(1);
  });
});
