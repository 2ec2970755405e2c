import { Flag, ProcessCore } from './process.js';
import { handleSignals } from './signals.js';
import { Kind } from './mailbox.js';
import type { CallEnvelope } from './calls.js';
import { isSpawnRequest, serveSpawn } from './remote-spawn.js';

/**
 * The node's own process (id 0): parent of what `node.spawn` starts, the sender of
 * `node.exit`, the caller behind `node.call`. It traps exits and discards what it is sent.
 */
export class RootProcess extends ProcessCore {
  constructor() {
    super();
    this.$flags = Flag.Trap;
  }

  $accept(kind: number, payload: unknown): void {
    // Spawn requests from other nodes are served; exit messages from linked children and
    // stray sends are not wanted here.
    if (kind === Kind.Call && isSpawnRequest((payload as CallEnvelope).msg)) {
      serveSpawn(this.$k, (payload as CallEnvelope).msg as never, (payload as CallEnvelope).from);
    }
  }

  $wake(): void {
    if (this.$ext?.signals) handleSignals(this);
  }

  $runTurn(): number {
    this.$wake();
    return 1;
  }

  $onDead(): void {}
}
