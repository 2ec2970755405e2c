import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill();
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe('mdns', () => {
  it('two nodes in one process find each other on the loopback, and not themselves', async () => {
    const service = uniqueService();
    const a = recordingContext('a@host', 'ws://127.0.0.1:41001');
    const b = recordingContext('b.with.dots', 'ws://127.0.0.1:41002');
    await strategy({ service, ...LOOPBACK, intervalMs: 50 }).start(a);
    await strategy({ service, ...LOOPBACK, intervalMs: 50 }).start(b);
    await vi.waitFor(() => {
      expect(a.urls).toContain('ws://127.0.0.1:41002');
      expect(b.urls).toContain('ws://127.0.0.1:41001');
    }, { timeout: 5000, interval: 10 });
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
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));

    await vi.waitFor(() => {
      expect(child.exitCode, `the child exited: ${err}`).toBeNull();
      expect(here.urls).toContain('ws://127.0.0.1:41022');
      expect(out).toContain('found ws://127.0.0.1:41021\n');
    }, { timeout: 15_000, interval: 20 });
    expect(out).not.toContain('found ws://127.0.0.1:41022');

    child.stdin!.end(); // the child stops its strategy and exits
    await vi.waitFor(() => expect(child.exitCode).toBe(0), { timeout: 5000, interval: 20 });
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
