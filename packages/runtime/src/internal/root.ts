import { ProcessCore } from './process.js';
import { Kind } from './mailbox.js';
import type { CallEnvelope } from './calls.js';
import { isSpawnRequest, serveSpawn } from './remote-spawn.js';
import { warn } from './warn.js';
import { describeValue } from '../errors.js';

/**
 * The node's own process (id 0): parent of what `node.spawn` starts, the sender of
 * `node.exit`, the caller behind `node.call`. It discards what it is sent.
 *
 * It ignores every exit signal, `'kill'` included, and ends only with `node.stop()`. It stands
 * for the node itself, not for a process of it: if a signal could end it, the node would live
 * on as a zombie (its calls would never settle, its spawns would have a dead parent). In OTP
 * the node is no process at all, so no exit signal can end it; it stops through `init:stop`,
 * as this one stops through `node.stop()`. (Stopping the node on such a signal was the other
 * choice: it would turn one stray `exit(parent, 'kill')` into the loss of every process here.)
 * Exits of the processes it spawned linked are expected and dropped silently; any other signal
 * that would end an ordinary process (`node.exit(node.self, 'kill')`, an actor that exits its
 * parent) is counted in `node.stats().exitSignalsIgnored` and reported once as a warning.
 */
export class RootProcess extends ProcessCore {
  /** Exit signals from others (not links) that would have ended an ordinary process. */
  ignoredExits = 0;

  $accept(kind: number, payload: unknown): void {
    // Spawn requests from other nodes are served; stray sends are not wanted here.
    if (kind === Kind.Call && isSpawnRequest((payload as CallEnvelope).msg)) {
      serveSpawn(this.$k, (payload as CallEnvelope).msg as never, (payload as CallEnvelope).from);
    }
  }

  $wake(): void {
    const ext = this.$ext;
    const signals = ext?.signals;
    if (!signals) return;
    ext.signals = null;
    for (const s of signals) {
      if (s.link) {
        ext.links?.delete(s.from.key);
      } else if (s.reason !== 'normal') {
        if (this.ignoredExits++ === 0) {
          warn(
            'FOUNDATION_ROOT_EXIT_IGNORED',
            `node ${this.$k.name} ignored the exit signal ${describeValue(s.reason)} from ${s.from} to its own process; ` +
              'a node ends only with node.stop() (further ones are counted in stats().exitSignalsIgnored)',
          );
        }
      }
    }
  }

  $runTurn(): number {
    this.$wake();
    return 1;
  }

  $onDead(): void {}

  $object(): object {
    return this;
  }
}
