import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import makeMdns from 'multicast-dns';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StrategyOptionError, mdns, type MdnsOptions, type Strategy } from '../src/index.js';
import { CountingClock, recordingContext } from './fixtures/strategy-context.js';

// Loopback only, never the default network card: multicast goes out of 127.0.0.1 and the
// socket binds 0.0.0.0 so it receives it (see TOOLCHAIN.md).
const LOOPBACK = { interface: '127.0.0.1', bind: '0.0.0.0', loopback: true } as const;

// A service name of this run's own, so concurrent runs and other tests never see each other.
let serial = 0;
const uniqueService = () => `t${process.pid.toString(36)}x${(serial++).toString(36)}`;

const running: Strategy[] = [];
const children: ChildProcess[] = [];
function strategy(options: MdnsOptions): Strategy {
  const s = mdns(options);
  running.push(s);
  return s;
}

const sockets: makeMdns.MulticastDNS[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill();
  await Promise.all(running.splice(0).map(async (s) => s.stop()));
  await Promise.all(sockets.splice(0).map((m) => new Promise<void>((resolve) => m.destroy(() => resolve()))));
});

/**
 * A hand-driven mDNS responder on the loopback: announces an instance of `service` with
 * records of the TTL it is told, counts the queries for the service it hears, and (if told)
 * answers them; it never says goodbye unless the test sends one. A node that died, or that
 * keeps its records alive, as the test needs.
 */
async function responder(service: string, label: string, url: string) {
  const type = `_${service}._tcp.local`;
  const instance = `${label}.${type}`;
  const m = makeMdns({ ...LOOPBACK, multicast: true, port: 5353, reuseAddr: true });
  sockets.push(m);
  await new Promise<void>((resolve) => m.once('ready', () => resolve()));
  const r = {
    queries: 0,
    answerTtl: undefined as number | undefined,
    announce(ttl: number) {
      m.respond({
        answers: [{ name: type, type: 'PTR', ttl, data: instance }],
        additionals: [{ name: instance, type: 'TXT', ttl, data: [`url=${url}`, `name=${label}`] }],
      });
    },
    /** A goodbye of the PTR record alone, as some responders send it. */
    goodbyePtr() {
      m.respond({ answers: [{ name: type, type: 'PTR', ttl: 0, data: instance }] });
    },
  };
  m.on('query', (q) => {
    if (!(q.questions ?? []).some((x) => x.name.toLowerCase() === type.toLowerCase())) return;
    r.queries++;
    if (r.answerTtl !== undefined) r.announce(r.answerTtl);
  });
  return r;
}

describe('mdns', () => {
  it('two nodes in one process find each other on the loopback, and not themselves', async () => {
    const service = uniqueService();
    const a = recordingContext('a@host', 'ws://127.0.0.1:41001');
    const b = recordingContext('b.with.dots', 'ws://127.0.0.1:41002');
    await strategy({ service, ...LOOPBACK, intervalMs: 50 }).start(a);
    await strategy({ service, ...LOOPBACK, intervalMs: 50 }).start(b);
    await vi.waitFor(
      () => {
        expect(a.urls).toContain('ws://127.0.0.1:41002');
        expect(b.urls).toContain('ws://127.0.0.1:41001');
      },
      { timeout: 5000, interval: 10 },
    );
    expect([...a.urls]).toEqual(['ws://127.0.0.1:41002']);
    expect([...b.urls]).toEqual(['ws://127.0.0.1:41001']);
  });

  it('nodes announcing another service are not found', async () => {
    const mine = uniqueService();
    const a = recordingContext('a', 'ws://127.0.0.1:41011');
    const b = recordingContext('b', 'ws://127.0.0.1:41012');
    const other = recordingContext('c', 'ws://127.0.0.1:41013');
    await strategy({ service: mine, ...LOOPBACK, intervalMs: 20 }).start(a);
    await strategy({ service: uniqueService(), ...LOOPBACK, intervalMs: 20 }).start(other);
    await strategy({ service: mine, ...LOOPBACK, intervalMs: 20 }).start(b);
    // Wait until a has heard b: by then it has also seen several of c's announcements and queries.
    await vi.waitFor(() => expect(a.urls).toContain('ws://127.0.0.1:41012'), { timeout: 5000, interval: 10 });
    await vi.waitFor(() => expect(b.urls).toContain('ws://127.0.0.1:41011'), { timeout: 5000, interval: 10 });
    expect(a.urls).not.toContain('ws://127.0.0.1:41013');
    expect(other.urls.size).toBe(0);
  });

  it('a node in another OS process and a node here find each other', async () => {
    const service = uniqueService();
    const here = recordingContext('here', 'ws://127.0.0.1:41021');
    await strategy({ service, ...LOOPBACK, intervalMs: 100 }).start(here);

    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const fixture = fileURLToPath(new URL('./fixtures/mdns-peer.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--conditions=@foundation/source', '--import', tsx, fixture, service, 'there', 'ws://127.0.0.1:41022'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    children.push(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));

    await vi.waitFor(
      () => {
        expect(child.exitCode, `the child exited: ${err}`).toBeNull();
        expect(here.urls).toContain('ws://127.0.0.1:41022');
        expect(out).toContain('found ws://127.0.0.1:41021\n');
      },
      { timeout: 15_000, interval: 20 },
    );
    expect(out).not.toContain('found ws://127.0.0.1:41022');

    child.stdin.end(); // the child stops its strategy (saying goodbye) and exits
    await vi.waitFor(() => expect(child.exitCode).toBe(0), { timeout: 5000, interval: 20 });
    await vi.waitFor(() => expect(here.lostUrls).toEqual(['ws://127.0.0.1:41022']), { timeout: 5000, interval: 10 });
  });

  it('a node that stops sends a goodbye: the others report it lost at once, not at the end of its TTL', async () => {
    const service = uniqueService();
    const a = recordingContext('a', 'ws://127.0.0.1:41061');
    const b = recordingContext('b', 'ws://127.0.0.1:41062');
    await strategy({ service, ...LOOPBACK, intervalMs: 50 }).start(a);
    const sb = mdns({ service, ...LOOPBACK, intervalMs: 50 });
    await sb.start(b);
    await vi.waitFor(() => expect(a.urls).toContain('ws://127.0.0.1:41062'), { timeout: 5000, interval: 10 });
    expect(a.lostUrls).toEqual([]);
    await sb.stop();
    // The records' TTL is 120 s: only the goodbye can make this happen within the wait.
    await vi.waitFor(() => expect(a.lostUrls).toEqual(['ws://127.0.0.1:41062']), { timeout: 5000, interval: 10 });
    expect(b.lostUrls).toEqual([]);
  });

  it('a goodbye of the PTR record alone reports that instance lost; announced again, it is found again', async () => {
    const service = uniqueService();
    const a = recordingContext('a', 'ws://127.0.0.1:41071');
    await strategy({ service, ...LOOPBACK, intervalMs: 50 }).start(a);
    const ghost = await responder(service, 'ghost', 'ws://127.0.0.1:41072');
    ghost.announce(120);
    await vi.waitFor(() => expect(a.urls).toContain('ws://127.0.0.1:41072'), { timeout: 5000, interval: 10 });
    ghost.goodbyePtr();
    await vi.waitFor(() => expect(a.lostUrls).toEqual(['ws://127.0.0.1:41072']), { timeout: 5000, interval: 10 });
    const found = a.foundCount;
    ghost.announce(120);
    await vi.waitFor(() => expect(a.foundCount).toBeGreaterThan(found), { timeout: 5000, interval: 10 });
    ghost.goodbyePtr();
    await vi.waitFor(() => expect(a.lostUrls).toEqual(['ws://127.0.0.1:41072', 'ws://127.0.0.1:41072']), { timeout: 5000, interval: 10 });
  });

  it("a peer not heard again within its records' TTL is reported lost, after being asked for at 80 % and 90 % of it", async () => {
    const service = uniqueService();
    const a = recordingContext('a', 'ws://127.0.0.1:41081');
    // Queries on the interval come only every minute: the ones the ghost hears are the TTL's.
    await strategy({ service, ...LOOPBACK, intervalMs: 60_000 }).start(a);
    const ghost = await responder(service, 'ghost', 'ws://127.0.0.1:41082');
    const asked = ghost.queries;
    ghost.announce(1);
    await vi.waitFor(() => expect(a.urls).toContain('ws://127.0.0.1:41082'), { timeout: 5000, interval: 10 });
    expect(a.lostUrls).toEqual([]);
    await vi.waitFor(() => expect(a.lostUrls).toEqual(['ws://127.0.0.1:41082']), { timeout: 5000, interval: 10 });
    await vi.waitFor(() => expect(ghost.queries - asked).toBe(2), { timeout: 5000, interval: 10 });
  });

  it('a peer that answers the queries before its TTL ends is kept', async () => {
    const service = uniqueService();
    const a = recordingContext('a', 'ws://127.0.0.1:41091');
    await strategy({ service, ...LOOPBACK, intervalMs: 60_000 }).start(a);
    const alive = await responder(service, 'alive', 'ws://127.0.0.1:41092');
    alive.answerTtl = 1;
    alive.announce(1);
    await vi.waitFor(() => expect(a.urls).toContain('ws://127.0.0.1:41092'), { timeout: 5000, interval: 10 });
    // Each answer renews the 1 s TTL, and the next query comes at 80 % of it: 3 queries span over two TTLs.
    await vi.waitFor(() => expect(alive.queries).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 10 });
    expect(a.lostUrls).toEqual([]);
  });

  it('stop clears the expiry timers of the peers heard, and reports none of them lost', async () => {
    const service = uniqueService();
    const clock = new CountingClock();
    const a = recordingContext('a', 'ws://127.0.0.1:41101');
    const sa = mdns({ service, ...LOOPBACK, intervalMs: 60_000, clock });
    await sa.start(a);
    await strategy({ service, ...LOOPBACK, intervalMs: 50 }).start(recordingContext('b', 'ws://127.0.0.1:41102'));
    await strategy({ service, ...LOOPBACK, intervalMs: 50 }).start(recordingContext('c', 'ws://127.0.0.1:41103'));
    await vi.waitFor(() => expect(a.urls.size).toBe(2), { timeout: 5000, interval: 10 });
    expect(clock.pending.size).toBe(3); // the query timer, and one per peer
    await sa.stop();
    expect(clock.pending.size).toBe(0);
    expect(a.lostUrls).toEqual([]);
  });

  it('stop clears the query timer and closes the socket: a stopped node no longer answers', async () => {
    const service = uniqueService();
    const clock = new CountingClock();
    const gone = mdns({ service, ...LOOPBACK, intervalMs: 20, clock });
    await gone.start(recordingContext('gone', 'ws://127.0.0.1:41031'));
    expect(clock.pending.size).toBe(1);
    await gone.stop();
    expect(clock.pending.size).toBe(0);
    await gone.stop(); // twice is fine

    const b = recordingContext('b', 'ws://127.0.0.1:41032');
    const c = recordingContext('c', 'ws://127.0.0.1:41033');
    await strategy({ service, ...LOOPBACK, intervalMs: 20 }).start(b);
    await strategy({ service, ...LOOPBACK, intervalMs: 20 }).start(c);
    // b has heard c answer several rounds of queries; a node still listening would have answered them too.
    await vi.waitFor(() => expect(b.foundCount).toBeGreaterThanOrEqual(6), { timeout: 5000, interval: 10 });
    expect([...b.urls]).toEqual(['ws://127.0.0.1:41033']);
  });

  it('a socket that cannot bind is logged, not thrown', async () => {
    const ctx = recordingContext('a', 'ws://127.0.0.1:41041');
    // 192.0.2.1 (TEST-NET-1) is no address of this machine: the bind fails, nothing is sent.
    const s = strategy({ service: uniqueService(), interface: '127.0.0.1', bind: '192.0.2.1', intervalMs: 20 });
    await s.start(ctx);
    expect(ctx.logs.join('\n')).toMatch(/mdns: the socket failed: .*EADDRNOTAVAIL/);
  });

  it('rejects bad options with StrategyOptionError naming the option', () => {
    expect(() => mdns({ service: '_bad service' })).toThrow(/mdns: option service must be a DNS-SD service name/);
    expect(() => mdns({ service: 'much-too-long-service' })).toThrow(StrategyOptionError);
    expect(() => mdns({ interface: 'eth0' })).toThrow(/option interface must be an IPv4 address, got 'eth0'/);
    expect(() => mdns({ loopback: 'yes' as unknown as boolean })).toThrow(/option loopback must be true or false/);
    expect(() => mdns({ intervalMs: 0 })).toThrow(/option intervalMs must be an integer in \[10, 3600000\], got 0/);
    expect(() => mdns({ port: 70000 })).toThrow(StrategyOptionError);
    expect(() => mdns(42 as unknown as MdnsOptions)).toThrow(/option options must be an object/);
    expect(() => mdns({ clock: {} as never })).toThrow(/option clock must be a Clock/);
    expect(mdns().name).toBe('mdns');
  });
});
