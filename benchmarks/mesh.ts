/**
 * mesh: the WebSocket mesh between two OS processes on loopback (issue 5's targets: ≥ 1M
 * msgs/s one-way between actors on two nodes, remote call round trip p50 ≤ 150 µs).
 *
 * - `mesh-oneway`: an actor on node A sends `{ seq }` messages to an actor on node B (another
 *   OS process), 2,000,000 in rounds of 5,000, each ended by an ack that B returns after the
 *   round's messages (per-pair order); 8 rounds in flight (40,000 messages, about 1 MB).
 * - `mesh-call-rtt`: sequential `node.call`s from A to an actor on B, 20,000 per run; p50/p99 in µs.
 *   Peer `raw-ws`, in the same run (runs interleaved): a bare `ws` ping-pong of a small msgpackr
 *   message between the same two processes (lib/raw-ws.ts). Then `mesh-call-rtt-busy`: the same
 *   with a hog thread burning each core (the same load for both).
 * - `mesh-full-mesh`: 5 nodes started in this process, each given only the first one's URL:
 *   ms from the first start until every node sees the other four.
 *
 *   pnpm tsx benchmarks/mesh.ts             (BENCH_RUNS=5 for more timed runs)
 *   pnpm tsx benchmarks/mesh.ts call-rtt    (some of: oneway, call-rtt, full-mesh)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Actor, Node, type Pid } from '@foundation/runtime';
import { mesh, staticPeers } from '@foundation/cluster';
import { RUNS, WARMUP, emit, log, median, now, rate, type Result } from './lib/harness.js';
import { startHogs } from './lib/raw-thread.js';
import { rawWsClient, rawWsServer, type RawWsClient } from './lib/raw-ws.js';

const COOKIE = 'bench';
const ONEWAY = 2_000_000;
const ROUND = 5_000;
const IN_FLIGHT = 8;
const CALLS = 20_000;
/** Hog threads of the `-busy` runs: one per core of the machine this was written on. */
const HOGS = 2;

/** Counts what it is sent; answers 'count' after everything sent before it, 'self' with its pid. */
class Sink extends Actor<'count' | 'self', number | Pid, undefined> {
  n = 0;
  override handleCall(msg: 'count' | 'self'): number | Pid {
    return msg === 'self' ? this.self : this.n;
  }
  override handleInfo(m: { seq?: number; ack?: Pid }): void {
    if (m.ack) this.send(m.ack, 'round');
    else this.n++;
  }
}

/** Sends `n` messages to `to`, then `{ ack }` (which the sink returns to `ack`, after them). */
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

/** The far node: another OS process running this file with `child`. */
async function runChild(): Promise<void> {
  const node = await Node.start({ name: 'far', transport: mesh({ cookie: COOKIE }) });
  node.spawn(Sink, undefined, { name: 'sink' });
  node.spawn(Pong, undefined, { name: 'pong' });
  const rawPort = await rawWsServer();
  process.stdout.write(`${JSON.stringify({ url: node.url, rawPort })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void node.stop().then(() => process.exit(0)));
}

function startChild(): Promise<{ proc: ChildProcess; url: string; rawPort: number }> {
  const file = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, [...process.execArgv, file, 'child'], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ proc, ...(JSON.parse(line) as { url: string; rawPort: number }) });
    });
    proc.once('exit', (code) => reject(new Error(`the far node exited with ${code}`)));
  });
}

/** Keeps IN_FLIGHT rounds of ROUND messages going until `total` have been acknowledged. */
async function oneway(node: Node, blaster: Pid, sink: Pid, total: number): Promise<number> {
  const inbox = node.inbox();
  const rounds = Math.ceil(total / ROUND);
  const t0 = now();
  let started = 0;
  for (; started < Math.min(IN_FLIGHT, rounds); started++) node.send(blaster, { to: sink, n: ROUND, ack: inbox.self });
  for (let done = 0; done < rounds; done++) {
    await inbox.receive((m) => m === 'round', 60_000);
    if (started < rounds) {
      node.send(blaster, { to: sink, n: ROUND, ack: inbox.self });
      started++;
    }
  }
  const r = rate(rounds * ROUND, now() - t0);
  inbox.close();
  return r;
}

async function callRtt(node: Node, count: number): Promise<number[]> {
  const lat: number[] = new Array(count);
  const to = { name: 'pong', node: 'far' };
  for (let i = 0; i < count; i++) {
    const t0 = now();
    await node.call(to, i, 5000);
    lat[i] = (now() - t0) * 1000;
  }
  return lat.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!);

/** Round trips of both implementations, runs interleaved; one JSON line each (p50 as the median) and their ratio. */
async function callRtts(node: Node, raw: RawWsClient, W: string): Promise<void> {
  const only = process.env.BENCH_IMPLS?.split(',').map((x) => x.trim());
  const impls = (
    [
      ['foundation-mesh', () => callRtt(node, CALLS)],
      ['raw-ws', async () => (await raw.roundTrips(CALLS)).sort((a, b) => a - b)],
    ] as [string, () => Promise<number[]>][]
  ).filter(([impl]) => !only?.length || only.includes(impl));
  await callRtt(node, 2000); // warm-up
  await raw.roundTrips(2000);
  const p50s = new Map<string, number[]>(impls.map(([i]) => [i, []]));
  const p99s = new Map<string, number[]>(impls.map(([i]) => [i, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const [impl, once] of impls) {
      const lat = await once();
      p50s.get(impl)!.push(pct(lat, 0.5));
      p99s.get(impl)!.push(pct(lat, 0.99));
      log(`${W} ${impl} run ${r + 1}: p50 ${pct(lat, 0.5)} µs, p99 ${pct(lat, 0.99)} µs`);
    }
  }
  for (const [impl] of impls) {
    const runs = p50s.get(impl)!;
    const p99Runs = p99s.get(impl)!;
    const line: Result & { p50: number; p99: number; p99Runs: number[] } = {
      workload: W,
      impl,
      unit: 'µs',
      median: median(runs),
      p50: median(runs),
      p99: median(p99Runs),
      runs,
      p99Runs,
    };
    emit(line);
  }
  if (impls.length < 2) return;
  const f = median(p50s.get('foundation-mesh')!);
  const w = median(p50s.get('raw-ws')!);
  // Latency: above 1 means foundation is slower (the harness's Ratio type knows only rates and bytes).
  process.stdout.write(
    `${JSON.stringify({ workload: W, ratio: 'foundation-mesh/raw-ws', metric: 'p50', value: Math.round((f / w) * 1000) / 1000 })}\n`,
  );
}

async function fullMesh(): Promise<number> {
  const t0 = now();
  const first = await Node.start({ name: 'm0', transport: mesh({ cookie: COOKIE }) });
  const nodes = [first];
  for (let i = 1; i < 5; i++) {
    nodes.push(await Node.start({ name: `m${i}`, transport: mesh({ cookie: COOKIE, discovery: [staticPeers([first.url])] }) }));
  }
  while (!nodes.every((n) => n.nodes().length === 4)) await new Promise((r) => setImmediate(r));
  const ms = now() - t0;
  await Promise.all(nodes.map((n) => n.stop()));
  return ms;
}

const PARTS = ['oneway', 'call-rtt', 'full-mesh'] as const;

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  for (const a of asked)
    if (!(PARTS as readonly string[]).includes(a)) throw new Error(`unknown part "${a}" (expected some of ${PARTS.join(', ')})`);
  const want = (part: (typeof PARTS)[number]) => asked.length === 0 || asked.includes(part);
  const { proc, url, rawPort } = await startChild();
  const node = await Node.start({ name: 'near', transport: mesh({ cookie: COOKIE }) });
  await node.connect(url);
  const sinkPid = await node.call<Pid>({ name: 'sink', node: 'far' }, 'self', 5000);
  const blaster = node.spawn(Blaster, undefined);

  if (want('oneway')) {
    const rates: number[] = [];
    for (let r = 0; r < WARMUP + RUNS; r++) {
      const v = await oneway(node, blaster, sinkPid, r < WARMUP ? ROUND * 4 : ONEWAY);
      if (r >= WARMUP) rates.push(v);
      log(`mesh-oneway run ${r + 1}: ${v} msgs/s${r < WARMUP ? ' (warm-up)' : ''}`);
    }
    emit({ workload: 'mesh-oneway', impl: 'foundation-mesh', unit: 'msgs/s', median: median(rates), runs: rates });
  }

  if (want('call-rtt')) {
    const raw = await rawWsClient(rawPort);
    await callRtts(node, raw, 'mesh-call-rtt');
    const hogs = await startHogs(HOGS);
    try {
      await callRtts(node, raw, 'mesh-call-rtt-busy');
    } finally {
      await hogs.stop();
    }
    raw.close();
  }
  const stats = node.stats();
  if (stats.deadLetters > 0) log(`warning: ${stats.deadLetters} dead letters`);
  await node.stop();
  proc.stdin!.end();

  if (!want('full-mesh')) return;
  const times: number[] = [];
  for (let r = 0; r < WARMUP + RUNS; r++) {
    const ms = await fullMesh();
    if (r >= WARMUP) times.push(Math.round(ms * 10) / 10);
    log(`mesh-full-mesh run ${r + 1}: ${ms.toFixed(1)} ms`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({ workload: 'mesh-full-mesh', impl: 'foundation-mesh', unit: 'ms', median: sorted[sorted.length >> 1], runs: times, nodes: 5 })}\n`,
  );
}

if (process.argv[2] === 'child') await runChild();
else await main();
