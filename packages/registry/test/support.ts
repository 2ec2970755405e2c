import { afterEach, vi } from 'vitest';
import { Actor, Node, noReply, type MemoryNetwork, type Pid } from '@foundation/runtime';

const started: Node[] = [];

/** Starts a node that is stopped after the test. */
export async function startNode(name = 'nonode', net?: MemoryNetwork): Promise<Node> {
  const node = await Node.start(net ? { name, transport: net.transport() } : { name });
  started.push(node);
  return node;
}

afterEach(async () => {
  for (const node of started.splice(0).reverse()) await node.stop();
});

/** Waits until `check` stops throwing (polling, never a fixed sleep). */
export const until = (check: () => unknown, timeout = 3000) => vi.waitFor(check, { interval: 2, timeout });

/** Rejection of `p` (fails when it resolves). */
export async function failure(p: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

/** Sorted pid strings: for comparing member lists as multisets. */
export const ids = (pids: readonly Pid[]): string[] => pids.map(String).sort();

/** Answers calls with `{ echo, self }`; reports casts and sends to `reportTo`; never replies to 'hold'. */
export class Echo extends Actor<unknown, unknown, Pid | undefined> {
  reportTo: Pid | undefined;
  override init(reportTo?: Pid): void {
    this.reportTo = reportTo;
  }
  override handleCall(msg: unknown) {
    if (msg === 'hold') return noReply;
    return { echo: msg, self: this.self };
  }
  override handleCast(msg: unknown): void {
    if (this.reportTo) this.send(this.reportTo, ['cast', msg]);
  }
  override handleInfo(msg: unknown): void {
    if (this.reportTo) this.send(this.reportTo, ['info', msg]);
  }
}

/** Does nothing: a process to register or join. */
export class Idle extends Actor<unknown, unknown, void> {}
