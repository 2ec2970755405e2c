import { describeValue, taggedError as tagged } from '@foundation/runtime';

/**
 * A child spec names an actor class that cannot be started on every member: a class not named
 * with `defineActor` (a DistributedSupervisor starts its children by name, on any member), or a
 * name not defined on the member(s) listed in `nodes`.
 */
export class UnknownChildClassError extends tagged('UnknownChildClassError') {
  constructor(
    readonly id: string,
    readonly cls: string,
    readonly nodes: readonly string[],
  ) {
    super(
      nodes.length === 0
        ? `child '${id}': ${cls} is not named with defineActor (a distributed child is started by class name, on any member)`
        : `child '${id}': no actor class is defined under '${cls}' on ${nodes.map((n) => `'${n}'`).join(', ')} (call defineActor on every member)`,
    );
  }
}

/** `distribution: 'quorum'` and this node's side of the cluster has no majority of the members: it runs and starts nothing. */
export class NoQuorumError extends tagged('NoQuorumError') {
  constructor(
    readonly supervisor: string,
    readonly live: readonly string[],
    readonly known: readonly string[],
  ) {
    super(
      `distributed supervisor '${supervisor}' has no quorum here: ${live.length} of ${known.length} members reachable (${describeValue(live)})`,
    );
  }
}

/** A DistributedSupervisor option is wrong: names the option, what is allowed and what was given. */
export class DistributedSupervisorOptionError extends tagged('DistributedSupervisorOptionError') {
  constructor(
    readonly field: string,
    readonly allowed: string,
    readonly given: unknown,
  ) {
    super(`DistributedSupervisor option ${field} must be ${allowed}, got ${describeValue(given)}`);
  }
}
