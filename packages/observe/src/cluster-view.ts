import type { Node } from '@foundation/runtime';
import { askAgent } from './ask.js';
import type { NodeSnapshot, ProcessRow } from './records.js';

/** What the dashboard and the CLI show: every reachable node's snapshot, with each process's message rate. */
export interface ClusterView {
  readonly at: number;
  readonly nodes: (NodeSnapshot & { readonly processes: (ProcessRow & { readonly rate: number })[] })[];
  /** Nodes connected but without an answering observer. */
  readonly unreachable: string[];
}

/**
 * Snapshots of this node and every node it is connected to, taken by their agents. Rates
 * (messages handled per second) come from the previous view given, for processes in both.
 * `ask`: the nodes to ask instead (the CLI leaves out its own node, which runs no observer).
 */
export async function clusterView(node: Node, previous: ClusterView | null = null, ask?: string[]): Promise<ClusterView> {
  const names = ask ?? [node.name, ...node.nodes()];
  const answers = await Promise.allSettled(names.map((n) => askAgent(node, n, { op: 'snapshot' }) as Promise<NodeSnapshot>));
  const before = new Map<string, { handled: number; at: number }>();
  for (const n of previous?.nodes ?? []) for (const p of n.processes) before.set(p.pid, { handled: p.handled, at: n.at });
  const nodes: ClusterView['nodes'] = [];
  const unreachable: string[] = [];
  answers.forEach((a, i) => {
    if (a.status === 'rejected') {
      unreachable.push(names[i]!);
      return;
    }
    const s = a.value;
    const processes = s.processes.map((p) => {
      const b = before.get(p.pid);
      const dt = b === undefined ? 0 : (s.at - b.at) / 1000;
      return { ...p, rate: dt > 0 ? Math.max(0, (p.handled - b!.handled) / dt) : 0 };
    });
    nodes.push({ ...s, processes });
  });
  nodes.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return { at: Date.now(), nodes, unreachable };
}
