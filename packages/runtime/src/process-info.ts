import type { Pid, Ref } from './pid.js';
import { Flag, type ProcessCore } from './internal/process.js';

/** What a process is doing now. */
export type ProcessStatus = 'initializing' | 'running' | 'runnable' | 'waiting' | 'suspended' | 'terminating';

/** A snapshot of one live process, as `node.processInfo(pid)` gives it. */
export interface ProcessInfo {
  readonly pid: Pid;
  readonly status: ProcessStatus;
  /** The actor class's name (`'Inbox'` for inboxes, `'Root'` for the node's own process). */
  readonly className: string;
  readonly registeredName: string | null;
  readonly parent: Pid | null;
  readonly trapExit: boolean;
  /** Messages queued and not yet handled. */
  readonly mailboxLength: number;
  /** Messages handled so far. */
  readonly messagesHandled: number;
  /** Messages a bounded mailbox dropped. */
  readonly messagesDropped: number;
  readonly links: Pid[];
  /** Monitors this process holds. */
  readonly monitors: { ref: Ref; pid: Pid }[];
  /** Processes that monitor this one. */
  readonly monitoredBy: Pid[];
}

function status(p: ProcessCore): ProcessStatus {
  const f = p.$flags;
  if (f & Flag.Terminating) return 'terminating';
  if (f & (Flag.InitPending | Flag.InitAsync)) return 'initializing';
  if (f & Flag.Running) return 'running';
  if (f & Flag.Suspended) return 'suspended';
  if (p.$queued) return 'runnable';
  return 'waiting';
}

/** Builds the snapshot of a live process. */
export function processInfoOf(p: ProcessCore, className: string): ProcessInfo {
  const ext = p.$ext;
  return {
    pid: p.$pid,
    status: status(p),
    className,
    registeredName: ext?.name ?? null,
    parent: p.$parent,
    trapExit: (p.$flags & Flag.Trap) !== 0,
    mailboxLength: p.$mbox?.length ?? (p.$object() as { pending?: number }).pending ?? 0,
    messagesHandled: p.$mbox?.handled ?? 0,
    messagesDropped: ext?.dropped ?? 0,
    links: ext?.links ? [...ext.links.values()] : [],
    monitors: ext?.watching ? [...ext.watching.values()].map((w) => ({ ref: w.ref, pid: w.target })) : [],
    monitoredBy: ext?.monitoredBy ? [...ext.monitoredBy.values()].map((m) => m.watcher) : [],
  };
}
