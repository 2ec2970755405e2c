/**
 * Raw `worker_threads` for `benchmarks/threads.ts`: the floor the runtime's threads layer is
 * measured against (a bare worker answering postMessage), and CPU hogs that keep the cores busy
 * for the `-busy` variants (the same load for every implementation of a workload).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { log, now, rate } from './harness.js';

const RAW_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { Packr } = require(workerData.msgpackr);
const packr = new Packr(workerData.packrOptions);
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
let expect = 0, count = 0;
parentPort.on('message', (m) => {
  if (typeof m === 'number') { parentPort.postMessage(m); return; }          // ping → pong
  if (m instanceof Uint8Array) count += packr.unpack(m).length;                 // msgpackr batch
  else if (Array.isArray(m)) count += m.length;                                // structured-clone batch
  else if (m.expect !== undefined) { expect = m.expect; count = 0; parentPort.postMessage('ready'); return; }
  else if (m.fib !== undefined) { let acc = 0; for (let i = 0; i < m.times; i++) acc += fib(m.fib); parentPort.postMessage({ acc }); return; }
  else count++;                                                                // one message
  if (count === expect) parentPort.postMessage('done');
});
`;

/** Same options as the runtime's codec (packages/runtime/src/codec.ts). */
const PACKR_OPTIONS = { structuredClone: true, moreTypes: true };

const RAW_BATCH = 1_000;

/** A bare worker thread: answers a number with itself, counts what it is sent, computes fib. */
export interface RawThread {
  worker: Worker;
  /** The next message from the worker. */
  next: () => Promise<unknown>;
  packr: { pack(v: unknown): Uint8Array };
}

/** Starts the bare worker. */
export async function startRawThread(): Promise<RawThread> {
  // msgpackr is the runtime's dependency, not the benchmarks': resolve it from there.
  const require = createRequire(fileURLToPath(import.meta.resolve('@foundation/runtime')));
  const msgpackr = require.resolve('msgpackr');
  const { Packr } = require('msgpackr') as { Packr: new (o: object) => { pack(v: unknown): Uint8Array } };
  const worker = new Worker(RAW_WORKER, { eval: true, execArgv: [], workerData: { msgpackr, packrOptions: PACKR_OPTIONS } });
  let waiter: ((m: unknown) => void) | null = null;
  worker.on('message', (m: unknown) => {
    const w = waiter;
    waiter = null;
    w?.(m);
  });
  worker.on('error', (e) => log(`raw worker: ${e instanceof Error ? e.message : String(e)}`));
  const next = () => new Promise<unknown>((resolve) => (waiter = resolve));
  return { worker, next, packr: new Packr(PACKR_OPTIONS) };
}

/** Messages per second of `total` `{ i }` messages to the bare worker: one per postMessage, arrays of 1,000, or msgpackr batches of 1,000. */
export async function rawOneway(raw: RawThread, total: number, mode: 'single' | 'array' | 'msgpackr'): Promise<number> {
  const ready = raw.next();
  raw.worker.postMessage({ expect: total });
  await ready;
  const done = raw.next();
  const t0 = now();
  if (mode === 'single') {
    for (let i = 0; i < total; i++) raw.worker.postMessage({ i });
  } else {
    for (let start = 0; start < total; start += RAW_BATCH) {
      const batch: { i: number }[] = [];
      for (let i = start; i < start + RAW_BATCH; i++) batch.push({ i });
      if (mode === 'array') raw.worker.postMessage(batch);
      else {
        const bytes = Uint8Array.from(raw.packr.pack(batch)); // own the bytes: pack() reuses its buffer
        raw.worker.postMessage(bytes, [bytes.buffer]);
      }
    }
  }
  await done;
  return rate(total, now() - t0);
}

/** Round-trip times (µs) of `rounds` numbers bounced off the bare worker, after `warmup` untimed ones. */
export async function rawRoundTrips(raw: RawThread, rounds: number, warmup: number): Promise<number[]> {
  const rtt: number[] = [];
  for (let n = 1; n <= warmup + rounds; n++) {
    const reply = raw.next();
    const t0 = now();
    raw.worker.postMessage(n);
    await reply;
    if (n > warmup) rtt.push((now() - t0) * 1000);
  }
  return rtt;
}

const HOG = `
const { parentPort } = require('node:worker_threads');
parentPort.postMessage('hogging');
let x = 0;
for (;;) x = (x * 1103515245 + 12345) | 0;
`;

/** Threads that burn CPU until stopped: the load of a `-busy` run. */
export interface Hogs {
  stop(): Promise<void>;
}

/** Starts `n` threads that each burn one core; resolves once all are spinning. */
export async function startHogs(n: number): Promise<Hogs> {
  const workers = Array.from({ length: n }, () => new Worker(HOG, { eval: true, execArgv: [] }));
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  return {
    async stop() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
