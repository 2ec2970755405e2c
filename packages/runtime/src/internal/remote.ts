import { Pid, type Ref } from '../pid.js';
import { SlotMap } from './slot-map.js';
import { MailboxFullError } from '../errors.js';
import type { Frame } from '../transport.js';
import type { Kernel } from './kernel.js';
import type { ProcessCore } from './process.js';
import { deliverDown, monitorKey, namePid, sendExitSignal } from './signals.js';
import { settleReply, type CallEnvelope } from './calls.js';
import { Kind } from './mailbox.js';
import { NODE_SERVICE } from './remote-spawn.js';
import { REJECTED, checkIncoming } from './message-schema.js';

/** The pid a name stands for on this node: the node's own process for NODE_SERVICE. */
function byName(k: Kernel, name: string): Pid | undefined {
  return name === NODE_SERVICE ? k.root.$pid : k.whereis(name);
}

/**
 * A monitor from another node or scheduler: `watcher` watches `q` (the process `pid` names) under
 * `ref`, or gets DOWN 'noproc' at once when there is no such process. False in that case.
 */
function addMonitor(k: Kernel, q: ProcessCore | null, pid: Pid, ref: Ref, watcher: Pid): q is ProcessCore {
  if (q === null) {
    deliverDown(k, watcher, ref, pid, 'noproc');
    return false;
  }
  (q.$x().monitoredBy ??= new SlotMap()).set(monitorKey(k, ref), { ref, watcher });
  return true;
}

function accept(k: Kernel, to: Pid, kind: number, msg: unknown): void {
  const q = k.local(to);
  if (kind === Kind.Call) {
    // A call carries its caller's monitor of the callee (calls.ts sends no monitor frame for it).
    const { pid, ref } = (msg as CallEnvelope).from;
    if (!addMonitor(k, q, to, ref, pid)) return;
  } else if (q === null) {
    k.deadLetters++;
    return;
  }
  const checked = checkIncoming(k, q, kind, msg);
  if (checked === REJECTED) return;
  try {
    q.$accept(kind, checked);
  } catch (e) {
    // A full mailbox with overflow 'reject' cannot tell a remote sender: the message is dropped and counted.
    if (!MailboxFullError.is(e)) throw e;
    k.deadLetters++;
  }
}

/** The process a frame is for, when it names one by pid. */
function addressee(f: Frame): Pid | null {
  if (f.t === 'named') return null;
  if ((f.t === 'monitor' || f.t === 'demonitor') && typeof f.to === 'string') return null;
  return f.to as Pid;
}

/**
 * Applies a frame that arrived from another node or another scheduler of this node: the
 * receiving half of everything signals.ts and calls.ts send. A frame for a process of another
 * scheduler of this node is passed on to it; names are resolved here, frames for other nodes
 * are dropped.
 */
export function receiveFrame(k: Kernel, f: Frame): void {
  const to = addressee(f);
  if (to !== null) {
    if (to.node !== k.name) {
      k.deadLetters++;
      return;
    }
    if (!k.isLocal(to)) {
      k.route(to, f);
      return;
    }
  }
  switch (f.t) {
    case 'msg':
      accept(k, f.to, f.kind, f.msg);
      return;
    case 'named': {
      const pid = byName(k, f.name);
      if (pid === undefined) {
        if (f.kind !== Kind.Call) k.deadLetters++;
        else addMonitor(k, null, namePid(k.name), (f.msg as CallEnvelope).from.ref, (f.msg as CallEnvelope).from.pid);
      } else if (k.isLocal(pid)) accept(k, pid, f.kind, f.msg);
      else k.route(pid, { t: 'msg', to: pid, kind: f.kind, msg: f.msg });
      return;
    }
    case 'reply': {
      const w = k.local(f.to);
      if (w !== null) settleReply(w, f.ref, f.value, f.released);
      return;
    }
    case 'link': {
      const q = k.local(f.to);
      if (q !== null) (q.$x().links ??= new Map()).set(f.from.key, f.from);
      else k.route(f.from, { t: 'exit', from: f.to, to: f.from, reason: 'noproc', link: true });
      return;
    }
    case 'unlink':
      k.local(f.to)?.$ext?.links?.delete(f.from.key);
      return;
    case 'exit':
      sendExitSignal(k, f.from, f.to, f.reason, f.link);
      return;
    case 'monitor': {
      const pid = typeof f.to === 'string' ? byName(k, f.to) : f.to;
      if (pid !== undefined && !k.isLocal(pid)) {
        k.route(pid, { ...f, to: pid });
        return;
      }
      addMonitor(k, pid === undefined ? null : k.local(pid), pid ?? namePid(k.name), f.ref, f.from);
      return;
    }
    case 'demonitor': {
      const pid = typeof f.to === 'string' ? byName(k, f.to) : f.to;
      if (pid === undefined) return;
      if (!k.isLocal(pid)) k.route(pid, { ...f, to: pid });
      else k.local(pid)?.$ext?.monitoredBy?.delete(monitorKey(k, f.ref));
      return;
    }
    case 'down':
      deliverDown(k, f.to, f.ref, f.pid, f.reason);
      return;
  }
}
