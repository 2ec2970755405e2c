/**
 * calls: request/reply the way an application makes it, against Erlang's `gen_server:call` in
 * the same script run (`erlang/bench.erl`, `erl +S 1`).
 *
 * - `call-seq`: one actor makes 1,000,000 sequential `await this.call(server, 'get')` to one
 *   server actor whose `handleCall` returns a number. Erlang: one process, 1M
 *   `gen_server:call(Server, get)` to a gen_server (`bench_server.erl`).
 * - `call-concurrent`: 1,000 caller actors × 1,000 sequential calls each over 100 server
 *   actors, caller i calling server i % 100; the callers are spawned first and wait for `'go'`,
 *   timed from the first `'go'` until every caller has reported. Erlang: the same with 1,000
 *   processes and 100 gen_servers.
 * - `dist-call-rtt` (Erlang only): sequential `gen_server:call` between two BEAMs over Erlang
 *   distribution on 127.0.0.1, p50/p99 µs — the peer of `mesh.ts`'s `mesh-call-rtt`.
 *
 * Every call has the default timeout (5 s), as `gen_server:call` has. Unit: calls/s; lines via
 * the harness, with the ratio `foundation/erlang`. The Foundation and Erlang runs alternate (one
 * of each per round, `benchmarkInterleaved`), so the noise of a shared machine falls on both.
 *
 *   pnpm tsx benchmarks/calls.ts                      (all three parts)
 *   pnpm tsx benchmarks/calls.ts seq concurrent       (some of them: seq | concurrent | dist)
 */
import { Actor, Node, type Pid } from '@foundation/runtime';
import {
  benchmarkInterleaved,
  checkNoDeadLetters,
  erlangBaseline,
  log,
  main,
  now,
  rate,
  waitQuiescent,
  type Sample,
} from './lib/harness.js';

const SEQ_CALLS = 1_000_000;
const CALLERS = 1_000;
const CALLS_PER_CALLER = 1_000;
const SERVERS = 100;
const VALUE = 42;

/** Answers `'get'` with a number, as bench_server's `handle_call(get, _, N) -> {reply, N, N}`. */
class Server extends Actor<'get', number> {
  private readonly n = VALUE;
  override handleCall(_msg: 'get'): number {
    return this.n;
  }
}

interface CallerArgs {
  server: Pid<Server>;
  calls: number;
  report: Pid;
}

/** On `'go'`: `calls` sequential calls to its server, then `'done'` to the report inbox. */
class Caller extends Actor<never, never, CallerArgs> {
  private args_!: CallerArgs;

  override init(args: CallerArgs): void {
    this.args_ = args;
  }

  override async handleInfo(msg: unknown): Promise<void> {
    if (msg !== 'go') return;
    const { server, calls, report } = this.args_;
    for (let i = 0; i < calls; i++) {
      const v = await this.call(server, 'get');
      if (v !== VALUE) throw new Error(`call ${i} answered ${v}`);
    }
    this.send(report, 'done');
  }
}

/**
 * `callers` callers, `servers` servers, each caller `perCaller` calls to server i % servers;
 * timed from the first `'go'` until every caller has reported.
 */
async function foundationCalls(callers: number, perCaller: number, servers: number): Promise<Sample> {
  const node = await Node.start();
  const box = node.inbox();
  const serverPids: Pid<Server>[] = [];
  for (let i = 0; i < servers; i++) serverPids.push(node.spawn(Server, undefined));
  const callerPids: Pid[] = [];
  for (let i = 0; i < callers; i++) {
    callerPids.push(node.spawn(Caller, { server: serverPids[i % servers]!, calls: perCaller, report: box.self }));
  }
  await waitQuiescent(node);
  const t0 = now();
  for (const c of callerPids) node.send(c, 'go');
  for (let i = 0; i < callers; i++) {
    const msg = await box.receive();
    if (msg !== 'done') throw new Error(`report inbox got ${String(msg)}`);
  }
  const t1 = now();
  checkNoDeadLetters(node, 'calls');
  await node.stop();
  return { rate: rate(callers * perCaller, t1 - t0) };
}

const PARTS = {
  seq: () =>
    benchmarkInterleaved({
      workload: 'call-seq',
      unit: 'calls/s',
      impls: [{ impl: 'foundation', once: () => foundationCalls(1, SEQ_CALLS, 1) }],
    }),
  concurrent: () =>
    benchmarkInterleaved({
      workload: 'call-concurrent',
      unit: 'calls/s',
      impls: [{ impl: 'foundation', once: () => foundationCalls(CALLERS, CALLS_PER_CALLER, SERVERS) }],
    }),
  dist: async () => {
    log('[dist-call-rtt] erlang: two BEAMs on 127.0.0.1, their own epmd');
    await erlangBaseline('dist-call-rtt');
  },
} as const;

main(async () => {
  const asked = process.argv.slice(2);
  const names = Object.keys(PARTS) as (keyof typeof PARTS)[];
  for (const a of asked) {
    if (!(names as string[]).includes(a)) throw new Error(`unknown part "${a}" (expected some of ${names.join(', ')})`);
  }
  for (const part of asked.length > 0 ? (asked as (keyof typeof PARTS)[]) : names) await PARTS[part]();
});
