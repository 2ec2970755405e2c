import { Registry } from 'prom-client';
import { InvalidArgumentError, checkKnownOptions, type Node, type Pid } from '@foundation/runtime';
import { ObserveAgent } from './agent.js';
import { AGENT_NAME } from './records.js';
import { nodeMetrics, type NodeMetrics } from './metrics.js';
import { ObserveServer, type HttpOptions } from './http.js';
import { callSpans } from './otel.js';

/** Options of `Observer.start`. */
export interface ObserverOptions {
  /**
   * Serve `/metrics` and the dashboard over HTTP (bound to 127.0.0.1 unless `host` says
   * otherwise); `false` (default) serves nothing.
   */
  http?: HttpOptions | false;
  /** Registry for the node's metrics (default: a fresh one). */
  registry?: Registry;
  /**
   * Make an OpenTelemetry span for each call this node's processes handle (see `callSpans`):
   * default false, as it turns every message received into an inspection event.
   */
  spans?: boolean;
}

const OPTIONS = ['http', 'registry', 'spans'];
const HTTP_OPTIONS = ['port', 'host', 'token', 'refreshMs'];

/**
 * What makes a node observable: its agent (registered as `$observe`: snapshots, info, kill
 * and traces for any node of the cluster), its Prometheus metrics and, when asked, the HTTP
 * server of `/metrics` and the dashboard. Start one on every node you want to see.
 */
export class Observer {
  private constructor(
    private readonly node: Node,
    /** The agent's pid. */
    readonly pid: Pid,
    private readonly metrics: NodeMetrics,
    private readonly server: ObserveServer | null,
    private readonly offSpans: (() => void) | null,
  ) {}

  /** Starts the observer of `node`. */
  static async start(node: Node, opts: ObserverOptions = {}): Promise<Observer> {
    checkKnownOptions('Observer.start', opts, OPTIONS);
    const http = opts.http ?? false;
    if (http !== false) {
      if (typeof http !== 'object' || http === null) throw new InvalidArgumentError('http', 'HTTP options or false', http);
      checkKnownOptions('Observer.start http', http, HTTP_OPTIONS);
      if (http.token !== undefined && (typeof http.token !== 'string' || http.token.length === 0)) {
        throw new InvalidArgumentError('http.token', 'a non-empty string', http.token);
      }
    }
    if (opts.registry !== undefined && !(opts.registry instanceof Registry))
      throw new InvalidArgumentError('registry', 'a prom-client Registry', opts.registry);
    if (opts.spans !== undefined && typeof opts.spans !== 'boolean') throw new InvalidArgumentError('spans', 'a boolean', opts.spans);
    const pid = await node.spawnAndWait(ObserveAgent, undefined, { name: AGENT_NAME });
    const metrics = nodeMetrics(node, opts.registry);
    let server: ObserveServer | null = null;
    try {
      if (http !== false) server = await ObserveServer.start(node, metrics.registry, http);
    } catch (e) {
      metrics.stop();
      node.exit(pid, 'shutdown');
      throw e;
    }
    return new Observer(node, pid, metrics, server, opts.spans === true ? callSpans(node) : null);
  }

  /** The registry holding the node's metrics. */
  get registry(): Registry {
    return this.metrics.registry;
  }

  /** `http://host:port` of the dashboard and `/metrics` (empty without `http`). */
  get url(): string {
    return this.server?.url ?? '';
  }

  /** Stops the server, the metrics and the agent. */
  async stop(): Promise<void> {
    this.offSpans?.();
    await this.server?.stop();
    this.metrics.stop();
    this.node.exit(this.pid, 'shutdown');
  }
}
