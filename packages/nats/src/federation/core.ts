import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { CallExitError, CallTimeoutError, describeValue, type Node, type ProcessContext } from '@foundation/runtime';
import { openNats } from '../connection.js';
import { ClusterRegistry, type ClusterInfo } from './clusters.js';
import {
  encodeAnnounce,
  encodeAnswer,
  encodeEnvelope,
  parseAnnounce,
  parseAnswer,
  parseEnvelope,
  type Answer,
  type ClusterTarget,
  type Envelope,
} from './envelope.js';
import type { ResolvedFederationOptions } from './options.js';

const PRESENCE = 'fed.presence';
const gatewaySubject = (cluster: string) => `fed.${cluster}.gw`;

/**
 * One node's part in the federation: its own NATS connection (apart from the transport's), the
 * cluster registry fed by gateways' announces, and — while this node is its cluster's gateway
 * (the first of its cluster's nodes up, by name) — the subscription that takes messages for the
 * cluster, delivers them here, or passes them on along the topology's route.
 *
 * The gateway subscribes in a queue group: should two nodes of a cluster both believe they are
 * its gateway for a moment (membership settling), each message still goes to one of them.
 */
export class FederationCore {
  private nc: NatsConnection | null = null;
  private gw: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  readonly registry: ClusterRegistry;
  private stopped = false;
  /** Messages passed on to another cluster (for tests of routes). */
  forwarded = 0;

  constructor(
    readonly node: Node,
    readonly opts: ResolvedFederationOptions,
  ) {
    this.registry = new ClusterRegistry(opts.cluster, opts.routes.clusters, opts.nats.missedHeartbeats * opts.nats.heartbeatMs);
  }

  private log(level: 'info' | 'warn', msg: string): void {
    try {
      this.opts.nats.logger(level, `${this.node.name} (federation ${this.opts.cluster}): ${msg}`);
    } catch {
      // A logger that throws must not turn a log line into a crash.
    }
  }

  /** True while this node serves as its cluster's gateway. */
  get isGateway(): boolean {
    return this.gw !== null;
  }

  async open(): Promise<void> {
    const nc = await openNats(this.opts.nats, `foundation-federation:${this.opts.cluster}:${this.node.name}`);
    this.nc = nc;
    nc.subscribe(PRESENCE, { callback: (err, m) => this.guard('an announce', () => err === null && this.onAnnounce(m)) });
    await nc.flush();
    this.timer = setInterval(() => this.guard('the heartbeat', () => this.tick()), this.opts.nats.heartbeatMs);
    this.timer.unref();
    this.tick();
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const nc = this.nc;
    this.nc = null;
    this.gw = null;
    if (nc) await nc.close();
  }

  /** Re-elects (membership may have changed) and, as gateway, announces the cluster. */
  tick(): void {
    if (this.stopped || !this.nc) return;
    this.elect();
    if (this.gw) {
      const nodes = [this.node.name, ...this.node.nodes()].sort();
      this.nc.publish(PRESENCE, encodeAnnounce({ cluster: this.opts.cluster, gateway: this.node.name, nodes }));
    }
  }

  /** This node is the gateway when it is the first, by name, of the cluster's nodes it sees up. */
  elect(): void {
    const nc = this.nc;
    if (this.stopped || !nc) return;
    const want = this.node.nodes().every((n) => n > this.node.name);
    if (want && !this.gw) {
      this.log('info', 'serving as the gateway of the cluster');
      this.gw = nc.subscribe(gatewaySubject(this.opts.cluster), {
        queue: 'gateway',
        callback: (err, m) => this.guard('a federated message', () => err === null && this.onGateway(m)),
      });
    } else if (!want && this.gw) {
      this.log('info', 'no longer the gateway of the cluster');
      this.gw.unsubscribe();
      this.gw = null;
    }
  }

  /** The clusters of the federation: gateways, nodes, reachability. */
  clusters(): ClusterInfo[] {
    return this.registry.list(performance.now());
  }

  /** Sends `msg` to `target` in `cluster` (at most once); false when the cluster (or the next one on the route) is not reachable. */
  send(cluster: string, target: ClusterTarget, msg: unknown): boolean {
    if (cluster === this.opts.cluster) {
      this.node.send(target, msg);
      return true;
    }
    const next = this.opts.routes.next(this.opts.cluster, cluster);
    if (!this.nc || !this.registry.reachable(next, performance.now())) return false;
    const env: Envelope = { kind: 'send', from: this.opts.cluster, to: cluster, target, msg, hops: 0, timeoutMs: 1 };
    this.nc.publish(gatewaySubject(next), encodeEnvelope(env));
    return true;
  }

  /** Calls `target` in `cluster`: its reply; CallExitError (reason 'unreachable' or the callee's) or CallTimeoutError. */
  async call(ctx: ProcessContext, cluster: string, target: ClusterTarget, msg: unknown, timeoutMs: number): Promise<unknown> {
    if (cluster === this.opts.cluster) return ctx.call(target, msg, timeoutMs);
    const where = `${describeValue(target)} in cluster '${cluster}'`;
    const next = this.opts.routes.next(this.opts.cluster, cluster);
    const nc = this.nc;
    if (!nc || !this.registry.reachable(next, performance.now())) throw new CallExitError(where, 'unreachable');
    const env: Envelope = { kind: 'call', from: this.opts.cluster, to: cluster, target, msg, hops: 0, timeoutMs };
    const a = await this.request(nc, gatewaySubject(next), env, timeoutMs);
    if (a.ok) return a.value;
    if (a.reason === 'timeout') throw new CallTimeoutError(where, timeoutMs);
    throw new CallExitError(where, a.reason);
  }

  /** A request to a gateway; its answer, or the failure NATS reported as one. */
  private async request(nc: NatsConnection, subject: string, env: Envelope, timeoutMs: number): Promise<Answer> {
    let reply: Msg;
    try {
      reply = await nc.request(subject, encodeEnvelope(env), { timeout: timeoutMs });
    } catch (e) {
      const m = String((e as Error)?.message ?? e);
      // No responders: no gateway subscribed (the cluster is down, cut off, or between gateways).
      return { ok: false, reason: /timeout/i.test(m) ? 'timeout' : 'unreachable' };
    }
    return parseAnswer(reply.data) ?? { ok: false, reason: 'unreachable' };
  }

  private onAnnounce(m: Msg): void {
    const a = parseAnnounce(m.data);
    if (a) this.registry.announce(a.cluster, a.gateway, a.nodes, performance.now());
  }

  /** A message for this cluster, or to pass on along the route. */
  private onGateway(m: Msg): void {
    const env = parseEnvelope(m.data);
    if (!env) {
      this.log('warn', 'dropped a message on the gateway subject that is not a federation envelope');
      if (m.reply) m.respond(encodeAnswer({ ok: false, reason: 'badarg' }));
      return;
    }
    if (env.to !== this.opts.cluster) return this.forward(env, m);
    if (env.kind === 'send') {
      this.node.send(env.target, env.msg);
      return;
    }
    const started = performance.now();
    this.node.call(env.target, env.msg, env.timeoutMs).then(
      (value) => m.respond(encodeAnswer({ ok: true, value })),
      (e: unknown) => {
        const reason = CallExitError.is(e) ? (e as CallExitError).reason : CallTimeoutError.is(e) ? 'timeout' : describeValue(e);
        try {
          m.respond(encodeAnswer({ ok: false, reason }));
        } catch (e2) {
          this.log('warn', `answering a federated call (${Math.round(performance.now() - started)} ms) failed: ${(e2 as Error)?.message}`);
        }
      },
    );
  }

  private forward(env: Envelope, m: Msg): void {
    const nc = this.nc;
    if (!nc) return;
    if (env.hops >= this.opts.routes.clusters.length || !this.opts.routes.clusters.includes(env.to)) {
      this.log('warn', `dropped a message for cluster '${env.to}' after ${env.hops} hops (no route)`);
      if (m.reply) m.respond(encodeAnswer({ ok: false, reason: 'unreachable' }));
      return;
    }
    const next = this.opts.routes.next(this.opts.cluster, env.to);
    const onward = { ...env, hops: env.hops + 1 };
    this.forwarded++;
    if (env.kind === 'send') return nc.publish(gatewaySubject(next), encodeEnvelope(onward));
    void this.request(nc, gatewaySubject(next), onward, env.timeoutMs).then((a) => {
      try {
        m.respond(encodeAnswer(a));
      } catch (e) {
        this.log('warn', `relaying a federated answer failed: ${(e as Error)?.message}`);
      }
    });
  }

  private guard(what: string, fn: () => unknown): void {
    try {
      fn();
    } catch (e) {
      this.log('warn', `${what} threw: ${(e as Error)?.stack ?? String(e)}`);
    }
  }
}
