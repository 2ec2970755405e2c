import { Actor, type Node } from '@foundation/runtime';
import type { FoundationConfig } from './config.js';

/** One service as clusterInfo shows it. */
export interface ServiceInfo {
  readonly name: string;
  readonly strategy: 'local' | 'singleton' | 'replicated' | 'partitioned' | 'registered';
  /** Nodes where it runs now, in this node's view. */
  readonly nodes: readonly string[];
}

/** One node's load: processes, run queue, dead letters, and its scheduler threads. */
export interface NodeLoad {
  readonly processes: number;
  readonly runQueue: number;
  readonly deadLetters: number;
  readonly schedulers: number;
}

/** What clusterInfo answers: this node, the nodes it sees with their load, services and where they run. */
export interface ClusterInfo {
  readonly self: string;
  readonly profile: FoundationConfig['profile'];
  readonly discovery: FoundationConfig['cluster'];
  readonly nodes: readonly string[];
  /** Each node's load, as it reported it (a node that did not answer in time is missing). */
  readonly load: Readonly<Record<string, NodeLoad>>;
  readonly services: readonly ServiceInfo[];
}

/** The registered name of each node's load reporter. */
export const LOAD_REPORTER = 'foundation.load';

/** Answers 'load' with its node's NodeLoad. */
export class LoadReporter extends Actor<'load', NodeLoad, number> {
  private schedulers = 1;
  override init(schedulers: number): void {
    this.schedulers = schedulers;
  }
  override handleCall(): NodeLoad {
    return loadOf(this.node, this.schedulers);
  }
}

function loadOf(node: Node, schedulers: number): NodeLoad {
  const s = node.stats();
  return { processes: s.processes, runQueue: s.runQueue, deadLetters: s.deadLetters, schedulers };
}

/** The boundary: a NodeLoad from a peer, or undefined. */
export function parseLoad(x: unknown): NodeLoad | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const m = x as Record<string, unknown>;
  const n = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (!n(m.processes) || !n(m.runQueue) || !n(m.deadLetters) || !n(m.schedulers)) return undefined;
  return {
    processes: m.processes as number,
    runQueue: m.runQueue as number,
    deadLetters: m.deadLetters as number,
    schedulers: m.schedulers as number,
  };
}

/** Assembles the ClusterInfo of `node`, asking every connected node for its load (at most `timeoutMs`). */
export async function clusterInfo(
  node: Node,
  cfg: FoundationConfig,
  services: readonly ServiceInfo[],
  schedulers: number,
  timeoutMs = 1000,
): Promise<ClusterInfo> {
  const peers = node.nodes();
  const load: Record<string, NodeLoad> = { [node.name]: loadOf(node, schedulers) };
  const answers = await Promise.all(
    peers.map((p) => node.call({ name: LOAD_REPORTER, node: p } as never, 'load' as never, timeoutMs).then(parseLoad, () => undefined)),
  );
  peers.forEach((p, i) => {
    const l = answers[i];
    if (l !== undefined) load[p] = l;
  });
  return { self: node.name, profile: cfg.profile, discovery: cfg.cluster, nodes: [node.name, ...peers].sort(), load, services };
}
