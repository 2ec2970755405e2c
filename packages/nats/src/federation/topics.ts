import { Actor, InvalidArgumentError, stopProcess, type Pid } from '@foundation/runtime';
import { canonicalPattern, clusterAdapter, PubSub, type AdapterFactory, type BroadcastFrame } from '@foundation/pubsub';
import type { Federation } from './federation.js';

/** How the relay of PubSub `name` is registered on every node (the gateway's receives from other clusters). */
export const relayName = (pubsub: string): string => `pubsub-federation:${pubsub}`;

/** A broadcast carried to another cluster. Closed: anything else arriving at a relay is dropped at `parseCarried`. */
interface Carried {
  readonly federatedBroadcast: string;
  readonly from: string;
  readonly topic: string;
  readonly message: unknown;
  readonly dispatcher: string | null;
}

function parseCarried(x: unknown, pubsub: string): Carried | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const c = x as Record<string, unknown>;
  if (c.federatedBroadcast !== pubsub || typeof c.from !== 'string' || typeof c.topic !== 'string' || !('message' in c)) return undefined;
  if (c.dispatcher !== null && typeof c.dispatcher !== 'string') return undefined;
  return c as unknown as Carried;
}

/** True when the literal topic `t` matches the AMQP pattern `p` (`*` one segment, `#` zero or more). */
export function topicMatches(p: readonly string[], t: readonly string[], i = 0, j = 0): boolean {
  if (i === p.length) return j === t.length;
  if (p[i] === '#') {
    for (let k = j; k <= t.length; k++) if (topicMatches(p, t, i + 1, k)) return true;
    return false;
  }
  if (j === t.length) return false;
  return (p[i] === '*' || p[i] === t[j]) && topicMatches(p, t, i + 1, j + 1);
}

type Log = (level: 'info' | 'warn', msg: string) => void;

/**
 * The relay on each node: what another cluster's broadcast brings to this cluster's gateway, it
 * broadcasts here (to every node of this cluster) as `broadcastFrom(relay)` — which the federated
 * adapter never carries on, so a broadcast crosses each cluster once and never loops.
 */
class Relay extends Actor<never, never, { pubsub: string; log: Log }> {
  private pubsub = '';
  private log: Log = () => undefined;
  private dropped = new Set<string>();
  override init(a: { pubsub: string; log: Log }) {
    this.pubsub = a.pubsub;
    this.log = a.log;
  }
  override handleInfo(msg: unknown) {
    const c = parseCarried(msg, this.pubsub);
    if (c === undefined) {
      this.log('warn', `pubsub '${this.pubsub}' federation: dropped a message that is not a carried broadcast`);
      return;
    }
    try {
      const opts = c.dispatcher === null ? undefined : { dispatcher: c.dispatcher };
      PubSub.of(this, this.pubsub)
        .broadcastFrom(this.self, c.topic, c.message, opts)
        .catch((e: unknown) =>
          this.log('warn', `pubsub '${this.pubsub}' federation: a broadcast from cluster '${c.from}' failed here: ${String(e)}`),
        );
    } catch (e) {
      // A bad topic or unknown dispatcher from another cluster ends that one delivery; logged once per cluster.
      if (!this.dropped.has(c.from)) {
        this.dropped.add(c.from);
        this.log('warn', `pubsub '${this.pubsub}' federation: refused a broadcast from cluster '${c.from}': ${String(e)}`);
      }
    }
  }
}

/** Options of `federatedAdapter`. */
export interface FederatedAdapterOptions {
  /** The topics carried to the other clusters: topics or AMQP patterns (`orders.#`). */
  patterns: readonly string[];
  /** How this cluster's nodes reach each other (default `clusterAdapter()`). */
  inner?: AdapterFactory;
  /** Where warnings go (default: none). */
  logger?: (level: 'info' | 'warn', msg: string) => void;
}

/**
 * A PubSub adapter that carries broadcasts to topics matching `patterns` to every other
 * reachable cluster of `federation`, where the receiving gateway broadcasts them to its cluster
 * (Phoenix.PubSub delivery on each side). Inside the cluster it is `inner`. Pass it as
 * `PubSub.start`'s `adapter` on every node of every cluster, with the same PubSub name.
 * At most once, as `sendToCluster`: a cluster unreachable at the broadcast misses it.
 *
 * ```ts
 * const ps = await PubSub.start(node, { name: 'app', adapter: federatedAdapter(fed, { patterns: ['alerts.#'] }) });
 * ```
 */
export function federatedAdapter(federation: Federation, opts: FederatedAdapterOptions): AdapterFactory {
  if (typeof opts !== 'object' || opts === null || !Array.isArray(opts.patterns)) {
    throw new InvalidArgumentError('federatedAdapter(federation, opts): opts.patterns', 'an array of topics or patterns', opts);
  }
  const patterns = opts.patterns.map((p, i) => canonicalPattern(p, `federatedAdapter patterns[${i}]`).split('.'));
  const inner = opts.inner ?? clusterAdapter();
  const log: Log = opts.logger ?? (() => undefined);
  return {
    kind: `federated(${inner.kind})`,
    create(host) {
      const a = inner.create(host);
      const name = host.core.name;
      let relay: Pid | null = null;
      const carry = (frame: BroadcastFrame, segments: readonly string[]): void => {
        if (relay !== null && frame.from !== null && frame.from.equals(relay)) return;
        if (!patterns.some((p) => topicMatches(p, segments))) return;
        const carried: Carried = {
          federatedBroadcast: name,
          from: federation.cluster,
          topic: frame.topic,
          message: frame.message,
          dispatcher: frame.dispatcher,
        };
        for (const c of federation.clusters()) {
          if (c.cluster === federation.cluster || !c.reachable) continue;
          if (!federation.sendToCluster(c.cluster, relayName(name), carried))
            log('warn', `pubsub '${name}': cluster '${c.cluster}' missed a broadcast to '${frame.topic}' (unreachable)`);
        }
      };
      return {
        async start() {
          relay = await host.ctx.spawnAndWait(Relay, { pubsub: name, log }, { name: relayName(name) });
          await a.start();
        },
        subscribed: (p) => a.subscribed(p),
        unsubscribed: (p) => a.unsubscribed(p),
        broadcast(frame, segments, send) {
          const sent = a.broadcast(frame, segments, send);
          if (sent === undefined) return carry(frame, segments);
          // An inner adapter that must wait (Redis): a refused broadcast reaches no cluster either.
          return sent.then(() => carry(frame, segments));
        },
        direct: (n, f, send) => a.direct(n, f, send),
        onInfo: (m) => a.onInfo(m),
        nodesFor: (s) => a.nodesFor(s),
        async stop() {
          try {
            await a.stop();
          } finally {
            if (relay !== null) await stopProcess(host.ctx, relay).catch(() => undefined);
          }
        },
      };
    },
  };
}
