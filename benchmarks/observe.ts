/**
 * observe: the cost of inspection on the runtime's ping-pong (1,000,000 one-way messages, as
 * benchmarks/pingpong.ts): nobody listening, one listener for spawn and exit only (what the
 * metrics need: the message path still sees no event), and one listener for every event (an
 * event object per send and per receive). Interleaved rounds, medians; compare the ratios.
 *
 *   pnpm tsx benchmarks/observe.ts          (BENCH_RUNS=5 for more rounds)
 */
import { Actor, Node, inspect, type InspectEventType, type Pid } from '@foundation/runtime';
import { benchmarkInterleaved, checkNoDeadLetters, main, now, rate, waitQuiescent, type Sample } from './lib/harness.js';

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

async function pingpong(total: number, types: InspectEventType[] | null): Promise<Sample> {
  const node = await Node.start();
  let events = 0;
  if (types !== null) inspect(node, () => events++, { types });
  const box = node.inbox();
  const ping = node.spawn(Player, box.self);
  const pong = node.spawn(Player, box.self);
  await waitQuiescent(node);
  const t0 = now();
  node.send(ping, { from: pong, n: total - 1 } satisfies Ball);
  await box.receive();
  const t1 = now();
  checkNoDeadLetters(node, 'observe');
  await node.stop();
  // The listener must have seen the messages it asked for, or the figure measures nothing.
  if (types?.includes('send') && events < 2 * total) throw new Error(`the listener saw ${events} events, expected ≥ ${2 * total}`);
  return { rate: rate(total, t1 - t0) };
}

main(() =>
  benchmarkInterleaved({
    workload: 'observe-pingpong',
    unit: 'msgs/s',
    impls: [
      { impl: 'off', once: () => pingpong(MSGS, null) },
      { impl: 'spawn-exit-listener', once: () => pingpong(MSGS, ['spawn', 'exit']) },
      { impl: 'all-events-listener', once: () => pingpong(MSGS, ['spawn', 'exit', 'send', 'receive']) },
    ],
  }),
);
