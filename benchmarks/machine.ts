/**
 * machine: what this machine charges for memory touched the first time — the cost under
 * `spawn` (1M actors are ~200 MB of new heap pages) and under every workload that grows the
 * heap. A 256 MiB buffer is allocated and one byte written per 4 KiB page; each write takes a
 * page fault, so the time per page is the kernel's (and the hypervisor's) price of a fresh
 * page. On bare-metal Linux it is a fraction of a microsecond; on some virtual machines ten
 * times that, and then a figure that allocates — spawn most — moves with it, whatever the
 * runtime does. Printed first by `pnpm bench:check` so every saved run says which machine it
 * was; no target.
 *
 *   pnpm tsx benchmarks/machine.ts
 */
import { main, median } from './lib/harness.js';

const PAGE = 4096;
const BYTES = 256 * 1024 * 1024;
const RUNS = 5;

/** Nanoseconds per page for one fresh buffer, every page written once. */
function touchOnce(): number {
  const t0 = process.hrtime.bigint();
  const buf = new Uint8Array(BYTES);
  for (let i = 0; i < BYTES; i += PAGE) buf[i] = 1;
  return Number(process.hrtime.bigint() - t0) / (BYTES / PAGE);
}

const us = (ns: number) => Math.round(ns) / 1000;

main(async () => {
  touchOnce(); // warm-up: the code, not the pages (each run gets fresh ones)
  const runs = Array.from({ length: RUNS }, touchOnce);
  const line = { workload: 'machine', impl: 'first-touch', unit: 'µs/page', median: us(median(runs)), runs: runs.map(us) };
  process.stdout.write(JSON.stringify(line) + '\n');
  process.stderr.write(`[machine] first touch of memory: ${line.median} µs per 4 KiB page (${RUNS} runs of 256 MiB)\n`);
});
