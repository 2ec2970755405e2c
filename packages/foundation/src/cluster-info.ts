import type { Node } from '@foundation/runtime';
import type { FoundationConfig } from './config.js';

/** One service as clusterInfo shows it. */
export interface ServiceInfo {
  readonly name: string;
  readonly strategy: 'local' | 'singleton' | 'replicated' | 'partitioned' | 'registered';
  /** Nodes where it runs now, in this node's view. */
  readonly nodes: readonly string[];
}

/** What clusterInfo answers: this node, the nodes it sees, services and where they run. */
export interface ClusterInfo {
  readonly self: string;
  readonly profile: FoundationConfig['profile'];
  readonly discovery: FoundationConfig['cluster'];
  readonly nodes: readonly string[];
  /** This node's load: processes, run queue, dead letters, and its scheduler threads. */
  readonly load: { readonly processes: number; readonly runQueue: number; readonly deadLetters: number; readonly schedulers: number };
  readonly services: readonly ServiceInfo[];
}

/** Assembles the ClusterInfo of `node` (load is this node's: others report their own). */
export function clusterInfo(node: Node, cfg: FoundationConfig, services: readonly ServiceInfo[], schedulers: number): ClusterInfo {
  const s = node.stats();
  return {
    self: node.name,
    profile: cfg.profile,
    discovery: cfg.cluster,
    nodes: [node.name, ...node.nodes()].sort(),
    load: { processes: s.processes, runQueue: s.runQueue, deadLetters: s.deadLetters, schedulers },
    services,
  };
}
