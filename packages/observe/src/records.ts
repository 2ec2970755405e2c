import { Pid, isPid, type InspectEvent, type ProcessInfo } from '@foundation/runtime';
import { describeValue } from '@foundation/runtime';
import { BadObserveRequestError, BadPidError } from './errors.js';

/** The name every node's observe agent is registered under. */
export const AGENT_NAME = '$observe';

/** One traced event, as the collecting node receives it: plain data (pids as text, messages described). */
export interface TraceRecord {
  /** The node where it happened. */
  readonly node: string;
  readonly type: 'send' | 'receive';
  /** The traced process. */
  readonly pid: string;
  readonly kind: string;
  /** The other side: the receiver of a send, the caller of a received call. */
  readonly peer: string | null;
  /** The message, described (it may not be encodable, nor small). */
  readonly msg: string;
  /** `Date.now()` on that node when it happened. */
  readonly at: number;
}

/** One process in a node's snapshot. */
export interface ProcessRow {
  readonly pid: string;
  readonly className: string;
  readonly name: string | null;
  readonly parent: string | null;
  readonly status: string;
  readonly mailbox: number;
  readonly handled: number;
  readonly links: string[];
  readonly trapExit: boolean;
}

/** What a node's agent tells about its node. */
export interface NodeSnapshot {
  readonly node: string;
  readonly at: number;
  /** The nodes it is connected to. */
  readonly peers: string[];
  readonly stats: { processes: number; deadLetters: number; runQueue: number };
  readonly processes: ProcessRow[];
  /** The node's latest abnormal exits and supervisor restarts, oldest first. */
  readonly events: NodeEventRow[];
}

/** A crash or a restart, as a snapshot lists it. */
export interface NodeEventRow {
  readonly type: 'crash' | 'restart';
  readonly pid: string;
  /** The reason of a crash; `child <id> of <supervisor>` for a restart. */
  readonly detail: string;
  readonly at: number;
}

/** Trace flags: what of the traced process to report. */
export interface TraceFlags {
  /** Its sends and casts. */
  send: boolean;
  /** The messages it takes out of its mailbox (sends, casts, DOWN and EXIT messages). */
  receive: boolean;
  /** Its calls, made and answered (the request side). */
  calls: boolean;
}

/** A request to an agent, after parsing. */
export type AgentRequest =
  | { op: 'trace'; id: string; target: string | Pid; flags: TraceFlags; collector: Pid }
  | { op: 'untrace'; id: string }
  | { op: 'snapshot' }
  | { op: 'info'; pid: Pid }
  | { op: 'kill'; pid: Pid };

const PID_RE = /^<([A-Za-z0-9_@-]+)\.(\d+)\.(\d+)>$/;

/** Reads a pid written as `<node.id.incarnation>` (as `pid.toString()` writes it). */
export function parsePid(text: unknown): Pid {
  if (isPid(text)) return text;
  const m = typeof text === 'string' ? PID_RE.exec(text) : null;
  if (m === null) throw new BadPidError(text);
  return new Pid(m[1]!, Number(m[2]), Number(m[3]));
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Parses what arrived at an agent into a typed request, or throws BadObserveRequestError: the one boundary for peers' requests. */
export function parseRequest(m: unknown): AgentRequest {
  if (!isObj(m) || typeof m.op !== 'string') throw new BadObserveRequestError('an object with an op', m);
  switch (m.op) {
    case 'trace': {
      if (typeof m.id !== 'string') throw new BadObserveRequestError('trace needs an id', m);
      if (!isPid(m.collector)) throw new BadObserveRequestError('trace needs a collector pid', m);
      const target = typeof m.target === 'string' ? m.target : isPid(m.target) ? m.target : null;
      if (target === null) throw new BadObserveRequestError('trace needs a target (a name or a pid)', m);
      const f = m.flags;
      if (!isObj(f) || typeof f.send !== 'boolean' || typeof f.receive !== 'boolean' || typeof f.calls !== 'boolean') {
        throw new BadObserveRequestError('trace needs flags { send, receive, calls }', m);
      }
      return { op: 'trace', id: m.id, target, flags: { send: f.send, receive: f.receive, calls: f.calls }, collector: m.collector };
    }
    case 'untrace':
      if (typeof m.id !== 'string') throw new BadObserveRequestError('untrace needs an id', m);
      return { op: 'untrace', id: m.id };
    case 'snapshot':
      return { op: 'snapshot' };
    case 'info':
    case 'kill':
      return { op: m.op, pid: parsePid(m.pid) };
    default:
      throw new BadObserveRequestError(`unknown op`, m.op);
  }
}

/** A process info as a snapshot row. */
export function rowOf(i: ProcessInfo): ProcessRow {
  return {
    pid: i.pid.toString(),
    className: i.className,
    name: i.registeredName,
    parent: i.parent?.toString() ?? null,
    status: i.status,
    mailbox: i.mailboxLength,
    handled: i.messagesHandled,
    links: i.links.map(String),
    trapExit: i.trapExit,
  };
}

/** A send or receive event as a trace record, or null for any other event. */
export function recordOf(e: InspectEvent): TraceRecord | null {
  if (e.type === 'send') {
    const to = isPid(e.to) ? e.to.toString() : describeValue(e.to);
    return { node: e.node, type: 'send', pid: e.from.toString(), kind: e.kind, peer: to, msg: describeValue(e.msg), at: e.at };
  }
  if (e.type === 'receive') {
    return {
      node: e.node,
      type: 'receive',
      pid: e.pid.toString(),
      kind: e.kind,
      peer: e.from?.toString() ?? null,
      msg: describeValue(e.msg),
      at: e.at,
    };
  }
  return null;
}

const TRACE_TYPES = new Set(['send', 'receive']);

/** A trace batch from a traced node's agent, parsed: records that are not well formed are dropped, a batch that is not one is null. */
export function parseBatch(m: unknown): { trace: string; records: TraceRecord[] } | null {
  if (!isObj(m) || typeof m.trace !== 'string' || !Array.isArray(m.records)) return null;
  const records: TraceRecord[] = [];
  for (const r of m.records as unknown[]) {
    if (
      isObj(r) &&
      typeof r.node === 'string' &&
      typeof r.type === 'string' &&
      TRACE_TYPES.has(r.type) &&
      typeof r.pid === 'string' &&
      typeof r.kind === 'string' &&
      (r.peer === null || typeof r.peer === 'string') &&
      typeof r.msg === 'string' &&
      typeof r.at === 'number'
    ) {
      records.push({ node: r.node, type: r.type as TraceRecord['type'], pid: r.pid, kind: r.kind, peer: r.peer, msg: r.msg, at: r.at });
    }
  }
  return { trace: m.trace, records };
}
