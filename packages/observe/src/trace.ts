import { randomUUID } from 'node:crypto';
import { Actor, InvalidArgumentError, checkKnownOptions, isPid, type Node, type Pid } from '@foundation/runtime';
import type { TraceBatch } from './agent.js';
import { parseBatch, type TraceFlags, type TraceRecord } from './records.js';
import { askAgent } from './ask.js';

/** Options of `trace`. */
export interface TraceOptions {
  /** Report the traced process's sends and casts (default true). */
  send?: boolean;
  /** Report the messages it takes from its mailbox (default true). */
  receive?: boolean;
  /** Report its calls, made and handled (default true). */
  calls?: boolean;
  /**
   * Where to trace: a name is traced on every one of these nodes (default: this node and every
   * node it is connected to); a pid only on its own node.
   */
  nodes?: string[];
}

const OPTIONS = ['send', 'receive', 'calls', 'nodes'];

class TraceCollector extends Actor<never, never, (b: TraceBatch) => void> {
  private sink!: (b: TraceBatch) => void;

  override init(sink: (b: TraceBatch) => void): void {
    this.sink = sink;
  }

  override handleInfo(msg: unknown): void {
    // From the traced nodes: parsed here, at the boundary.
    const b = parseBatch(msg);
    if (b !== null) this.sink(b);
  }
}

let traceSeq = 0;

/**
 * A running trace: what the traced process (a pid, or whoever holds a name on each traced
 * node) sends, receives and calls, collected on the node that started it from every node it
 * traces. Start it with `trace(node, target, opts)`; `stop()` ends it everywhere.
 */
export class Trace {
  private readonly got: TraceRecord[] = [];
  private readonly listeners = new Set<(r: TraceRecord) => void>();
  private stopped = false;

  private constructor(
    private readonly node: Node,
    /** The collector process on the starting node: where every traced node sends its records. */
    readonly pid: Pid,
    readonly id: string,
    /** The nodes the trace runs on. */
    readonly nodes: readonly string[],
  ) {}

  /** Starts tracing `target` on the nodes `opts.nodes` names; resolves once every one of them traces it. */
  static async start(node: Node, target: string | Pid, opts: TraceOptions = {}): Promise<Trace> {
    checkKnownOptions('trace', opts, OPTIONS);
    if (!(typeof target === 'string' && target.length > 0) && !isPid(target)) {
      throw new InvalidArgumentError('trace target', 'a registered name or a pid', target);
    }
    const flags: TraceFlags = { send: flag(opts.send, 'send'), receive: flag(opts.receive, 'receive'), calls: flag(opts.calls, 'calls') };
    if (opts.nodes !== undefined && (!Array.isArray(opts.nodes) || opts.nodes.some((n) => typeof n !== 'string'))) {
      throw new InvalidArgumentError('nodes', 'an array of node names', opts.nodes);
    }
    const nodes = isPid(target) ? [target.node] : (opts.nodes ?? [node.name, ...node.nodes()]);
    const id = `${node.name}-${++traceSeq}-${randomUUID()}`;
    let t: Trace | null = null;
    const pid = node.spawn(TraceCollector, (b: TraceBatch) => t?.take(b));
    t = new Trace(node, pid, id, nodes);
    try {
      await Promise.all(nodes.map((n) => askAgent(node, n, { op: 'trace', id, target, flags, collector: pid })));
    } catch (e) {
      await t.stop();
      throw e;
    }
    return t;
  }

  /** The records collected so far, in time order. */
  records(): TraceRecord[] {
    return [...this.got].sort((a, b) => a.at - b.at);
  }

  /** Calls `fn` with each record as it arrives; returns the function that stops that. */
  onRecord(fn: (r: TraceRecord) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Ends the trace on every node (what is on its way may still arrive) and stops the collector. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.allSettled(this.nodes.map((n) => askAgent(this.node, n, { op: 'untrace', id: this.id })));
    this.node.exit(this.pid, 'shutdown');
  }

  private take(b: TraceBatch): void {
    if (b.trace !== this.id) return;
    for (const r of b.records) {
      this.got.push(r);
      for (const fn of this.listeners) fn(r);
    }
  }
}

function flag(v: unknown, name: string): boolean {
  if (v === undefined) return true;
  if (typeof v !== 'boolean') throw new InvalidArgumentError(name, 'a boolean', v);
  return v;
}

/** Starts a trace of `target` (a pid or a registered name) from `node`: see Trace. */
export function trace(node: Node, target: string | Pid, opts?: TraceOptions): Promise<Trace> {
  return Trace.start(node, target, opts);
}
