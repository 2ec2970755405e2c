import { Pid } from '../pid.js';
import { MailboxFullError } from '../errors.js';
import type { Frame } from '../transport.js';
import type { Kernel } from './kernel.js';
import type { ProcessCore } from './process.js';
import { deliverDown, monitorKey, sendExitSignal } from './signals.js';
import { settleReply } from './calls.js';
import { NODE_SERVICE } from './remote-spawn.js';

function byName(k: Kernel, name: string): ProcessCore | null {
  return name === NODE_SERVICE ? k.root : (k.names.get(name) ?? null);
}

function target(k: Kernel, to: Pid | string): ProcessCore | null {
  return typeof to === 'string' ? byName(k, to) : k.local(to);
}

function accept(k: Kernel, q: ProcessCore | null, kind: number, msg: unknown): void {
  if (q === null) {
    k.deadLetters++;
    return;
  }
  try {
    q.$accept(kind, msg);
  } catch (e) {
    // A full mailbox with overflow 'reject' cannot tell a remote sender: the message is dropped and counted.
    if (!MailboxFullError.is(e)) throw e;
    k.deadLetters++;
  }
}

/**
 * Applies a frame that arrived from node `from` to this node's processes: the receiving half
 * of everything signals.ts and calls.ts send to another node.
 */
export function receiveFrame(k: Kernel, from: string, f: Frame): void {
  switch (f.t) {
    case 'msg':
      accept(k, k.local(f.to), f.kind, f.msg);
      return;
    case 'named':
      accept(k, byName(k, f.name), f.kind, f.msg);
      return;
    case 'reply': {
      const w = k.local(f.to);
      if (w !== null) settleReply(w, f.ref, f.value);
      return;
    }
    case 'link': {
      const q = k.local(f.to);
      if (q !== null) (q.$x().links ??= new Map()).set(f.from.key, f.from);
      else k.sendFrame(from, { t: 'exit', from: f.to, to: f.from, reason: 'noproc', link: true });
      return;
    }
    case 'unlink':
      k.local(f.to)?.$ext?.links?.delete(f.from.key);
      return;
    case 'exit':
      if (k.isLocal(f.to)) sendExitSignal(k, f.from, f.to, f.reason, f.link);
      return;
    case 'monitor': {
      const q = target(k, f.to);
      if (q !== null) (q.$x().monitoredBy ??= new Map()).set(monitorKey(k, f.ref), { ref: f.ref, watcher: f.from });
      else {
        const pid = typeof f.to === 'string' ? new Pid(k.name, -1, 0) : f.to;
        k.sendFrame(from, { t: 'down', to: f.from, ref: f.ref, pid, reason: 'noproc' });
      }
      return;
    }
    case 'demonitor':
      target(k, f.to)?.$ext?.monitoredBy?.delete(monitorKey(k, f.ref));
      return;
    case 'down':
      if (k.isLocal(f.to)) deliverDown(k, f.to, f.ref, f.pid, f.reason);
      return;
  }
}
