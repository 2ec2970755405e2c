/**
 * A tour of the runtime on one node: spawn and call, a crash travelling along a link, a
 * trapping actor that survives it, and a monitor firing. Run: `pnpm demo`.
 */
import { Actor, Node, isDown, isExit, type From, type Pid } from '@foundation/runtime';

/** A counter: calls read it, casts change it. */
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
}

/** A worker that crashes when told to, taking every process linked to it along. */
class Worker extends Actor<'crash', never, string> {
  label = '';
  override init(label: string) {
    this.label = label;
  }
  override handleCast(_msg: 'crash') {
    throw new Error(`${this.label} was told to crash`);
  }
}

/** Links itself to a worker, but traps exits: the crash arrives as a message. */
class Guardian extends Actor<unknown, string[], Pid> {
  seen: string[] = [];
  override init(worker: Pid) {
    this.trapExit = true;
    this.link(worker);
  }
  override handleInfo(msg: unknown) {
    if (isExit(msg)) this.seen.push(`EXIT from ${msg.from}: ${(msg.reason as Error).message}`);
  }
  override handleCall() {
    return this.seen;
  }
}

/** Links itself to a worker without trapping: it dies with the worker. */
class Bystander extends Actor<never, never, Pid> {
  override init(worker: Pid) {
    this.link(worker);
  }
}

const log = (...args: unknown[]) => console.log('  ', ...args);
const node = await Node.start({ name: 'demo' });
console.log(`node ${node.name} started`);

console.log('\n1. spawn and call');
const counter = node.spawn(Counter, 40, { name: 'counter' });
node.cast('counter', { inc: 2 });
log(`spawned Counter ${counter}, cast { inc: 2 }, call 'get' ->`, await node.call('counter', 'get', 1000));

console.log('\n2. a crash travels along a link');
const worker = node.spawn(Worker, 'worker-1');
const bystander = node.spawn(Bystander, worker);
const guardian = node.spawn(Guardian, worker);
const observer = node.inbox();
observer.monitor(bystander);
const workerRef = observer.monitor(worker);
await node.call(guardian, 'seen'); // both have run init (and linked) once the guardian answers
log(`worker ${worker}, linked bystander ${bystander}, trapping guardian ${guardian}`);
node.cast(worker, 'crash');
const downs = [await observer.receive(isDown, 1000), await observer.receive(isDown, 1000)];
for (const d of downs) {
  const who = d.ref.equals(workerRef) ? 'worker' : 'bystander';
  log(`DOWN ${who} ${d.pid}: ${(d.reason as Error).message}`);
}
log('guardian (trapping) is alive and saw:', await node.call(guardian, 'seen', 1000));

console.log('\n3. a monitor fires exactly once, with the reason');
const ref = observer.monitor(counter);
node.exit(counter, 'kill');
const down = await observer.receive(isDown, 1000);
log(`monitor ${ref} fired: pid ${down.pid}, reason '${String(down.reason)}'`);
log(`whereis('counter') after the kill -> ${node.whereis('counter') ?? 'undefined'}`);

console.log('\n4. calling a dead process');
try {
  await node.call(counter, 'get', 1000);
} catch (e) {
  log(`${(e as Error).name}: ${(e as Error).message}`);
}

await node.stop();
console.log('\nnode stopped: every actor exited with shutdown');
