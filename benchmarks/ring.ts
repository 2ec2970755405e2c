/**
 * ring: 10,000 actors in a ring pass an integer token 100 laps, 1,000,000 messages in all
 * (bench.erl's `ring`). The token is the number of hops left; each actor forwards `n - 1` to
 * its successor with `this.send` (handled in `handleInfo`), and the one that receives 0 tells
 * the benchmark's inbox. Building the ring is outside the timed section.
 *
 *   pnpm tsx benchmarks/ring.ts          (BENCH_RUNS=5 for more timed runs)
 */
import { Actor, Node, type Pid } from '@foundation/runtime';
import { benchmark, checkNoDeadLetters, main, now, rate, waitQuiescent, type Sample } from './lib/harness.js';
import { bareRing } from './lib/baseline.js';

const SIZE = 10_000;
const LAPS = 100;

interface RingArgs {
  next: Pid | null;
  report: Pid;
}

class RingNode extends Actor<never, never, RingArgs> {
  // The next actor in the ring (an Actor instance holds only its own fields and `$p`, the
  // runtime's record of its process: any other name is free).
  private successor: Pid | null = null;
  private report!: Pid;

  override init(args: RingArgs): void {
    this.successor = args.next;
    this.report = args.report;
  }

  override handleInfo(msg: unknown): void {
    if (typeof msg === 'number') {
      if (msg === 0) this.send(this.report, 'done');
      else this.send(this.successor!, msg - 1);
    } else {
      this.successor = (msg as { next: Pid }).next; // the head learns its successor (set-up)
    }
  }
}

async function foundationRing(size: number, laps: number): Promise<Sample> {
  const node = await Node.start();
  const box = node.inbox();
  const report = box.self;
  // As in bench.erl: the head first, then size - 1 actors each pointing at the previous one,
  // and finally the head pointing at the last: head → last → … → first → head.
  const head = node.spawn(RingNode, { next: null, report });
  let prev = head;
  for (let i = 1; i < size; i++) prev = node.spawn(RingNode, { next: prev, report });
  node.send(head, { next: prev });
  await waitQuiescent(node);
  const total = size * laps;
  const t0 = now();
  node.send(head, total - 1); // message #1
  await box.receive();
  const t1 = now();
  checkNoDeadLetters(node, 'ring');
  await node.stop();
  return { rate: rate(total, t1 - t0) };
}

main(() =>
  benchmark({
    workload: 'ring',
    unit: 'msgs/s',
    impls: [
      { impl: 'foundation', once: () => foundationRing(SIZE, LAPS) },
      { impl: 'bare', once: async () => bareRing(SIZE, LAPS) },
    ],
  }),
);
