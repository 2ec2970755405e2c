/**
 * Type tests of typed protocols (protocol.ts): checked by `tsc` (`pnpm typecheck`), where a
 * `@ts-expect-error` line that stops erroring fails the build. The functions below are never
 * called; the one runtime test only keeps vitest from reporting an empty file.
 */
import { expectTypeOf, test } from 'vitest';
import {
  Actor,
  name,
  noReply,
  type Answer,
  type From,
  type Inbox,
  type Name,
  type Node,
  type Pid,
  type ProcessContext,
  type RemoteName,
  type ViaName,
} from '../src/index.js';

class Counter extends Actor<{ inc: number } | 'get', number, number> {
  n = 0;
  override init(start: number) {
    this.n = start;
  }
  override handleCall(_msg: 'get', _from: From) {
    return this.n;
  }
  override handleCast(msg: { inc: number }) {
    this.n += msg.inc;
  }
  override handleInfo(_msg: 'tick') {}
}

type KvRequest = { get: string } | { put: string; value: number } | 'size';
class Kv extends Actor<
  KvRequest,
  Answer<{ get: string }, number | undefined> | Answer<{ put: string; value: number }, void> | Answer<'size', number>
> {
  readonly map = new Map<string, number>();
  override handleCall(msg: KvRequest) {
    if (msg === 'size') return this.map.size;
    if ('put' in msg) return void this.map.set(msg.put, msg.value);
    return this.map.get(msg.get);
  }
}

class Later extends Actor<'slow', string> {
  override async handleCall(_msg: 'slow', from: From) {
    setTimeout(() => this.reply(from, 'done'), 1);
    return noReply;
  }
}

class NoArgs extends Actor {
  override init() {}
}

class Pair extends Actor<[string, number], number> {
  override handleCall(msg: [string, number]) {
    return msg[1];
  }
}

export async function typedPids(node: Node, box: Inbox, actor: Counter): Promise<void> {
  const pid = node.spawn(Counter, 0);
  expectTypeOf(pid).toEqualTypeOf<Pid<Counter>>();
  expectTypeOf(box.spawn(Counter, 0)).toEqualTypeOf<Pid<Counter>>();
  expectTypeOf(actor.spawnLink(Counter, 0)).toEqualTypeOf<Pid<Counter>>();
  expectTypeOf(node.spawnAndWait(Counter, 0)).toEqualTypeOf<Promise<Pid<Counter>>>();
  expectTypeOf(node.spawn(Counter, 0, { node: 'b' })).toEqualTypeOf<Promise<Pid<Counter>>>();
  expectTypeOf(node.spawn(Counter, 0, { name: 'c', link: false })).toEqualTypeOf<Pid<Counter>>();

  // Messages are checked against the handlers.
  node.cast(pid, { inc: 1 });
  node.send(pid, 'tick');
  // @ts-expect-error — 'gett' is not a call Counter takes ('get')
  void node.call(pid, 'gett');
  // @ts-expect-error — a cast takes { inc: number }
  node.cast(pid, { inc: '1' });
  // @ts-expect-error — handleInfo takes only 'tick'
  box.send(pid, 'tock');
  actor.sendAfter('tick', 10, pid);
  actor.sendAfter({ anything: true }, 10);
  // @ts-expect-error — a timer's message to a typed pid is checked too
  actor.sendAfter('tock', 10, pid);

  // A call resolves with handleCall's reply type; a timeout or options may follow.
  expectTypeOf(await node.call(pid, 'get')).toEqualTypeOf<number>();
  expectTypeOf(await box.call(pid, 'get', 100)).toEqualTypeOf<number>();
  expectTypeOf(await actor.call(pid, 'get', { timeoutMs: 100, signal: AbortSignal.timeout(50) })).toEqualTypeOf<number>();
  // @ts-expect-error — the reply is a number, not a string
  const wrong: string = await node.call(pid, 'get');
  void wrong;

  // Per-request replies, from the Answer pairs.
  const kv = node.spawn(Kv, undefined);
  expectTypeOf(await node.call(kv, 'size')).toEqualTypeOf<number>();
  expectTypeOf(await node.call(kv, { get: 'a' })).toEqualTypeOf<number | undefined>();
  expectTypeOf(await node.call(kv, { put: 'a', value: 1 })).toEqualTypeOf<void>();
  // @ts-expect-error — not one of KvRequest
  void node.call(kv, { gett: 'a' });

  // noReply is not a reply; an async handler's reply is awaited.
  expectTypeOf(await node.call(node.spawn(Later, undefined), 'slow')).toEqualTypeOf<string>();
  // Tuples stay tuples.
  expectTypeOf(await node.call(node.spawn(Pair, undefined), ['a', 1])).toEqualTypeOf<number>();
}

export async function processContexts(ctx: ProcessContext, pid: Pid<Counter>): Promise<void> {
  // A service handle's context (the node or a process) has the same typed API.
  expectTypeOf(await ctx.call(pid, 'get')).toEqualTypeOf<number>();
  expectTypeOf(ctx.spawn(Counter, 1)).toEqualTypeOf<Pid<Counter>>();
  // @ts-expect-error — checked there too
  ctx.cast(pid, 'get');
}

export function spawnArguments(node: Node): void {
  // @ts-expect-error — Counter's init takes a number
  node.spawn(Counter, '0');
  // @ts-expect-error — spawnLink checks it too
  node.inbox().spawnLink(Counter, undefined);
  node.spawn(NoArgs, undefined);
  // @ts-expect-error — NoArgs's init takes nothing
  node.spawn(NoArgs, 1);
  // A class name is untyped: any argument, an untyped pid; a typed one (defineActor's name) is typed.
  expectTypeOf(node.spawn('Counter', 'anything')).toEqualTypeOf<Pid>();
  const counterClass = name<Counter>('Counter');
  expectTypeOf(node.spawn(counterClass, 1, { scheduler: 1 })).toEqualTypeOf<Pid<Counter>>();
  expectTypeOf(node.spawnAndWait(counterClass, 1, { node: 'b' })).toEqualTypeOf<Promise<Pid<Counter>>>();
  // @ts-expect-error — the typed class name checks the argument
  node.spawn(counterClass, 'one');
}

export async function untypedPids(node: Node, pid: Pid, typed: Pid<Counter>): Promise<void> {
  // An untyped pid takes anything and a call on it resolves with unknown.
  node.send(pid, { any: 'thing' });
  node.cast(pid, 42);
  expectTypeOf(await node.call(pid, Symbol.iterator)).toEqualTypeOf<unknown>();
  // The explicit form of earlier versions still works: call<R>(target, msg).
  expectTypeOf(await node.call<number>(pid, 'get')).toEqualTypeOf<number>();
  // A typed pid is an untyped one; the other way needs a cast or a guard.
  const loose: Pid = typed;
  // @ts-expect-error — an untyped pid is not a Pid<Counter>
  const tight: Pid<Counter> = pid;
  void loose;
  void tight;
  const narrowed = pid as Pid<Counter>;
  expectTypeOf(await node.call(narrowed, 'get')).toEqualTypeOf<number>();
  // A plain string name is untyped.
  expectTypeOf(await node.call('counter', 'whatever')).toEqualTypeOf<unknown>();
}

export async function typedNames(node: Node, counterPid: Pid<Counter>, other: Pid<Kv>, via: ViaName<Counter>): Promise<void> {
  const counter = name<Counter>('counter');
  expectTypeOf(counter).toEqualTypeOf<Name<Counter>>();
  node.register(counter, counterPid);
  // @ts-expect-error — a Name<Counter> holds only a Pid<Counter>
  node.register(counter, other);
  node.register('plain', other);
  expectTypeOf(node.whereis(counter)).toEqualTypeOf<Pid<Counter> | undefined>();
  expectTypeOf(node.whereis('plain')).toEqualTypeOf<Pid | undefined>();
  expectTypeOf(await node.call(counter, 'get')).toEqualTypeOf<number>();
  // @ts-expect-error — the name carries Counter's protocol
  node.cast(counter, 'get');
  // { name, node } with a typed name is typed, as is a RemoteName<A>.
  expectTypeOf(await node.call({ name: counter, node: 'b' }, 'get')).toEqualTypeOf<number>();
  // @ts-expect-error — so is what it takes
  void node.call({ name: counter, node: 'b' }, 'gett');
  const remote: RemoteName<Counter> = { name: counter, node: 'b' };
  expectTypeOf(await node.call(remote, 'get')).toEqualTypeOf<number>();
  expectTypeOf(await node.call(via, 'get')).toEqualTypeOf<number>();
  // @ts-expect-error — and a typed via-name
  node.send(via, 'tock');
}

test('typed protocols are checked by tsc (pnpm typecheck)', () => {
  expectTypeOf(typedPids).toBeFunction();
  expectTypeOf(spawnArguments).toBeFunction();
  expectTypeOf(processContexts).toBeFunction();
  expectTypeOf(untypedPids).toBeFunction();
  expectTypeOf(typedNames).toBeFunction();
});
