/**
 * nats: the NATS transport (@foundation/nats) between two OS processes on loopback, against the
 * WebSocket mesh and against raw NATS between the same two processes, in the same run (runs
 * interleaved: the machine is noisy, compare the ratios).
 *
 * - `nats-oneway`: an actor on A sends `{ seq }` to an actor on B, in rounds of 5,000, each ended
 *   by an ack B returns after the round (per-pair order), 8 rounds in flight; msgs/s. Peers:
 *   `foundation-mesh` (the same actors over the mesh) and `raw-nats` (a bare client publishes
 *   msgpackr-encoded `{ seq }` to a subject B's bare client counts, a request after each round).
 * - `nats-call-rtt`: sequential `node.call`s from A to an actor on B; p50/p99 in µs. Peers:
 *   `foundation-mesh` and `raw-nats` (nc.request to a bare responder in B).
 *
 * - `nats-federation-call-rtt`: in this process, on the same nats-server: a call from e2 to an
 *   actor on e1 of its own cluster (`within-cluster`, the NATS transport) against a
 *   `callCluster` from e2 to the same actor's twin in the federated cluster west (`across-clusters`:
 *   e2 -> west's gateway w1 -> the actor, and back); p50 in µs.
 *
 * - `nats-scale-20`: 20 nodes in one child process (a fresh one per run, mesh and NATS runs
 *   interleaved), all connected (each sees the 19 others): per node, the sockets the process
 *   opened for them (/proc/self/fd), the RSS and heap they added (after a full GC, against the
 *   same process before they started); for NATS also what nats-server's RSS grew by while they
 *   were up (its memory is the price of the hub). Both impls are on the same lines' units.
 *
 * Starts its own nats-server (Debian's, on a free loopback port) and stops it at the end.
 *
 *   pnpm tsx benchmarks/nats.ts            (BENCH_RUNS=5 for more timed runs)
 *   pnpm tsx benchmarks/nats.ts scale      (only `nats-scale-20`)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Actor, Node, encode, decode, type Pid } from '@foundation/runtime';
import { mesh } from '@foundation/cluster';
import { Federation, nats } from '@foundation/nats';
import { RUNS, WARMUP, emit, log, median, now, rate } from './lib/harness.js';

const COOKIE = 'bench';
const ONEWAY = 400_000;
const ROUND = 5_000;
const IN_FLIGHT = 8;
const CALLS = 5_000;

class Sink extends Actor<'self', Pid, undefined> {
  override handleCall(): Pid {
    return this.self;
  }
  override handleInfo(m: { seq?: number; ack?: Pid }): void {
    if (m.ack) this.send(m.ack, 'round');
  }
}

class Blaster extends Actor<never, never, undefined> {
  override handleInfo(m: { to: Pid; n: number; ack: Pid }): void {
    for (let i = 0; i < m.n; i++) this.send(m.to, { seq: i });
    this.send(m.to, { ack: m.ack });
  }
}

class Pong extends Actor<unknown, unknown, undefined> {
  override handleCall(msg: unknown): unknown {
    return msg;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The far side: a mesh node, a NATS node, and a bare NATS client (sink and responder). */
async function runChild(server: string): Promise<void> {
  const m = await Node.start({ name: 'farm', transport: mesh({ cookie: COOKIE }) });
  const n = await Node.start({ name: 'farn', transport: nats({ servers: server, cluster: 'bench' }) });
  for (const node of [m, n]) {
    node.spawn(Sink, undefined, { name: 'sink' });
    node.spawn(Pong, undefined, { name: 'pong' });
  }
  const nc = await connect({ servers: server });
  let count = 0;
  nc.subscribe('raw.sink', { callback: (_e, msg) => void (decode(msg.data), count++) });
  nc.subscribe('raw.ack', { callback: (_e, msg) => void msg.respond(encode(count)) });
  nc.subscribe('raw.echo', { callback: (_e, msg) => void msg.respond(encode(decode(msg.data))) });
  await nc.flush();
  process.stdout.write(`${JSON.stringify({ url: m.url })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void Promise.all([m.stop(), n.stop(), nc.close()]).then(() => process.exit(0)));
}

async function oneway(node: Node, blaster: Pid, sink: Pid, total: number): Promise<number> {
  const inbox = node.inbox();
  const rounds = Math.ceil(total / ROUND);
  const t0 = now();
  let started = 0;
  for (; started < Math.min(IN_FLIGHT, rounds); started++) node.send(blaster, { to: sink, n: ROUND, ack: inbox.self });
  for (let done = 0; done < rounds; done++) {
    await inbox.receive((x) => x === 'round', 60_000);
    if (started < rounds) {
      node.send(blaster, { to: sink, n: ROUND, ack: inbox.self });
      started++;
    }
  }
  const r = rate(rounds * ROUND, now() - t0);
  inbox.close();
  return r;
}

/** Raw NATS one-way: IN_FLIGHT rounds of ROUND publishes in flight, each round closed by a request (ordered after it on the connection). */
async function rawOneway(nc: NatsConnection, total: number): Promise<number> {
  const rounds = Math.ceil(total / ROUND);
  const t0 = now();
  const pending: Promise<unknown>[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < ROUND; i++) nc.publish('raw.sink', encode({ seq: i }));
    pending.push(nc.request('raw.ack', undefined, { timeout: 60_000 }));
    if (pending.length >= IN_FLIGHT) await pending.shift();
  }
  await Promise.all(pending);
  return rate(rounds * ROUND, now() - t0);
}

async function callRtt(call: (i: number) => Promise<unknown>, count: number): Promise<number[]> {
  const lat: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = now();
    await call(i);
    lat[i] = (now() - t0) * 1000;
  }
  return lat.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!);

function ratio(workload: string, name: string, metric: string, a: number, b: number): void {
  process.stdout.write(`${JSON.stringify({ workload, ratio: name, metric, value: Math.round((a / b) * 1000) / 1000 })}\n`);
}

async function main(): Promise<void> {
  const port = await freePort();
  const server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const url = `nats://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  try {
    for (let i = 0; ; i++) {
      try {
        await (await connect({ servers: url })).close();
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const file = fileURLToPath(import.meta.url);
    const proc = spawn(process.execPath, [...process.execArgv, file, 'child', url], { stdio: ['pipe', 'pipe', 'inherit'] });
    child = proc;
    const meshUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve((JSON.parse(line) as { url: string }).url);
      });
      proc.once('exit', (code) => reject(new Error(`the far side exited with ${code}`)));
    });
    const m = await Node.start({ name: 'nearm', transport: mesh({ cookie: COOKIE }) });
    await m.connect(meshUrl);
    const n = await Node.start({ name: 'nearn', transport: nats({ servers: url, cluster: 'bench' }) });
    await n.connect('foundation+nats://bench/farn');
    const nc = await connect({ servers: url });
    const sides = {
      'foundation-nats': { node: n, far: 'farn' },
      'foundation-mesh': { node: m, far: 'farm' },
    };
    const sinks = new Map<string, { blaster: Pid; sink: Pid }>();
    for (const [impl, s] of Object.entries(sides)) {
      sinks.set(impl, {
        blaster: s.node.spawn(Blaster, undefined),
        sink: await s.node.call<Pid>({ name: 'sink', node: s.far }, 'self', 5000),
      });
    }

    // One-way, runs interleaved.
    const oneImpls: [string, (total: number) => Promise<number>][] = [
      ...Object.entries(sides).map(
        ([impl, s]) =>
          [impl, (t: number) => oneway(s.node, sinks.get(impl)!.blaster, sinks.get(impl)!.sink, t)] as [
            string,
            (t: number) => Promise<number>,
          ],
      ),
      ['raw-nats', (t: number) => rawOneway(nc, t)],
    ];
    const rates = new Map<string, number[]>(oneImpls.map(([i]) => [i, []]));
    for (let r = 0; r < WARMUP + RUNS; r++) {
      for (const [impl, once] of oneImpls) {
        const v = await once(r < WARMUP ? ROUND * 8 : ONEWAY);
        if (r >= WARMUP) rates.get(impl)!.push(v);
        log(`nats-oneway ${impl} run ${r + 1}: ${v} msgs/s${r < WARMUP ? ' (warm-up)' : ''}`);
      }
    }
    for (const [impl, runs] of rates) emit({ workload: 'nats-oneway', impl, unit: 'msgs/s', median: median(runs), runs });
    ratio(
      'nats-oneway',
      'foundation-nats/foundation-mesh',
      'median',
      median(rates.get('foundation-nats')!),
      median(rates.get('foundation-mesh')!),
    );
    ratio('nats-oneway', 'foundation-nats/raw-nats', 'median', median(rates.get('foundation-nats')!), median(rates.get('raw-nats')!));

    // Call round trips, runs interleaved.
    const callImpls: [string, (i: number) => Promise<unknown>][] = [
      ['foundation-nats', (i) => n.call({ name: 'pong', node: 'farn' }, i, 5000)],
      ['foundation-mesh', (i) => m.call({ name: 'pong', node: 'farm' }, i, 5000)],
      ['raw-nats', async (i) => decode((await nc.request('raw.echo', encode(i), { timeout: 5000 })).data)],
    ];
    for (const [, c] of callImpls) await callRtt(c, 500); // warm-up
    const p50s = new Map<string, number[]>(callImpls.map(([i]) => [i, []]));
    const p99s = new Map<string, number[]>(callImpls.map(([i]) => [i, []]));
    for (let r = 0; r < RUNS; r++) {
      for (const [impl, c] of callImpls) {
        const lat = await callRtt(c, CALLS);
        p50s.get(impl)!.push(pct(lat, 0.5));
        p99s.get(impl)!.push(pct(lat, 0.99));
        log(`nats-call-rtt ${impl} run ${r + 1}: p50 ${pct(lat, 0.5)} µs, p99 ${pct(lat, 0.99)} µs`);
      }
    }
    for (const [impl, runs] of p50s) {
      process.stdout.write(
        `${JSON.stringify({ workload: 'nats-call-rtt', impl, unit: 'µs', median: median(runs), p50: median(runs), p99: median(p99s.get(impl)!), runs })}\n`,
      );
    }
    // Latency: above 1 means the NATS transport is slower.
    ratio(
      'nats-call-rtt',
      'foundation-nats/foundation-mesh',
      'p50',
      median(p50s.get('foundation-nats')!),
      median(p50s.get('foundation-mesh')!),
    );
    ratio('nats-call-rtt', 'foundation-nats/raw-nats', 'p50', median(p50s.get('foundation-nats')!), median(p50s.get('raw-nats')!));

    await federationRtts(url);
    await scale(url, server.pid!);

    for (const node of [m, n]) if (node.stats().deadLetters > 0) log(`warning: ${node.name}: ${node.stats().deadLetters} dead letters`);
    await Promise.all([m.stop(), n.stop(), nc.close()]);
    proc.stdin!.end();
    await new Promise((r) => proc.once('exit', r));
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    server.kill('SIGKILL');
  }
}

/** A call within a cluster against one across two federated clusters (see the header). */
async function federationRtts(url: string): Promise<void> {
  const W = 'nats-federation-call-rtt';
  const clusters = ['east', 'west'];
  const started: { node: Node; fed: Federation }[] = [];
  for (const [cluster, name] of [
    ['east', 'e1'],
    ['east', 'e2'],
    ['west', 'w1'],
  ] as const) {
    const node = await Node.start({ name, transport: nats({ servers: url, cluster }) });
    node.spawn(Pong, undefined, { name: 'pong' });
    started.push({ node, fed: await Federation.start(node, { servers: url, cluster, clusters }) });
  }
  const [, e2] = started as [unknown, { node: Node; fed: Federation }];
  const deadline = now() + 10_000;
  while (!(e2.node.nodes().includes('e1') && e2.fed.clusters().every((c) => c.reachable))) {
    if (now() > deadline) throw new Error('the federation did not come up');
    await new Promise((r) => setTimeout(r, 20));
  }
  const impls: [string, (i: number) => Promise<unknown>][] = [
    ['within-cluster', (i) => e2.node.call({ name: 'pong', node: 'e1' }, i, 5000)],
    ['across-clusters', (i) => e2.fed.callCluster('west', 'pong', i, 5000)],
  ];
  for (const [, c] of impls) await callRtt(c, 500); // warm-up
  const p50s = new Map<string, number[]>(impls.map(([i]) => [i, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const [impl, c] of impls) {
      const lat = await callRtt(c, CALLS);
      p50s.get(impl)!.push(pct(lat, 0.5));
      log(`${W} ${impl} run ${r + 1}: p50 ${pct(lat, 0.5)} µs, p99 ${pct(lat, 0.99)} µs`);
    }
  }
  for (const [impl, runs] of p50s)
    process.stdout.write(`${JSON.stringify({ workload: W, impl, unit: 'µs', median: median(runs), p50: median(runs), runs })}\n`);
  ratio(W, 'across-clusters/within-cluster', 'p50', median(p50s.get('across-clusters')!), median(p50s.get('within-cluster')!));
  for (const { node, fed } of started.reverse()) {
    await fed.stop();
    await node.stop();
  }
}

const SCALE_NODES = 20;

/** Sockets this process holds (Linux: /proc/self/fd), null elsewhere. */
function sockets(): number | null {
  try {
    return readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
      } catch {
        return false;
      }
    }).length;
  } catch {
    return null;
  }
}

/** Resident memory of process `pid` in bytes (Linux), null elsewhere. */
function rssOf(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function fullGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) for (let i = 0; i < 3; i++) gc();
}

interface ScaleSample {
  socketsPerNode: number | null;
  peersPerNode: number;
  rssPerNodeBytes: number;
  heapPerNodeBytes: number;
  upMs: number;
}

/** The child of one `nats-scale-20` run: starts SCALE_NODES nodes on `transport`, prints a ScaleSample, waits for stdin to end. */
async function runScaleChild(transport: 'mesh' | 'nats', server: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 200));
  fullGc();
  const before = { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed, sockets: sockets() };
  const t0 = now();
  const nodes: Node[] = [];
  for (let i = 0; i < SCALE_NODES; i++) {
    const name = `s${i}`;
    const t = transport === 'mesh' ? mesh({ cookie: COOKIE }) : nats({ servers: server, cluster: 'scale' });
    const node = await Node.start({ name, transport: t });
    if (transport === 'mesh' && i > 0) await node.connect(nodes[0]!.url);
    nodes.push(node);
  }
  const deadline = now() + 120_000;
  while (!nodes.every((n) => n.nodes().length === SCALE_NODES - 1)) {
    if (now() > deadline) throw new Error(`${transport}: the ${SCALE_NODES} nodes did not all see each other`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const upMs = now() - t0;
  // Settled: a few heartbeats' worth of traffic, then a full GC.
  await new Promise((r) => setTimeout(r, 1500));
  fullGc();
  const after = { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed, sockets: sockets() };
  const sample: ScaleSample = {
    socketsPerNode: after.sockets === null || before.sockets === null ? null : (after.sockets - before.sockets) / SCALE_NODES,
    peersPerNode: nodes.reduce((a, n) => a + n.nodes().length, 0) / SCALE_NODES,
    rssPerNodeBytes: Math.round((after.rss - before.rss) / SCALE_NODES),
    heapPerNodeBytes: Math.round((after.heap - before.heap) / SCALE_NODES),
    upMs: Math.round(upMs),
  };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
  process.stdin.resume();
  await new Promise((r) => process.stdin.once('end', r));
  for (const n of nodes.reverse()) await n.stop();
  process.exit(0);
}

/** One `nats-scale-20` run in a fresh child: its sample, and how much nats-server's RSS grew while the nodes were up. */
async function scaleOnce(
  transport: 'mesh' | 'nats',
  url: string,
  serverPid: number,
): Promise<ScaleSample & { serverRssPerNodeBytes: number | null }> {
  const serverBefore = rssOf(serverPid);
  const file = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, [...process.execArgv, '--expose-gc', file, 'scale-child', transport, url], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    const sample = await new Promise<ScaleSample>((resolve, reject) => {
      let out = '';
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line) as ScaleSample);
      });
      proc.once('exit', (code) => reject(new Error(`the ${transport} scale child exited with ${code}`)));
    });
    const serverAfter = rssOf(serverPid);
    const serverRssPerNodeBytes =
      transport === 'nats' && serverBefore !== null && serverAfter !== null ? Math.round((serverAfter - serverBefore) / SCALE_NODES) : null;
    proc.stdin.end();
    await new Promise((r) => proc.once('exit', r));
    return { ...sample, serverRssPerNodeBytes };
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
}

/** `nats-scale-20`: mesh and NATS runs interleaved, medians side by side (see the header). */
async function scale(url: string, serverPid: number): Promise<void> {
  const W = 'nats-scale-20';
  const impls = ['foundation-mesh', 'foundation-nats'] as const;
  const runs = new Map<string, (ScaleSample & { serverRssPerNodeBytes: number | null })[]>(impls.map((i) => [i, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const impl of impls) {
      const s = await scaleOnce(impl === 'foundation-mesh' ? 'mesh' : 'nats', url, serverPid);
      runs.get(impl)!.push(s);
      log(`${W} ${impl} run ${r + 1}: ${JSON.stringify(s)}`);
    }
  }
  const med = (xs: (number | null)[]) => (xs.some((x) => x === null) ? null : median(xs as number[]));
  const lines = new Map<string, Record<string, unknown>>();
  for (const [impl, rs] of runs) {
    const line = {
      workload: W,
      impl,
      nodes: SCALE_NODES,
      peersPerNode: med(rs.map((x) => x.peersPerNode)),
      socketsPerNode: med(rs.map((x) => x.socketsPerNode)),
      rssPerNodeBytes: med(rs.map((x) => x.rssPerNodeBytes)),
      heapPerNodeBytes: med(rs.map((x) => x.heapPerNodeBytes)),
      serverRssPerNodeBytes: med(rs.map((x) => x.serverRssPerNodeBytes)),
      upMs: med(rs.map((x) => x.upMs)),
      runs: rs,
    };
    lines.set(impl, line);
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
  const [m, n] = [lines.get('foundation-mesh')!, lines.get('foundation-nats')!];
  for (const k of ['socketsPerNode', 'rssPerNodeBytes', 'heapPerNodeBytes'] as const) {
    if (typeof n[k] === 'number' && typeof m[k] === 'number' && m[k] !== 0) ratio(W, 'foundation-nats/foundation-mesh', k, n[k], m[k]);
  }
}

/** Starts a nats-server on a free loopback port; resolves once it accepts clients. */
async function startServer(): Promise<{ server: ChildProcess; url: string }> {
  const port = await freePort();
  const server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const url = `nats://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await (await connect({ servers: url })).close();
      return { server, url };
    } catch (e) {
      if (i > 100) {
        server.kill('SIGKILL');
        throw e;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

if (process.argv[2] === 'child') await runChild(process.argv[3]!);
else if (process.argv[2] === 'scale-child') await runScaleChild(process.argv[3] as 'mesh' | 'nats', process.argv[4]!);
else if (process.argv[2] === 'scale') {
  const { server, url } = await startServer();
  try {
    await scale(url, server.pid!);
  } finally {
    server.kill('SIGKILL');
  }
} else await main();
