import { vi } from 'vitest';
import { isDown, isExit, Node, type DownMessage, type ExitMessage, type Pid, type Ref } from '@foundation/runtime';
import { nats, type NatsOptions } from '../src/index.js';

/** A receive predicate for the DOWN of the monitor `ref`. */
export const downFor =
  (ref: Ref) =>
  (m: unknown): m is DownMessage =>
    isDown(m) && m.ref.equals(ref);

/** A receive predicate for the EXIT message from `pid`. */
export const exitFrom =
  (pid: Pid) =>
  (m: unknown): m is ExitMessage =>
    isExit(m) && m.from.equals(pid);

/** Retries `fn` until it passes (a deadline, no fixed sleep). */
export const until = (fn: () => unknown, timeout = 8000) => vi.waitFor(fn, { interval: 5, timeout });

/** The error `p` rejects with; fails the test when there is none. */
export async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure, got none');
}

/** Log lines the transports wrote (tests look for warnings in them). */
export const logs: string[] = [];

/** A NATS transport for tests: short heartbeats (a silent peer is down after 600 ms), logs kept. */
export function transport(url: string | string[], opts: Partial<NatsOptions> = {}) {
  return nats({ servers: url, cluster: 'test', heartbeatMs: 100, missedHeartbeats: 6, logger: (_l, m) => logs.push(m), ...opts });
}

const started: Node[] = [];

/** Starts a node on the NATS transport (stopped by `stopAll`). */
export async function startNode(url: string | string[], name: string, opts: Partial<NatsOptions> = {}): Promise<Node> {
  const node = await Node.start({ name, transport: transport(url, opts) });
  started.push(node);
  return node;
}

/** Stops every node `startNode` started, newest first. */
export async function stopAll(): Promise<void> {
  for (const n of started.splice(0).reverse()) await n.stop();
}

/** Waits until each node sees every other one. */
export async function meshed(...nodes: Node[]): Promise<void> {
  await until(() => {
    for (const n of nodes) {
      const want = nodes
        .filter((o) => o !== n)
        .map((o) => o.name)
        .sort();
      if (JSON.stringify(n.nodes().sort()) !== JSON.stringify(want))
        throw new Error(`${n.name} sees ${n.nodes().join()}, wants ${want.join()}`);
    }
  });
}

export { Echo } from './echo.js';
