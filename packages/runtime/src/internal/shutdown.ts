import { isDown } from '../reasons.js';
import { createInbox, type Inbox } from '../inbox.js';
import { MAX_SCHEDULERS, type Kernel } from './kernel.js';
import type { Pid } from '../pid.js';
import { Flag, type ProcessCore } from './process.js';
import { die, monitor, sendExitSignal } from './signals.js';

/** True for the pid of a node's own process — on any of its schedulers (their parent is "the node"). */
function isRootPid(k: Kernel, pid: Pid): boolean {
  return pid.node === k.name && pid.incarnation === k.incarnation && pid.id < (k.schedulers > 1 ? MAX_SCHEDULERS : 1);
}

/** Sends `'shutdown'` to `procs` as their parent and waits for all to exit; kills the late ones. */
async function stopGroup(k: Kernel, waiter: Inbox, procs: ProcessCore[], timeoutMs: number): Promise<void> {
  const refs = new Map<number, ProcessCore>();
  for (const p of procs) {
    if (p.$flags & Flag.Dead) continue;
    refs.set(monitor(waiter.$p, p.$pid).id, p);
    sendExitSignal(k, p.$parent ?? k.root.$pid, p.$pid, 'shutdown', false);
  }
  const deadline = k.clock.now() + timeoutMs;
  while (refs.size > 0) {
    const left = deadline - k.clock.now();
    try {
      const down = await waiter.receive(isDown, Math.max(0, left));
      refs.delete(down.ref.id);
    } catch {
      for (const p of refs.values()) die(p, 'killed'); // what an untrappable kill would do, at once
      return;
    }
  }
}

/**
 * Stops every process of a node. Top-level actors (spawned by the node) go in reverse start
 * order: runs of non-trapping ones together, each trapping one (a supervisor, a gen_server
 * with cleanup) alone, waited for up to `timeoutMs` and then killed. Whatever is left
 * (orphans, inboxes) then exits with `'shutdown'`.
 */
export async function shutdownAll(k: Kernel, timeoutMs: number): Promise<void> {
  const root = k.root;
  const waiter = createInbox(k, null, true);
  const top: ProcessCore[] = [];
  for (const p of k.all()) {
    if (p !== root && p !== waiter.$p && (p.$flags & Flag.Inbox) === 0 && p.$parent !== null && isRootPid(k, p.$parent)) top.push(p);
  }
  top.sort((a, b) => b.$pid.id - a.$pid.id);
  let batch: ProcessCore[] = [];
  for (const p of top) {
    if (p.$flags & Flag.Trap) {
      await stopGroup(k, waiter, batch, timeoutMs);
      batch = [];
      await stopGroup(k, waiter, [p], timeoutMs);
    } else {
      batch.push(p);
    }
  }
  await stopGroup(k, waiter, batch, timeoutMs);
  const rest = [...k.all()].filter((p) => p !== root);
  for (const p of rest) die(p, 'shutdown');
  die(root, 'shutdown');
}
