import {
  Actor,
  InvalidArgumentError,
  isNodeDown,
  isNodeUp,
  stopProcess,
  type Node,
  type Pid,
  type ProcessContext,
} from '@foundation/runtime';
import type { ClusterInfo } from './clusters.js';
import { FederationCore } from './core.js';
import { isClusterTarget, type ClusterTarget } from './envelope.js';
import { resolveFederationOptions, type FederationOptions } from './options.js';

/** The process of a federation on a node: owns its NATS connection; re-elects the gateway on nodeup/nodedown. */
class FederationActor extends Actor<never, never, FederationCore> {
  core!: FederationCore;
  override async init(core: FederationCore) {
    this.core = core;
    this.monitorNodes();
    await core.open();
  }
  override handleInfo(msg: unknown) {
    if (isNodeUp(msg) || isNodeDown(msg)) this.core.elect();
  }
  override async terminate() {
    await this.core.close();
  }
}

/**
 * A node's membership in a federation of clusters over NATS (NATS gateways or one server carry
 * it): `sendToCluster` and `callCluster` reach processes of other clusters through their
 * gateway node, along the topology's route; `clusters()` is the registry of the federation's
 * clusters and whether each is reachable. Every node of a cluster starts one: the first of the
 * cluster's nodes up (by name) serves as its gateway, and the next takes over when it goes down.
 *
 * ```ts
 * const fed = await Federation.start(node, { servers: 'nats://127.0.0.1:4222', cluster: 'east', clusters: ['east', 'west'] });
 * await fed.callCluster('west', 'inventory', { get: 'sku-1' });
 * ```
 */
export class Federation {
  private constructor(
    private readonly ctx: ProcessContext,
    /** The federation's process on this node. */
    readonly pid: Pid,
    private readonly core: FederationCore,
  ) {}

  /** Starts this node's part in the federation (its process is a child of `ctx`). */
  static async start(ctx: ProcessContext, opts: FederationOptions): Promise<Federation> {
    const o = resolveFederationOptions(opts);
    const node: Node = 'whereis' in ctx ? ctx : ctx.node;
    const core = new FederationCore(node, o);
    const pid = await ctx.spawnAndWait(FederationActor, core);
    return new Federation(ctx, pid, core);
  }

  /** This node's cluster. */
  get cluster(): string {
    return this.core.opts.cluster;
  }

  /** True while this node serves as its cluster's gateway. */
  get isGateway(): boolean {
    return this.core.isGateway;
  }

  /** Messages this node passed on to another cluster as a gateway on a route (hub, hierarchy). */
  get forwarded(): number {
    return this.core.forwarded;
  }

  /**
   * Sends `msg` to `target` (a name registered on the cluster's gateway node, or
   * `{ name, node }`) in `cluster`, at most once; false when the cluster, or the next one on the
   * route, is not reachable now.
   */
  sendToCluster(cluster: string, target: ClusterTarget, msg: unknown): boolean {
    this.check(cluster, target, 'sendToCluster');
    return this.core.send(cluster, target, msg);
  }

  /**
   * Calls `target` in `cluster`. Fails as a call does: CallExitError with reason
   * 'unreachable' (no gateway answers: the cluster is down, cut off, or between two gateways) or
   * the callee's ('noproc', 'noconnection', its exit reason), CallTimeoutError after `timeoutMs`.
   */
  callCluster<R = unknown>(cluster: string, target: ClusterTarget, msg: unknown, timeoutMs = this.core.opts.callTimeoutMs): Promise<R> {
    this.check(cluster, target, 'callCluster');
    return this.core.call(this.ctx, cluster, target, msg, timeoutMs) as Promise<R>;
  }

  /** The federation's clusters: their gateway and nodes as last announced, and whether each is reachable. */
  clusters(): ClusterInfo[] {
    return this.core.clusters();
  }

  /** Leaves the federation (the process stops and closes its NATS connection). */
  stop(): Promise<void> {
    return stopProcess(this.ctx, this.pid);
  }

  private check(cluster: string, target: ClusterTarget, where: string): void {
    if (!this.core.opts.routes.clusters.includes(cluster)) {
      throw new InvalidArgumentError(
        `${where} cluster`,
        `one of the federation's clusters (${this.core.opts.routes.clusters.join(', ')})`,
        cluster,
      );
    }
    if (!isClusterTarget(target)) throw new InvalidArgumentError(`${where} target`, 'a registered name or { name, node }', target);
  }
}
