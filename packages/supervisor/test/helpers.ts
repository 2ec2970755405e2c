import { Actor, Node, isDown, type DownMessage, type Inbox, type Pid, type Ref } from '@foundation/runtime';
import { afterEach } from 'vitest';

/** What a Worker is told to do (casts) or asked (calls). */
export type WorkerMsg = 'ping' | { stop: unknown } | { crash: string };

/** A Worker's init argument: an id, a shared log, and how it misbehaves. */
export interface WorkerArgs {
  id: string;
  log?: string[];
  /** Throw from init with this message. */
  failInit?: string | (() => string | undefined);
  /** Trap exits (so a 'shutdown' from the supervisor runs terminate). */
  trap?: boolean;
  /** When trapping, let terminate take this long (a child that ignores shutdown). */
  slowTerminateMs?: number;
  /** Let terminate end a microtask later (async, yet within the turn's macrotask: no timer). */
  asyncTerminate?: boolean;
  /** Also log `end:id` when terminate finishes (shows whether stops overlap). */
  logEnd?: boolean;
}

/** A supervised worker: logs `start:id` and `stop:id` (and `end:id` with logEnd), answers 'ping' with its id, stops or crashes on a cast. */
export class Worker extends Actor<WorkerMsg, string, WorkerArgs> {
  private a!: WorkerArgs;
  override init(a: WorkerArgs): void {
    this.a = a;
    const fail = typeof a.failInit === 'function' ? a.failInit() : a.failInit;
    if (fail !== undefined) throw new Error(fail);
    if (a.trap) this.trapExit = true;
    a.log?.push(`start:${a.id}`);
  }
  override handleCall(msg: WorkerMsg): string {
    if (msg === 'ping') return this.a.id;
    throw new Error(`unexpected call ${String(msg)}`);
  }
  override handleCast(msg: WorkerMsg): void {
    if (typeof msg !== 'object') return;
    if ('stop' in msg) this.stop(msg.stop);
    else throw new Error(msg.crash);
  }
  override async terminate(): Promise<void> {
    this.a.log?.push(`stop:${this.a.id}`);
    if (this.a.slowTerminateMs !== undefined) await new Promise((r) => setTimeout(r, this.a.slowTerminateMs));
    else if (this.a.asyncTerminate) await Promise.resolve();
    if (this.a.logEnd) this.a.log?.push(`end:${this.a.id}`);
  }
}

const nodes: Node[] = [];
/** A node stopped after the test. */
export async function startNode(name = 'sup'): Promise<Node> {
  const node = await Node.start({ name });
  nodes.push(node);
  return node;
}
afterEach(async () => {
  for (const node of nodes.splice(0).reverse()) await node.stop();
});

/** Monitors `pid` from `inbox` and resolves with its DOWN. */
export function watch(inbox: Inbox, pid: Pid, timeoutMs = 5000): Promise<DownMessage> {
  const ref: Ref = inbox.monitor(pid);
  return inbox.receive((m): m is DownMessage => isDown(m) && m.ref.equals(ref), timeoutMs);
}

/** Polls `check` until it returns a value other than undefined (waits on a condition, never a fixed sleep). */
export async function until<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setImmediate(r));
  }
}
