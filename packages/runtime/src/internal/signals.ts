import { Pid, Ref } from '../pid.js';
import { SlotMap } from './slot-map.js';
import type { DownMessage, ExitMessage } from '../reasons.js';
import type { RemoteName } from '../target.js';
import { Kind } from './mailbox.js';
import { Flag, type MonitorEntry, type ProcessCore, type WatchEntry } from './process.js';
import type { Kernel } from './kernel.js';
import { PendingCall, abandonCall, failCall } from './calls.js';

/*
 * Links, monitors and exit signals, with OTP's rules. Local effects are applied to both
 * processes at once; effects on another node travel as frames (see remote.ts for the
 * receiving side). Exit signals are queued on their target and handled at the start of its
 * next turn, before its user messages, so a cascade of deaths never recurses.
 */

/** Key of a monitor in the watched process's table: the number for this node's refs. */
export function monitorKey(k: Kernel, ref: Ref): number | string {
  return ref.node === k.name && ref.incarnation === k.incarnation ? ref.id : ref.key;
}

/**
 * Delivers an exit signal to a local process, or sends it to another node. A trapping target
 * gets it as a message at once, in arrival order with its other messages (as in OTP); for any
 * other target it is queued and handled at the start of the next turn, before user messages.
 */
export function sendExitSignal(k: Kernel, from: Pid, to: Pid, reason: unknown, link: boolean): void {
  const q = k.local(to);
  if (q !== null) {
    if (q.$flags & Flag.Trap && (link || reason !== 'kill')) {
      trapped(q, from, reason, link);
      return;
    }
    (q.$x().signals ??= []).push({ from, reason, link });
    q.$wake();
  } else if (!k.isLocal(to)) {
    k.route(to, { t: 'exit', from, to, reason, link });
  }
}

/** Links `p` with `target` (both ways). A dead target sends `p` the exit signal `'noproc'`. */
export function link(p: ProcessCore, target: Pid): void {
  const k = p.$k;
  if (target.equals(p.$pid)) return;
  const key = target.key;
  const ext = p.$x();
  const links = (ext.links ??= new Map());
  if (links.has(key)) return;
  links.set(key, target);
  const q = k.local(target);
  if (q !== null) {
    (q.$x().links ??= new Map()).set(p.$pid.key, p.$pid);
  } else if (k.isLocal(target)) {
    sendExitSignal(k, target, p.$pid, 'noproc', true);
  } else if (!k.route(target, { t: 'link', from: p.$pid, to: target })) {
    sendExitSignal(k, target, p.$pid, 'noconnection', true);
  }
}

/** Removes the link between `p` and `target`; no exit signal from it is acted on afterwards. */
export function unlink(p: ProcessCore, target: Pid): void {
  const k = p.$k;
  if (!p.$ext?.links?.delete(target.key)) return;
  const q = k.local(target);
  if (q !== null) q.$ext?.links?.delete(p.$pid.key);
  else if (!k.isLocal(target)) k.route(target, { t: 'unlink', from: p.$pid, to: target });
}

/** The pid a DOWN names for a monitor by name on `node` (no process of that node has id -1). */
export function namePid(node: string): Pid {
  return new Pid(node, -1, 0);
}

/** The pid a monitor entry watches: the pid, or the placeholder for a name on another node. */
export function watchTarget(target: Pid | RemoteName): Pid {
  return target instanceof Pid ? target : namePid(target.node);
}

/**
 * Makes `p` monitor `target` under `ref` (a fresh one unless given). A dead or unknown target
 * gives DOWN `'noproc'`; an unreachable node DOWN `'noconnection'`. `entry` (a pending call)
 * is stored on both sides instead of fresh records. `carried`: the monitor of a call, whose
 * message carries it to a process elsewhere (the receiving side records it, see remote.ts):
 * only this side's record is made for such a target, no monitor frame is sent.
 */
export function monitor(
  p: ProcessCore,
  target: Pid | RemoteName,
  ref: Ref = p.$k.makeRef(),
  entry?: WatchEntry & MonitorEntry,
  carried = false,
): Ref {
  const k = p.$k;
  const isPid = target instanceof Pid;
  const pid = entry ? entry.target : watchTarget(target);
  (p.$x().watching ??= new SlotMap()).set(ref.id, entry ?? (isPid ? { ref, target: pid } : { ref, target: pid, name: target.name }));
  if (!isPid) {
    if (carried) return ref;
    if (!k.sendFrame(target.node, { t: 'monitor', from: p.$pid, to: target.name, ref })) {
      deliverDown(k, p.$pid, ref, pid, 'noconnection');
    }
    return ref;
  }
  const q = k.local(pid);
  if (q !== null) {
    (q.$x().monitoredBy ??= new SlotMap()).set(ref.id, entry ?? { ref, watcher: p.$pid });
  } else if (k.isLocal(pid)) {
    deliverDown(k, p.$pid, ref, pid, 'noproc');
  } else if (carried) {
    return ref;
  } else if (!k.route(pid, { t: 'monitor', from: p.$pid, to: pid, ref })) {
    deliverDown(k, p.$pid, ref, pid, 'noconnection');
  }
  return ref;
}

/** Stops a monitor; no DOWN for it arrives afterwards. False when it was not active. */
export function demonitor(p: ProcessCore, ref: Ref): boolean {
  const k = p.$k;
  const watching = p.$ext?.watching;
  if (!watching || ref.node !== k.name) return false;
  const entry = watching.get(ref.id);
  if (!entry || !entry.ref.equals(ref)) return false;
  watching.delete(ref.id);
  unwatch(k, entry);
  return true;
}

/** Removes a monitor's record on the watched side (here, or by a frame to its node). */
export function unwatch(k: Kernel, entry: WatchEntry): void {
  const q = k.local(entry.target);
  if (q !== null) q.$ext?.monitoredBy?.delete(entry.ref.id);
  else if (entry.name !== undefined) k.sendFrame(entry.target.node, { t: 'demonitor', to: entry.name, ref: entry.ref });
  else if (!k.isLocal(entry.target)) k.route(entry.target, { t: 'demonitor', to: entry.target, ref: entry.ref });
}

/** Delivers a DOWN to its watcher: settles a call waiting on that ref, or queues the message. */
export function deliverDown(k: Kernel, watcher: Pid, ref: Ref, pid: Pid, reason: unknown): void {
  const w = k.local(watcher);
  if (w === null) {
    if (!k.isLocal(watcher)) k.route(watcher, { t: 'down', to: watcher, ref, pid, reason });
    return;
  }
  const watching = w.$ext?.watching;
  const entry = watching?.get(ref.id);
  if (entry === undefined) return; // demonitored: no DOWN
  watching!.delete(ref.id);
  if (entry instanceof PendingCall) {
    failCall(entry, reason);
    return;
  }
  const down: DownMessage = { ref, pid, reason };
  w.$accept(Kind.Down, down);
}

/** A trapping process turns an exit signal into the message `{ from, reason }`. */
function trapped(p: ProcessCore, from: Pid, reason: unknown, link: boolean): void {
  if (link && !p.$ext?.links?.delete(from.key)) return; // unlinked meanwhile
  const msg: ExitMessage = { from, reason };
  p.$accept(Kind.Exit, msg);
}

/** Applies the exit signals queued on `p`, oldest first. */
export function handleSignals(p: ProcessCore): void {
  const ext = p.$ext!;
  const signals = ext.signals!;
  ext.signals = null;
  for (const s of signals) {
    if (p.$flags & Flag.Dead) return;
    if (s.link && !ext.links?.delete(s.from.key)) continue; // unlinked meanwhile
    const reason = s.reason;
    if (!s.link && reason === 'kill') {
      die(p, 'killed');
    } else if (p.$flags & Flag.Trap) {
      trapped(p, s.from, reason, false);
    } else if (reason !== 'normal') {
      die(p, reason);
    }
  }
}

/**
 * The end of a process: it leaves the node, its links get exit signals, its monitors fire
 * DOWN, the monitors it held are removed, its timers and pending calls are dropped (an
 * inbox's and the node's pending calls reject, see abandonCall).
 */
export function die(p: ProcessCore, reason: unknown): void {
  if (p.$flags & Flag.Dead) return;
  const k = p.$k;
  const handled = k.inspect !== null ? (p.$mbox?.handled ?? 0) : 0;
  p.$flags = (p.$flags | Flag.Dead) & ~(Flag.Suspended | Flag.Stopping);
  k.remove(p);
  p.$pid.proc = null;
  p.$mbox = null;
  const ext = p.$ext;
  if (ext !== null) {
    ext.signals = null;
    if (ext.initWaiter) {
      ext.initWaiter.reject(reason);
      ext.initWaiter = null;
    }
    if (ext.timers) for (const t of ext.timers.values()) k.clock.clearTimeout(t);
    ext.timers = null;
    if (ext.watching) {
      const watching = ext.watching;
      ext.watching = null;
      // An inbox's or the node's pending calls are awaited by code outside actors: they reject.
      const caller = p.$flags & Flag.Inbox ? `inbox ${p.$pid}` : p === k.root ? `node ${k.name}` : null;
      for (const w of watching.values()) {
        if (w instanceof PendingCall) {
          k.timeouts.remove(w);
          w.release();
          if (caller !== null) abandonCall(w, caller);
        }
        unwatch(k, w);
      }
    }
    if (ext.links) {
      const links = ext.links;
      ext.links = null;
      for (const other of links.values()) sendExitSignal(k, p.$pid, other, reason, true);
    }
    if (ext.monitoredBy) {
      const mons = ext.monitoredBy;
      ext.monitoredBy = null;
      for (const m of mons.values()) deliverDown(k, m.watcher, m.ref, p.$pid, reason);
    }
  }
  k.nodeWatchers.delete(p);
  p.$onDead(reason);
  if (k.inspect !== null) k.inspect.exited(p, reason, handled);
}

/**
 * A connection to `node` is gone: local processes linked to its processes get the exit
 * signal `'noconnection'`, monitors on them fire DOWN `'noconnection'` (pending calls reject),
 * and monitors that its processes held here are dropped.
 */
export function nodeDown(k: Kernel, node: string): void {
  processesLost(k, (pid) => pid.node === node, 'noconnection');
}

/**
 * Processes elsewhere are gone without a word (a lost node, a crashed scheduler thread):
 * local links to them carry `reason`, monitors on them fire DOWN `reason`, and monitors they
 * held here are dropped.
 */
export function processesLost(k: Kernel, lost: (pid: Pid) => boolean, reason: unknown): void {
  const downs: [ProcessCore, Ref, Pid][] = [];
  for (const p of k.all()) {
    const ext = p.$ext;
    if (ext === null) continue;
    if (ext.links) {
      for (const other of ext.links.values()) {
        if (lost(other)) (ext.signals ??= []).push({ from: other, reason, link: true });
      }
      if (ext.signals) p.$wake();
    }
    if (ext.watching) for (const w of ext.watching.values()) if (lost(w.target)) downs.push([p, w.ref, w.target]);
    if (ext.monitoredBy) {
      for (const [key, m] of ext.monitoredBy) if (lost(m.watcher)) ext.monitoredBy.delete(key);
    }
  }
  for (const [p, ref, target] of downs) deliverDown(k, p.$pid, ref, target, reason);
}
