/*
 * Replica ids of the replicas a Replicator or a DistributedRegistry owner runs: one per start
 * of a replica, never reused. `node.incarnation.pid-id`: the node's incarnation is drawn at
 * random for every start of the node, and the pid id is new for every process of that start,
 * so a restarted replica — of a restarted node, or restarted on a live one — has a new id.
 * Pruning reads the node back out of an id: a node runs one replica of a named CRDT at a time
 * (it is registered under the CRDT's name), so a newer one there proves the older one dead.
 */

/** The replica id of a replica run by the process `pidId` of node `node` in its incarnation `incarnation`. */
export function replicaId(node: string, incarnation: number, pidId: number): string {
  return `${node}.${incarnation}.${pidId}`;
}

const FORM = /^(.+)\.(\d+)\.(\d+)$/;

/** The node of a replica id made by `replicaId` (node names may contain dots); undefined for other ids. */
export function nodeOfReplica(replica: string): string | undefined {
  return FORM.exec(replica)?.[1];
}
