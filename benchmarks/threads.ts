/**
 * threads: actors on two schedulers (the main thread and one worker thread) of one node, against
 * the same actors on one scheduler and against raw `worker_threads` in the same script.
 *
 *   rtt       `thread-rtt`: ping-pong with one message in flight, 20,000 timed round trips (after
 *             1,000 untimed) between an actor on scheduler 0 and one on scheduler 1; p50 and p99.
 *             Baselines: the same pair on one scheduler; raw postMessage main ↔ worker. Then
 *             `thread-rtt-busy`: the same, with a hog thread burning each core.            µs
 *   frame-wait  how long a call to an actor on scheduler 1 waits before its handler starts while
 *             scheduler 0 runs 20 handlers of 2 ms and one of 200 ms queued ahead of it: issued
 *             from plain code together with the call to the long one (`foundation`), or sent by
 *             an actor's handler on scheduler 0 (`foundation-from-handler`).               ms
 *   scaling   8 actors each computing fib(27) 60 times (one per message): all on scheduler 0,
 *             spread over both schedulers (`scheduler: 'auto'`), and on scheduler 0 with each
 *             fib(27) awaited from the dirty pool (`this.runTask`, 2 threads). Baselines: the
 *             same fib calls in a loop on the main thread, and split between it and a raw
 *             worker.                                                                 tasks/s
 *   oneway    1,000,000 fresh `{ i }` messages from an actor on scheduler 0 to one on scheduler 1
 *             (1,000 per handler call), timed until the receiver has counted them all and told
 *             an Inbox; also with the sender awaiting the next event-loop turn after each burst
 *             (`-yield`). Baselines: the same pair on scheduler 0; raw postMessage, one message
 *             per postMessage, an array of 1,000 per postMessage, a msgpackr buffer of 1,000
 *             transferred.
 *                                                                                      msgs/s
 *
 * One node (`schedulers: 2`) serves all the foundation runs: each run spawns fresh actors on it,
 * so the worker thread's JIT is as warm as the main thread's (a fresh node per run would time
 * a cold worker isolate every run). Implementations of a workload are interleaved run by run,
 * so that the noise of a shared machine falls on all of them alike; ratios are of medians.
 *
 *   pnpm tsx benchmarks/threads.ts                  (all four, in this order, ~80 s)
 *   pnpm tsx benchmarks/threads.ts rtt scaling      (a subset; still in this order)
 *
 * BENCH_RUNS, BENCH_WARMUP and BENCH_IMPLS as in lib/harness.ts.
 */
import { Node, type Inbox, type Pid } from '@foundation/runtime';
import {
  RUNS,
  WARMUP,
  collectGarbage,
  emit,
  log,
  main,
  median,
  nextImmediate,
  now,
  rate,
  waitQuiescent,
  type Result,
} from './lib/harness.js';
import { rawOneway, rawRoundTrips, startHogs, startRawThread, type RawThread } from './lib/raw-thread.js';
import {
  BenchCruncher,
  BenchDirtyCruncher,
  BenchPinger,
  BenchRelay,
  BenchSink,
  BenchSource,
  BenchSpinner,
  THREAD_ACTORS_URL,
  fib,
  wallNow,
  type CruncherDone,
  type PingerDone,
  type SinkDone,
  type Spun,
} from './lib/thread-actors.js';

const ONEWAY_MSGS = 1_000_000;
const ONEWAY_BURST = 1_000;
/** One postMessage per message is slow (~0.8M/s): fewer messages keep the run short. */
const RAW_SINGLE_MSGS = 500_000;
const RTT_ROUNDS = 20_000;
const RTT_WARMUP = 1_000;
const CRUNCHERS = 8;
const CRUNCH_K = 60;
const FIB_N = 27;
const FIB_VALUE = fib(FIB_N);
const RECEIVE_TIMEOUT_MS = 60_000;
/** Hog threads of the `-busy` runs: one per core of the machine this was written on. */
const HOGS = 2;
const FRAME_WAIT_LONG_MS = 200;
const FRAME_WAIT_SHORTS = 20;
const FRAME_WAIT_SHORT_MS = 2;

/**
 * Always run in this order, whatever the order asked: `oneway` last, because its large batches
 * grow the codec's reusable encode buffer on the sending thread, and (as of this writing) every
 * later cross-thread batch is posted as a view of that buffer, so postMessage copies all of it —
 * a round trip measured after `oneway` times that copy, not the steady state.
 */
const WORKLOADS = ['rtt', 'frame-wait', 'scaling', 'oneway'] as const;

/** A JSON line on stdout (results carry extra fields here: p99, wall time). */
function line(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

/** Median with one decimal (µs, ms). */
function median1(xs: readonly number[]): number {
  return median(xs.map((x) => x * 10)) / 10;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function percentile(xs: readonly number[], p: number): number {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function ratio(workload: string, num: string, den: string, value: number, metric = 'median'): void {
  if (Number.isFinite(value)) line({ workload, ratio: `${num}/${den}`, metric, value: round3(value) });
}

// ---------------------------------------------------------------------------------------------
// Run plumbing

interface Impl<S> {
  impl: string;
  once: () => Promise<S>;
}

/** Warm-up runs of each implementation, then RUNS rounds running each once, in turn. */
async function interleaved<S>(workload: string, all: Impl<S>[], forceGc = true): Promise<Map<string, S[]>> {
  const only = process.env.BENCH_IMPLS?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const impls = only?.length ? all.filter((i) => only.includes(i.impl)) : all;
  const out = new Map<string, S[]>(impls.map((i) => [i.impl, []]));
  log(`[${workload}] ${impls.map((i) => i.impl).join(', ')}: ${WARMUP} warm-up + ${RUNS} timed run(s) each, interleaved`);
  for (const impl of impls) {
    for (let i = 0; i < WARMUP; i++) {
      if (forceGc) collectGarbage();
      await nextImmediate();
      await impl.once();
    }
  }
  for (let r = 0; r < RUNS; r++) {
    for (const impl of impls) {
      if (forceGc) collectGarbage();
      await nextImmediate();
      out.get(impl.impl)!.push(await impl.once());
    }
  }
  return out;
}

async function receive<T>(box: Inbox, what: string): Promise<T> {
  try {
    return await box.receive<T>(undefined, RECEIVE_TIMEOUT_MS);
  } catch (e) {
    throw new Error(`${what}: nothing after ${RECEIVE_TIMEOUT_MS} ms`, { cause: e });
  }
}

/** Kills the run's actors (wherever they are) and lets the exits go through. */
async function killAll(node: Node, pids: Pid[]): Promise<void> {
  for (const p of pids) node.exit(p, 'kill');
  await nextImmediate();
  await nextImmediate();
}

// ---------------------------------------------------------------------------------------------
// oneway

async function oneway(node: Node, raw: RawThread): Promise<void> {
  const W = 'threads-oneway';
  const box = node.inbox();
  const expectedSum = ((ONEWAY_MSGS - 1) * ONEWAY_MSGS) / 2;
  const pair = async (sinkScheduler: number, yieldBetween = false): Promise<number> => {
    const sinkArgs = { report: box.self, expect: ONEWAY_MSGS };
    const sink = sinkScheduler === 0 ? node.spawn(BenchSink, sinkArgs) : node.spawn('BenchSink', sinkArgs, { scheduler: sinkScheduler });
    const source = node.spawn(BenchSource, { to: sink, total: ONEWAY_MSGS, burst: ONEWAY_BURST, yieldBetween });
    await waitQuiescent(node);
    const t0 = now();
    node.send(source, 'go');
    const done = await receive<SinkDone>(box, 'oneway');
    const t1 = now();
    if (done.sum !== expectedSum) throw new Error(`oneway: sum ${done.sum}, expected ${expectedSum}`);
    await killAll(node, [source, sink]);
    return rate(ONEWAY_MSGS, t1 - t0);
  };
  // foundation-2sched-yield first, on its own: once foundation-2sched has sent its one big batch,
  // the sending thread's codec buffer is large and every small batch after it costs a copy of
  // all of it (see WORKLOADS above), which would time that copy instead.
  const results = new Map([
    ...(await interleaved<number>(W, [{ impl: 'foundation-2sched-yield', once: () => pair(1, true) }])),
    ...(await interleaved<number>(W, [
      { impl: 'foundation-2sched', once: () => pair(1) },
      { impl: 'foundation-1sched', once: () => pair(0) },
      { impl: 'raw-postmessage', once: () => rawOneway(raw, RAW_SINGLE_MSGS, 'single') },
      { impl: 'raw-array1000', once: () => rawOneway(raw, ONEWAY_MSGS, 'array') },
      { impl: 'raw-msgpackr1000', once: () => rawOneway(raw, ONEWAY_MSGS, 'msgpackr') },
    ])),
  ]);
  const medians = new Map<string, number>();
  for (const [impl, runs] of results) {
    medians.set(impl, median(runs));
    line({ workload: W, impl, unit: 'msgs/s', median: median(runs), runs });
  }
  for (const num of ['foundation-2sched', 'foundation-2sched-yield']) {
    const m = medians.get(num);
    if (m === undefined) continue;
    for (const den of ['foundation-1sched', 'raw-postmessage', 'raw-array1000', 'raw-msgpackr1000']) {
      const d = medians.get(den);
      if (d !== undefined) ratio(W, num, den, m / d);
    }
  }

  box.close();
}

// ---------------------------------------------------------------------------------------------
// rtt

/** Round-trip times (µs) of `rounds` bounces, after `warmup` untimed ones, between scheduler 0 and `pongScheduler`. */
async function pingPong(node: Node, box: Inbox, pongScheduler: number, rounds: number, warmup: number): Promise<number[]> {
  const pong =
    pongScheduler === 0 ? node.spawn('BenchPonger', undefined) : node.spawn('BenchPonger', undefined, { scheduler: pongScheduler });
  const ping = node.spawn(BenchPinger, { peer: pong, report: box.self, rounds, warmup });
  await waitQuiescent(node);
  node.send(ping, 'go');
  const done = await receive<PingerDone>(box, 'rtt');
  await killAll(node, [ping, pong]);
  return done.rttUs;
}

/** Round trips of both implementations, interleaved: `thread-rtt` idle, then `thread-rtt-busy` with every core burnt by a hog thread. */
async function rtt(node: Node, raw: RawThread): Promise<void> {
  const box = node.inbox();
  const impls = [
    { impl: 'foundation-2sched', once: () => pingPong(node, box, 1, RTT_ROUNDS, RTT_WARMUP) },
    { impl: 'foundation-1sched', once: () => pingPong(node, box, 0, RTT_ROUNDS, RTT_WARMUP) },
    { impl: 'raw-postmessage', once: () => rawRoundTrips(raw, RTT_ROUNDS, RTT_WARMUP) },
  ];
  reportRtt('thread-rtt', await interleaved<number[]>('thread-rtt', impls));
  // The same load for every implementation: one thread spinning per core, outside both.
  const hogs = await startHogs(HOGS);
  try {
    reportRtt('thread-rtt-busy', await interleaved<number[]>('thread-rtt-busy', impls));
  } finally {
    await hogs.stop();
  }
  box.close();
}

/** One JSON line per implementation: p50 (also as the median) and p99, medians over the runs. */
function reportRtt(W: string, results: Map<string, number[][]>): void {
  const p50s = new Map<string, number>();
  for (const [impl, samples] of results) {
    const runs = samples.map((s) => round1(percentile(s, 50)));
    const p99Runs = samples.map((s) => round1(percentile(s, 99)));
    const p50 = median1(runs);
    p50s.set(impl, p50);
    const r: Result & { p50: number; p99: number; p99Runs: number[] } = {
      workload: W,
      impl,
      unit: 'µs',
      median: p50,
      p50,
      p99: median1(p99Runs),
      runs,
      p99Runs,
    };
    emit(r);
  }
  // Latency: above 1 means the numerator is slower.
  const m2 = p50s.get('foundation-2sched');
  const d = p50s.get('raw-postmessage');
  if (m2 !== undefined && d !== undefined) ratio(W, 'foundation-2sched', 'raw-postmessage', m2 / d, 'p50');
}

// ---------------------------------------------------------------------------------------------
// frame-wait

/**
 * How long a frame to scheduler 1 waits (ms) before its handler starts, while scheduler 0 runs
 * other actors' handlers: FRAME_WAIT_SHORTS of FRAME_WAIT_SHORT_MS each, then one of
 * FRAME_WAIT_LONG_MS, all queued ahead of it. `from` says who sends it: plain code (a call issued
 * together with the call to scheduler 0's long handler), or an actor's handler on scheduler 0
 * that runs first in the same drain.
 */
async function frameWaitOnce(node: Node, box: Inbox, from: 'plain' | 'handler'): Promise<number> {
  const far = node.spawn('BenchSpinner', undefined, { scheduler: 1 });
  const long = node.spawn(BenchSpinner, undefined);
  const relay = node.spawn(BenchRelay, undefined);
  const shorts = Array.from({ length: FRAME_WAIT_SHORTS }, () => node.spawn(BenchSpinner, undefined));
  await waitQuiescent(node);
  const t0 = wallNow();
  let farSpun: Promise<Spun>;
  if (from === 'handler') {
    node.send(relay, { to: far, req: { ms: FRAME_WAIT_LONG_MS, report: box.self }, thenMs: 0 });
    farSpun = receive<Spun>(box, 'frame-wait');
  }
  for (const s of shorts) node.send(s, { ms: FRAME_WAIT_SHORT_MS });
  const longSpun = node.call(long, { ms: FRAME_WAIT_LONG_MS }, RECEIVE_TIMEOUT_MS);
  if (from === 'plain') farSpun = node.call<Spun>(far, { ms: FRAME_WAIT_LONG_MS }, RECEIVE_TIMEOUT_MS);
  const [spun] = await Promise.all([farSpun!, longSpun]);
  await killAll(node, [far, long, relay, ...shorts]);
  return round3(spun.start - t0);
}

async function frameWait(node: Node): Promise<void> {
  const W = 'frame-wait';
  const box = node.inbox();
  // No full GC forced before these runs (the others have one): its background threads, still
  // sweeping when the run starts, take the other core for a millisecond or more, and the frame
  // would be timed waiting for them rather than for its scheduler (1.2-1.5 ms with, 0.2-0.4 without).
  const results = await interleaved<number>(
    W,
    [
      { impl: 'foundation', once: () => frameWaitOnce(node, box, 'plain') },
      { impl: 'foundation-from-handler', once: () => frameWaitOnce(node, box, 'handler') },
    ],
    false,
  );
  for (const [impl, runs] of results) {
    emit({ workload: W, impl, unit: 'ms', median: round3(median(runs.map((x) => x * 1000)) / 1000), runs });
  }
  box.close();
}

// ---------------------------------------------------------------------------------------------
// scaling

interface CrunchSample {
  rate: number;
  ms: number;
}

async function scaling(node: Node, raw: RawThread): Promise<void> {
  const W = 'threads-scaling';
  const box = node.inbox();
  const tasks = CRUNCHERS * CRUNCH_K;
  const expectedAcc = CRUNCH_K * FIB_VALUE;
  const sample = (ms: number): CrunchSample => ({ rate: rate(tasks, ms), ms });

  const crunchers = async (how: '1sched' | '2sched' | 'dirty'): Promise<CrunchSample> => {
    const args = { report: box.self, k: CRUNCH_K, n: FIB_N };
    const pids: Pid[] = [];
    for (let i = 0; i < CRUNCHERS; i++) {
      if (how === 'dirty') pids.push(node.spawn(BenchDirtyCruncher, args));
      else if (how === '1sched') pids.push(node.spawn(BenchCruncher, args));
      else pids.push(node.spawn('BenchCruncher', args, { scheduler: 'auto' }));
    }
    await waitQuiescent(node);
    const t0 = now();
    for (const p of pids) node.send(p, 'go');
    const threads = new Map<number, number>();
    for (let i = 0; i < CRUNCHERS; i++) {
      const done = await receive<CruncherDone>(box, `scaling ${how}`);
      if (done.acc !== expectedAcc) throw new Error(`scaling ${how}: acc ${done.acc}, expected ${expectedAcc}`);
      threads.set(done.threadId, (threads.get(done.threadId) ?? 0) + 1);
    }
    const ms = now() - t0;
    if (how === '2sched' && threads.size !== 2)
      log(`[${W}] warning: 'auto' put the ${CRUNCHERS} actors on threads ${JSON.stringify([...threads])}`);
    await killAll(node, pids);
    return sample(ms);
  };

  const raw1 = async (): Promise<CrunchSample> => {
    const t0 = now();
    let acc = 0;
    for (let i = 0; i < tasks; i++) acc += fib(FIB_N);
    if (acc !== tasks * FIB_VALUE) throw new Error('raw fib');
    return sample(now() - t0);
  };
  const raw2 = async (): Promise<CrunchSample> => {
    const t0 = now();
    const half = tasks >> 1;
    const theirs = raw.next();
    raw.worker.postMessage({ fib: FIB_N, times: tasks - half });
    let acc = 0;
    for (let i = 0; i < half; i++) acc += fib(FIB_N);
    acc += ((await theirs) as { acc: number }).acc;
    if (acc !== tasks * FIB_VALUE) throw new Error('raw fib');
    return sample(now() - t0);
  };

  // The dirty pool starts its threads on demand: start both (and load the task module) untimed.
  await Promise.all([node.runTask(THREAD_ACTORS_URL, 'fibTask', 20), node.runTask(THREAD_ACTORS_URL, 'fibTask', 20)]);

  const results = await interleaved<CrunchSample>(W, [
    { impl: 'foundation-1sched', once: () => crunchers('1sched') },
    { impl: 'foundation-2sched', once: () => crunchers('2sched') },
    { impl: 'foundation-dirty', once: () => crunchers('dirty') },
    { impl: 'raw-1thread', once: raw1 },
    { impl: 'raw-2threads', once: raw2 },
  ]);
  const medians = new Map<string, number>();
  for (const [impl, samples] of results) {
    const runs = samples.map((s) => s.rate);
    const wallRuns = samples.map((s) => round1(s.ms));
    medians.set(impl, median(runs));
    line({
      workload: W,
      impl,
      unit: 'tasks/s',
      median: median(runs),
      runs,
      wallMs: median1(wallRuns),
      wallRuns,
      task: `fib(${FIB_N})`,
      tasks,
    });
  }
  // Speed-ups: above 1 means the numerator is faster.
  const pairs: [string, string][] = [
    ['foundation-2sched', 'foundation-1sched'],
    ['foundation-dirty', 'foundation-1sched'],
    ['raw-2threads', 'raw-1thread'],
    ['foundation-1sched', 'raw-1thread'],
  ];
  for (const [a, b] of pairs) {
    const x = medians.get(a);
    const y = medians.get(b);
    if (x !== undefined && y !== undefined) ratio(W, a, b, x / y);
  }
  box.close();
}

// ---------------------------------------------------------------------------------------------

main(async () => {
  const asked = process.argv.slice(2);
  for (const w of asked) {
    if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`unknown part "${w}" (expected some of ${WORKLOADS.join(', ')})`);
  }
  const parts = WORKLOADS.filter((w) => asked.length === 0 || asked.includes(w));
  const t0 = now();
  const node = await Node.start({ name: 'bench', schedulers: 2, modules: [THREAD_ACTORS_URL] });
  log(`[threads] node with 2 schedulers started in ${Math.round(now() - t0)} ms`);
  const raw = await startRawThread();
  try {
    for (const part of parts) {
      const t = now();
      if (part === 'oneway') await oneway(node, raw);
      else if (part === 'rtt') await rtt(node, raw);
      else if (part === 'frame-wait') await frameWait(node);
      else await scaling(node, raw);
      log(`[threads-${part}] done in ${((now() - t) / 1000).toFixed(1)} s`);
    }
  } finally {
    await raw.worker.terminate();
    await node.stop();
  }
  log(`[threads] total ${((now() - t0) / 1000).toFixed(1)} s`);
});
