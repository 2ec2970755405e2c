import { Actor, defineActor, inspect, isCleanExit, isDown, isPid, type InspectEvent, type Pid, type Ref } from '@foundation/runtime';
import { describeValue } from '@foundation/runtime';
import {
  parseRequest,
  recordOf,
  rowOf,
  type NodeEventRow,
  type NodeSnapshot,
  type ProcessRow,
  type TraceFlags,
  type TraceRecord,
} from './records.js';

/** What an agent answers: its value, or why it could not. */
export type AgentReply = { ok: true; value: unknown } | { ok: false; error: string };

/** What an agent sends a collector: records of one trace. */
export interface TraceBatch {
  readonly trace: string;
  readonly records: TraceRecord[];
}

/** Crashes and restarts a snapshot lists. */
const RECENT = 50;

function short(reason: unknown): string {
  const s = reason instanceof Error ? `${reason.name}: ${reason.message}` : typeof reason === 'string' ? reason : describeValue(reason);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

interface ActiveTrace {
  readonly target: string | Pid;
  readonly flags: TraceFlags;
  readonly collector: Pid;
  readonly monitor: Ref;
  pending: TraceRecord[];
}

/**
 * A node's observe agent (registered as `$observe` by Observer.start): answers snapshots,
 * process info and kills, and runs traces for collectors on any node — it subscribes to its
 * node's send and receive events only while a trace is active, and sends the matching ones to
 * the collector in batches (one per event-loop turn), so tracing costs one message per turn.
 */
export class ObserveAgent extends Actor<unknown, AgentReply, void> {
  private readonly traces = new Map<string, ActiveTrace>();
  private unsubscribe: (() => void) | null = null;
  private flushing = false;
  private readonly recent: NodeEventRow[] = [];
  private offEvents: (() => void) | null = null;

  override init(): void {
    this.offEvents = inspect(this.node, (e) => this.onLifeEvent(e), { types: ['exit', 'restart'] });
  }

  private onLifeEvent(e: InspectEvent): void {
    if (e.type === 'exit' && !isCleanExit(e.reason) && !e.pid.equals(this.self)) {
      this.remember({ type: 'crash', pid: e.pid.toString(), detail: short(e.reason), at: e.at });
    } else if (e.type === 'restart') {
      this.remember({ type: 'restart', pid: e.pid?.toString() ?? '', detail: `child ${e.childId} of ${e.supervisor}`, at: e.at });
    }
  }

  private remember(r: NodeEventRow): void {
    this.recent.push(r);
    if (this.recent.length > RECENT) this.recent.shift();
  }

  override async handleCall(msg: unknown): Promise<AgentReply> {
    let req;
    try {
      req = parseRequest(msg);
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : describeValue(e) };
    }
    switch (req.op) {
      case 'snapshot':
        return { ok: true, value: await this.snapshot() };
      case 'info': {
        const pid = await this.live(req.pid);
        const i = pid === undefined ? undefined : await this.node.processInfo(pid);
        return { ok: true, value: i === undefined ? null : rowOf(i) };
      }
      case 'kill': {
        if (req.pid.equals(this.self) || req.pid.equals(this.node.self)) {
          return { ok: false, error: `${req.pid} is the observer or the node itself` };
        }
        const pid = await this.live(req.pid);
        if (pid === undefined) return { ok: false, error: `${req.pid} is not a live process of ${this.node.name}` };
        this.node.exit(pid, 'kill');
        return { ok: true, value: true };
      }
      case 'trace': {
        this.untrace(req.id);
        this.traces.set(req.id, {
          target: req.target,
          flags: req.flags,
          collector: req.collector,
          monitor: this.monitor(req.collector),
          pending: [],
        });
        this.resubscribe();
        return { ok: true, value: true };
      }
      case 'untrace':
        this.untrace(req.id);
        return { ok: true, value: true };
    }
  }

  override handleInfo(msg: unknown): void {
    // A collector that went away (its node too) ends its traces.
    if (!isDown(msg)) return;
    for (const [id, t] of this.traces) if (t.monitor.equals(msg.ref)) this.untrace(id);
  }

  override terminate(): void {
    this.offEvents?.();
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private untrace(id: string): void {
    const t = this.traces.get(id);
    if (t === undefined) return;
    this.flush();
    this.demonitor(t.monitor);
    this.traces.delete(id);
    this.resubscribe();
  }

  private resubscribe(): void {
    const want = this.traces.size > 0;
    if (want && this.unsubscribe === null) this.unsubscribe = inspect(this.node, (e) => this.onEvent(e), { types: ['send', 'receive'] });
    if (!want && this.unsubscribe !== null) {
      this.unsubscribe();
      this.unsubscribe = null;
    }
  }

  /** Runs inside the runtime (another process's turn): only matches and queues. */
  private onEvent(e: InspectEvent): void {
    const subject = e.type === 'send' ? e.from : e.type === 'receive' ? e.pid : null;
    if (subject === null || subject.equals(this.self)) return;
    const kind = e.type === 'send' || e.type === 'receive' ? e.kind : '';
    for (const t of this.traces.values()) {
      const isCall = kind === 'call';
      const wanted = isCall ? t.flags.calls : e.type === 'send' ? t.flags.send : t.flags.receive;
      if (!wanted) continue;
      const target = isPid(t.target) ? t.target : this.node.whereis(t.target);
      if (target === undefined || !target.equals(subject)) continue;
      const r = recordOf(e);
      if (r !== null) t.pending.push(r);
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => this.flush());
      }
    }
  }

  private flush(): void {
    this.flushing = false;
    for (const [id, t] of this.traces) {
      if (t.pending.length === 0) continue;
      const batch: TraceBatch = { trace: id, records: t.pending };
      t.pending = [];
      try {
        this.send(t.collector, batch);
      } catch (e) {
        // A collector we cannot reach: its DOWN ends the trace; nothing else must stop here.
        process.emitWarning(`observe: a trace batch for ${t.collector} was dropped: ${describeValue(e)}`, { type: 'FoundationWarning' });
      }
    }
  }

  /**
   * The node's own pid of a live process equal to `pid`: a pid read from text (the dashboard,
   * the CLI) holds no reference to its process, and the runtime finds a local process by that.
   */
  private async live(pid: Pid): Promise<Pid | undefined> {
    if (pid.node !== this.node.name) return undefined;
    return (await this.node.processes()).find((p) => p.equals(pid));
  }

  private async snapshot(): Promise<NodeSnapshot> {
    const node = this.node;
    const pids = await node.processes();
    const infos = await Promise.all(pids.map((p) => node.processInfo(p)));
    const processes: ProcessRow[] = [];
    for (const i of infos) if (i !== undefined && !i.pid.equals(this.self)) processes.push(rowOf(i));
    const s = node.stats();
    return {
      node: node.name,
      at: Date.now(),
      peers: node.nodes(),
      stats: { processes: s.processes, deadLetters: s.deadLetters, runQueue: s.runQueue },
      processes,
      events: [...this.recent],
    };
  }
}

defineActor('foundation.observe.Agent', ObserveAgent);
