import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { StrategyOptionError, dns, type DnsOptions, type Strategy } from '../src/index.js';
import { findDnsmasq, startDnsmasq, startRelay, type DnsRelay, type Dnsmasq } from './fixtures/dnsmasq.js';
import { CountingClock, recordingContext } from './fixtures/strategy-context.js';

const DNSMASQ = findDnsmasq();
if (!DNSMASQ) {
  console.warn('SKIPPED: the dns strategy tests need dnsmasq (apt-get install -y --no-install-recommends dnsmasq); .ci/run installs it.');
}

const running: Strategy[] = [];
const relays: DnsRelay[] = [];
function strategy(options: DnsOptions): Strategy {
  const s = dns(options);
  running.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map(async (s) => s.stop()));
  await Promise.all(relays.splice(0).map((r) => r.close()));
});
async function relay(upstream: string | undefined, drop: number): Promise<DnsRelay> {
  const r = await startRelay(upstream, drop);
  relays.push(r);
  return r;
}

describe.skipIf(!DNSMASQ)('dns (against a dnsmasq on 127.0.0.1; skipped when dnsmasq is not installed)', () => {
  let server: Dnsmasq;
  beforeAll(async () => {
    server = await startDnsmasq(DNSMASQ!, [
      'address=/x.test/127.0.0.1',
      'host-record=peers.y.test,127.0.0.2',
      'host-record=peers.y.test,127.0.0.3',
      'srv-host=_foundation._tcp.x.test,node-a.x.test,4001,0,10',
      'srv-host=_foundation._tcp.x.test,node-b.x.test,4002,0,10',
    ]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("type 'A' reports scheme://address:port for every address, except this node's own", async () => {
    const ctx = recordingContext('a', 'ws://127.0.0.2:4000');
    await strategy({ query: 'peers.y.test', type: 'A', port: 4000, intervalMs: 50, resolver: server.server }).start(ctx);
    await vi.waitFor(() => expect(ctx.urls).toContain('ws://127.0.0.3:4000'), { timeout: 5000, interval: 5 });
    expect([...ctx.urls]).toEqual(['ws://127.0.0.3:4000']);
    expect(ctx.logs).toEqual([]);
  });

  it("type 'SRV' reports each record's host and port; scheme 'wss' and a port override apply", async () => {
    const plain = recordingContext('a', 'ws://127.0.0.1:4000');
    await strategy({ query: '_foundation._tcp.x.test', type: 'SRV', intervalMs: 50, resolver: [server.server] }).start(plain);
    await vi.waitFor(() => expect([...plain.urls].sort()).toEqual(['ws://node-a.x.test:4001', 'ws://node-b.x.test:4002']), {
      timeout: 5000,
      interval: 5,
    });

    const secure = recordingContext('a', 'wss://127.0.0.1:4000');
    await strategy({
      query: '_foundation._tcp.x.test',
      type: 'SRV',
      scheme: 'wss',
      port: 9443,
      intervalMs: 50,
      resolver: server.server,
    }).start(secure);
    await vi.waitFor(() => expect([...secure.urls].sort()).toEqual(['wss://node-a.x.test:9443', 'wss://node-b.x.test:9443']), {
      timeout: 5000,
      interval: 5,
    });
  });

  it('keeps polling: a name that fails at first is found once it appears, and the failure is logged once', async () => {
    const ctx = recordingContext('a', 'ws://127.0.0.1:4000');
    await strategy({ query: 'later.z.test', port: 4100, intervalMs: 20, resolver: server.server }).start(ctx);
    await vi.waitFor(() => expect(ctx.logs.length).toBeGreaterThan(0), { timeout: 5000, interval: 5 });
    expect(ctx.logs[0]).toMatch(/^dns: A lookup of later\.z\.test failed: .*EREFUSED/);
    await server.setHosts(['127.0.0.9 later.z.test'], { name: 'later.z.test', addresses: ['127.0.0.9'] });
    await vi.waitFor(() => expect(ctx.urls).toContain('ws://127.0.0.9:4100'), { timeout: 5000, interval: 5 });
    // Many polls failed, but the same failure is logged once, and the recovery once.
    expect(ctx.logs).toEqual([ctx.logs[0], 'dns: A lookup of later.z.test succeeded again']);
  });

  it('a lookup that times out is logged, and the next poll finds the peers', async () => {
    // The relay drops the first two queries (timeouts) and forwards the rest to dnsmasq.
    const flaky = await relay(server.server, 2);
    const ctx = recordingContext('a', 'ws://127.0.0.1:4000');
    await strategy({ query: 'peers.y.test', port: 4000, intervalMs: 20, timeoutMs: 100, resolver: flaky.server }).start(ctx);
    await vi.waitFor(() => expect(ctx.urls).toContain('ws://127.0.0.3:4000'), { timeout: 5000, interval: 5 });
    expect(ctx.logs[0]).toMatch(/^dns: A lookup of peers\.y\.test failed: .*ETIMEOUT/);
    expect(flaky.received).toBeGreaterThanOrEqual(3);
  });

  it('a server that never answers: every poll times out, is retried, and nothing throws', async () => {
    const silent = await relay(undefined, 0);
    const ctx = recordingContext('a', 'ws://127.0.0.1:4000');
    await strategy({ query: 'peers.y.test', port: 4000, intervalMs: 10, timeoutMs: 30, resolver: silent.server }).start(ctx);
    await vi.waitFor(() => expect(silent.received).toBeGreaterThanOrEqual(3), { timeout: 5000, interval: 5 });
    expect(ctx.logs).toHaveLength(1);
    expect(ctx.logs[0]).toMatch(/ETIMEOUT/);
    expect(ctx.urls.size).toBe(0);
  });

  it('an address listed by the last successful lookup and gone from this one is reported lost; a failed lookup reports nothing lost', async () => {
    const name = 'roll.w.test';
    await server.setHosts([`127.0.0.21 ${name}`, `127.0.0.22 ${name}`], { name, addresses: ['127.0.0.21', '127.0.0.22'] });
    // A relay in front of dnsmasq counts the lookups, so the test knows how many polls happened.
    const counted = await relay(server.server, 0);
    const ctx = recordingContext('a', 'ws://127.0.0.21:4000');
    await strategy({ query: name, port: 4000, intervalMs: 20, resolver: counted.server }).start(ctx);
    await vi.waitFor(() => expect(ctx.urls).toContain('ws://127.0.0.22:4000'), { timeout: 5000, interval: 5 });

    // The pod at .22 is rolled: it comes back at .23.
    await server.setHosts([`127.0.0.21 ${name}`, `127.0.0.23 ${name}`], { name, addresses: ['127.0.0.21', '127.0.0.23'] });
    await vi.waitFor(() => expect(ctx.lostUrls).toEqual(['ws://127.0.0.22:4000']), { timeout: 5000, interval: 5 });
    await vi.waitFor(() => expect(ctx.urls).toContain('ws://127.0.0.23:4000'), { timeout: 5000, interval: 5 });

    // The name vanishes (NXDOMAIN): a failed lookup, which says nothing about who is gone.
    await server.setHosts([], { name, addresses: [] });
    await vi.waitFor(() => expect(ctx.logs).toHaveLength(1), { timeout: 5000, interval: 5 });
    const failingFrom = counted.received;
    await vi.waitFor(() => expect(counted.received).toBeGreaterThanOrEqual(failingFrom + 5), { timeout: 5000, interval: 5 });
    expect(ctx.lostUrls).toEqual(['ws://127.0.0.22:4000']);

    // Back, with .23 gone meanwhile: compared with the last successful lookup, .23 is lost.
    await server.setHosts([`127.0.0.21 ${name}`, `127.0.0.24 ${name}`], { name, addresses: ['127.0.0.21', '127.0.0.24'] });
    await vi.waitFor(() => expect(ctx.lostUrls).toEqual(['ws://127.0.0.22:4000', 'ws://127.0.0.23:4000']), { timeout: 5000, interval: 5 });
    await vi.waitFor(() => expect(ctx.urls).toContain('ws://127.0.0.24:4000'), { timeout: 5000, interval: 5 });
    const polled = counted.received;
    await vi.waitFor(() => expect(counted.received).toBeGreaterThanOrEqual(polled + 3), { timeout: 5000, interval: 5 });
    // Each loss is reported once, and this node's own URL never.
    expect(ctx.lostUrls).toEqual(['ws://127.0.0.22:4000', 'ws://127.0.0.23:4000']);
  });

  it('stop clears the poll timer and cancels the lookup in flight', async () => {
    const clock = new CountingClock();
    const ctx = recordingContext('a', 'ws://127.0.0.1:4000');
    const s = dns({ query: 'peers.y.test', port: 4000, intervalMs: 20, resolver: server.server, clock });
    await s.start(ctx);
    await vi.waitFor(() => expect(ctx.urls.size).toBe(2), { timeout: 5000, interval: 5 });
    await vi.waitFor(() => expect(clock.pending.size).toBe(1), { timeout: 5000, interval: 1 });
    await s.stop();
    expect(clock.pending.size).toBe(0);

    // A lookup stopped in flight: the silent server never answers, so only cancel can end it.
    const silentA = await relay(undefined, 0);
    const stopped = recordingContext('b', 'ws://127.0.0.1:4000');
    const clockB = new CountingClock();
    const b = dns({ query: 'peers.y.test', port: 4000, intervalMs: 20, timeoutMs: 150, resolver: silentA.server, clock: clockB });
    await b.start(stopped);
    await vi.waitFor(() => expect(silentA.received).toBe(1), { timeout: 5000, interval: 1 });
    await b.stop();
    // A twin started later with the same timeout: once it has logged its timeout, b's lookup
    // would have timed out too, had it not been cancelled.
    const silentB = await relay(undefined, 0);
    const twin = recordingContext('c', 'ws://127.0.0.1:4000');
    await strategy({ query: 'peers.y.test', port: 4000, intervalMs: 20, timeoutMs: 150, resolver: silentB.server }).start(twin);
    await vi.waitFor(() => expect(twin.logs.length).toBe(1), { timeout: 5000, interval: 5 });
    expect(stopped.logs).toEqual([]);
    expect(clockB.pending.size).toBe(0);
    expect(silentA.received).toBe(1);
  });
});

describe('dns options', () => {
  it('rejects bad options with StrategyOptionError naming the option', () => {
    expect(() => dns(undefined as unknown as DnsOptions)).toThrow(/dns: option query must be a DNS name, got undefined/);
    expect(() => dns({ query: 'a b' })).toThrow(StrategyOptionError);
    expect(() => dns({ query: 'x.test' })).toThrow(/dns: option port must be a port number \(type 'A' records carry none\)/);
    expect(() => dns({ query: 'x.test', type: 'MX' as 'A', port: 1 })).toThrow(/option type must be one of 'A', 'SRV', got 'MX'/);
    expect(() => dns({ query: 'x.test', port: 0 })).toThrow(/option port must be an integer in \[1, 65535\], got 0/);
    expect(() => dns({ query: 'x.test', port: 1, intervalMs: -1 })).toThrow(/option intervalMs/);
    expect(() => dns({ query: 'x.test', port: 1, scheme: 'http' as 'ws' })).toThrow(/option scheme/);
    expect(() => dns({ query: 'x.test', port: 1, resolver: 'dns.example:53' })).toThrow(/option resolver must be 'ip' or 'ip:port'/);
    expect(() => dns({ query: 'x.test', port: 1, resolver: [] })).toThrow(/option resolver/);
    expect(() => dns({ query: 'x.test', port: 1, resolver: '127.0.0.1:99999' })).toThrow(/option resolver/);
    expect(dns({ query: '_p._tcp.x.test', type: 'SRV', resolver: ['127.0.0.1:53', '[::1]:5300', '10.0.0.1'] }).name).toBe('dns');
  });
});
