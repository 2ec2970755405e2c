/**
 * fanout: a coordinator actor sends a request to each of 10,000 worker actors, waits for all
 * 10,000 replies, and does that 100 rounds; requests + replies are counted, 2,000,000 messages
 * (bench.erl's `fanout`). Two Foundation variants:
 *
 *   foundation       plain sends both ways: `{ from }` requests and a `'reply'` answer, each
 *                    `this.send`, handled in `handleInfo`; the coordinator counts replies.
 *   foundation-call  request/reply as calls: the coordinator awaits `Promise.all` of one
 *                    `this.call(worker, 'req')` per worker each round (default 5 s timeout, as
 *                    a gen_server:call would have), the workers answer from `handleCall`.
 *
 * Spawning the workers is outside the timed section.
 *
 *   pnpm tsx benchmarks/fanout.ts          (BENCH_RUNS=5 for more timed runs)
 */
import { Actor, Node, type Pid } from '@foundation/runtime';
import { benchmark, checkNoDeadLetters, main, now, rate, waitQuiescent, type Sample } from './lib/harness.js';
import { bareFanout } from './lib/baseline.js';

const WORKERS = 10_000;
const ROUNDS = 100;

interface CoordinatorArgs {
  workers: Pid[];
  rounds: number;
  report: Pid;
}

/** Answers every `{ from }` request with `'reply'`. */
class SendWorker extends Actor {
  override handleInfo(msg: unknown): void {
    this.send((msg as { from: Pid }).from, 'reply');
  }
}

/** On `'go'`: `rounds` rounds of one request per worker, each round waiting for every reply. */
class SendCoordinator extends Actor<never, never, CoordinatorArgs> {
  private workers: Pid[] = [];
  private roundsLeft = 0;
  private pending = 0;
  private report!: Pid;

  override init(args: CoordinatorArgs): void {
    this.workers = args.workers;
    this.roundsLeft = args.rounds;
    this.report = args.report;
  }

  override handleInfo(msg: unknown): void {
    if (msg === 'go') {
      this.sendRound();
    } else if (--this.pending === 0) {
      if (--this.roundsLeft === 0) this.send(this.report, 'done');
      else this.sendRound();
    }
  }

  private sendRound(): void {
    const self = this.self;
    const workers = this.workers;
    for (let i = 0; i < workers.length; i++) this.send(workers[i]!, { from: self });
    this.pending = workers.length;
  }
}

/** Answers every call with `'reply'`. */
class CallWorker extends Actor<string, string> {
  override handleCall(_msg: string): string {
    return 'reply';
  }
}

/** On `'go'`: `rounds` rounds of `Promise.all(workers.map(call))`; suspended while it waits. */
class CallCoordinator extends Actor<never, never, CoordinatorArgs> {
  private args_!: CoordinatorArgs;

  override init(args: CoordinatorArgs): void {
    this.args_ = args;
  }

  override async handleInfo(msg: unknown): Promise<void> {
    if (msg !== 'go') return;
    const { workers, rounds, report } = this.args_;
    for (let r = 0; r < rounds; r++) {
      const replies = await Promise.all(workers.map((w) => this.call<string>(w, 'req')));
      if (replies.length !== workers.length || replies[0] !== 'reply') throw new Error('bad replies');
    }
    this.send(report, 'done');
  }
}

async function foundationFanout(
  workerClass: typeof SendWorker | typeof CallWorker,
  coordinatorClass: typeof SendCoordinator | typeof CallCoordinator,
  workers: number,
  rounds: number,
): Promise<Sample> {
  const node = await Node.start();
  const box = node.inbox();
  const pids: Pid[] = [];
  for (let i = 0; i < workers; i++) pids.push(node.spawn(workerClass, undefined));
  const coordinator = node.spawn(coordinatorClass, { workers: pids, rounds, report: box.self });
  await waitQuiescent(node);
  const t0 = now();
  node.send(coordinator, 'go');
  await box.receive();
  const t1 = now();
  checkNoDeadLetters(node, 'fanout');
  await node.stop();
  return { rate: rate(2 * workers * rounds, t1 - t0) };
}

main(() =>
  benchmark({
    workload: 'fanout',
    unit: 'msgs/s',
    impls: [
      { impl: 'foundation', once: () => foundationFanout(SendWorker, SendCoordinator, WORKERS, ROUNDS) },
      { impl: 'foundation-call', once: () => foundationFanout(CallWorker, CallCoordinator, WORKERS, ROUNDS) },
      { impl: 'bare', once: async () => bareFanout(WORKERS, ROUNDS) },
    ],
  }),
);
