import type { Node, Pid } from '@foundation/runtime';

/** The running handles of one kind, per node and name (for `X.of(node, name)`). */
export class RunningHandles<H> {
  private readonly byNode = new WeakMap<Node, Map<string, H>>();

  get(node: Node, name: string): H | undefined {
    return this.byNode.get(node)?.get(name);
  }

  set(node: Node, name: string, handle: H): void {
    let byName = this.byNode.get(node);
    if (!byName) this.byNode.set(node, (byName = new Map<string, H>()));
    byName.set(name, handle);
  }

  /** Forgets `handle` (only if it is still the one under `name`). */
  delete(node: Node, name: string, handle: H): void {
    const byName = this.byNode.get(node);
    if (byName?.get(name) === handle) byName.delete(name);
  }
}

/** Stops an owner actor as its parent would (exit `'shutdown'`) and waits until it is gone. */
export async function stopOwner(node: Node, pid: Pid): Promise<void> {
  const box = node.inbox();
  try {
    box.monitor(pid);
    node.exit(pid, 'shutdown');
    await box.receive();
  } finally {
    box.close();
  }
}
