import { Flag, ProcessCore } from './process.js';
import { handleSignals } from './signals.js';

/**
 * The node's own process (id 0): parent of what `node.spawn` starts, the sender of
 * `node.exit`, the caller behind `node.call`. It traps exits and discards what it is sent.
 */
export class RootProcess extends ProcessCore {
  constructor() {
    super();
    this.$flags = Flag.Trap;
  }

  $accept(): void {
    // Exit messages from linked children and stray sends: nothing here wants them.
  }

  $wake(): void {
    if (this.$ext?.signals) handleSignals(this);
  }

  $runTurn(): void {
    this.$wake();
  }

  $onDead(): void {}
}
