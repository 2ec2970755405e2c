import { Counter, Gauge, Registry } from 'prom-client';
import { inspect, isCleanExit, type Node } from '@foundation/runtime';

/** A node's Prometheus metrics: a registry whose gauges read the node at each scrape, and counters fed by its spawn, exit and restart events. */
export interface NodeMetrics {
  readonly registry: Registry;
  /** Stops counting (the registry keeps its last values). */
  stop(): void;
}

/**
 * Registers the metrics of `node` in `registry` (a fresh one by default), labelled with the
 * node's name: processes, mailbox depth (sum and largest), run queue, connected nodes, dead
 * letters, messages handled, spawns, exits (normal or not) and supervisor restarts. Gauges are
 * read at scrape time; the counters listen to spawn, exit and restart events only, so the
 * message path stays free of inspection.
 */
export function nodeMetrics(node: Node, registry: Registry = new Registry()): NodeMetrics {
  const labels = { node: node.name };
  const labelNames = ['node'] as const;
  let handledByDead = 0;
  /** One walk over the node's processes per scrape, shared by the gauges that need it. */
  let walk: Promise<{ sum: number; max: number; handled: number }> | null = null;
  const mailboxes = () =>
    (walk ??= (async () => {
      try {
        const infos = await Promise.all((await node.processes()).map((p) => node.processInfo(p)));
        let sum = 0;
        let max = 0;
        let handled = 0;
        for (const i of infos) {
          if (i === undefined) continue;
          sum += i.mailboxLength;
          max = Math.max(max, i.mailboxLength);
          handled += i.messagesHandled;
        }
        return { sum, max, handled };
      } finally {
        // The next scrape walks again.
        setImmediate(() => (walk = null));
      }
    })());

  new Gauge({
    name: 'foundation_processes',
    help: 'Live processes of the node (actors and inboxes)',
    labelNames,
    registers: [registry],
    collect() {
      this.set(labels, node.stats().processes);
    },
  });
  new Gauge({
    name: 'foundation_run_queue',
    help: 'Processes of the main scheduler waiting for a turn',
    labelNames,
    registers: [registry],
    collect() {
      this.set(labels, node.stats().runQueue);
    },
  });
  new Gauge({
    name: 'foundation_connected_nodes',
    help: 'Nodes this node is connected to',
    labelNames,
    registers: [registry],
    collect() {
      this.set(labels, node.nodes().length);
    },
  });
  new Gauge({
    name: 'foundation_mailbox_messages',
    help: 'Messages queued in all mailboxes of the node',
    labelNames,
    registers: [registry],
    async collect() {
      this.set(labels, (await mailboxes()).sum);
    },
  });
  new Gauge({
    name: 'foundation_mailbox_max',
    help: 'The deepest mailbox of the node',
    labelNames,
    registers: [registry],
    async collect() {
      this.set(labels, (await mailboxes()).max);
    },
  });
  new Counter({
    name: 'foundation_dead_letters_total',
    help: 'Messages dropped because their target was dead, unknown or unreachable',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(labels, node.stats().deadLetters);
    },
  });
  new Counter({
    name: 'foundation_messages_handled_total',
    help: 'Messages handled by the processes of the node (live and ended)',
    labelNames,
    registers: [registry],
    async collect() {
      const live = (await mailboxes()).handled;
      this.reset();
      this.inc(labels, live + handledByDead);
    },
  });
  const spawns = new Counter({ name: 'foundation_spawns_total', help: 'Processes started', labelNames, registers: [registry] });
  const exits = new Counter({
    name: 'foundation_exits_total',
    help: "Processes ended, by whether the reason was clean ('normal' or 'shutdown')",
    labelNames: ['node', 'clean'] as const,
    registers: [registry],
  });
  const restarts = new Counter({
    name: 'foundation_restarts_total',
    help: 'Children restarted by supervisors',
    labelNames,
    registers: [registry],
  });
  spawns.inc(labels, 0);
  exits.inc({ ...labels, clean: 'true' }, 0);
  exits.inc({ ...labels, clean: 'false' }, 0);
  restarts.inc(labels, 0);

  const off = inspect(
    node,
    (e) => {
      if (e.type === 'spawn') spawns.inc(labels);
      else if (e.type === 'exit') {
        handledByDead += e.handled;
        exits.inc({ ...labels, clean: String(isCleanExit(e.reason)) });
      } else if (e.type === 'restart') restarts.inc(labels);
    },
    { types: ['spawn', 'exit', 'restart'] },
  );
  return { registry, stop: off };
}
