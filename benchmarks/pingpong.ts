/**
 * pingpong: two actors bounce a counter, 1,000,000 one-way messages in all (bench.erl's
 * `pingpong`). Every message is a fresh `{ from, n }` object sent with `this.send` and handled
 * in `handleInfo`; the actor that receives n = 0 tells the benchmark's inbox.
 *
 *   pnpm tsx benchmarks/pingpong.ts          (BENCH_RUNS=5 for more timed runs)
 */
import { Actor, Node, type Pid } from '@foundation/runtime';
import { benchmark, checkNoDeadLetters, main, now, rate, waitQuiescent, type Sample } from './lib/harness.js';
import { barePingpong } from './lib/baseline.js';

const MSGS = 1_000_000;

interface Ball {
  from: Pid;
  n: number;
}

class Player extends Actor<never, never, Pid> {
  private report!: Pid;

  override init(report: Pid): void {
    this.report = report;
  }

  override handleInfo(msg: unknown): void {
    const ball = msg as Ball;
    if (ball.n === 0) this.send(this.report, 'done');
    else this.send(ball.from, { from: this.self, n: ball.n - 1 });
  }
}

async function foundationPingpong(total: number): Promise<Sample> {
  const node = await Node.start();
  const box = node.inbox();
  const ping = node.spawn(Player, box.self);
  const pong = node.spawn(Player, box.self);
  await waitQuiescent(node);
  const t0 = now();
  node.send(ping, { from: pong, n: total - 1 } satisfies Ball); // message #1
  await box.receive();
  const t1 = now();
  checkNoDeadLetters(node, 'pingpong');
  await node.stop();
  return { rate: rate(total, t1 - t0) };
}

main(() =>
  benchmark({
    workload: 'pingpong',
    unit: 'msgs/s',
    impls: [
      { impl: 'foundation', once: () => foundationPingpong(MSGS) },
      { impl: 'bare', once: async () => barePingpong(MSGS) },
    ],
  }),
);
