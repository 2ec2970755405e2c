import { UnknownNameError, type Node, type Pid } from '@foundation/runtime';

/** The running handles of one kind, per node and name (for `X.of(ctx, name)`). */
export class RunningHandles<H extends { readonly pid: Pid; readonly alive: boolean }> {
  private readonly byNode = new WeakMap<Node, Map<string, H>>();

  get(node: Node, name: string): H | undefined {
    return this.byNode.get(node)?.get(name);
  }

  /** The running handle under `name`; UnknownNameError naming `registered` (its owner's name) when none runs. */
  running(node: Node, name: string, registered: string): H {
    const h = this.get(node, name);
    if (h === undefined || !h.alive) throw new UnknownNameError(registered);
    return h;
  }

  set(node: Node, name: string, handle: H): void {
    let byName = this.byNode.get(node);
    if (!byName) this.byNode.set(node, (byName = new Map<string, H>()));
    byName.set(name, handle);
  }

  /** Forgets the handle of the owner `pid` (only if it is still the one under `name`). */
  delete(node: Node, name: string, pid: Pid): void {
    const byName = this.byNode.get(node);
    if (byName?.get(name)?.pid.equals(pid)) byName.delete(name);
  }
}
