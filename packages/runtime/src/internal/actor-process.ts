import { MailboxFullError } from '../errors.js';
import { DROPPED, Kind, Mailbox } from './mailbox.js';
import { Flag, ProcessCore } from './process.js';
import { runTurn, type Behaviour } from './invoker.js';
import { refuseCall, type CallEnvelope } from './calls.js';

/**
 * An actor's process: the runtime's state of it, and the actor whose callbacks it runs. One
 * class for every actor class, so the mailbox, dispatcher and signal paths stay monomorphic.
 */
export class ActorProcess extends ProcessCore {
  /** The init argument, until init has run. */
  $args: unknown = undefined;

  constructor(readonly actor: Behaviour) {
    super();
  }

  $object(): object {
    return this.actor;
  }

  $runTurn(): number {
    return runTurn(this);
  }

  $accept(kind: number, payload: unknown): void {
    if (this.$flags & Flag.Dead) {
      this.$k.deadLetters++;
      return;
    }
    const mb = this.$mbox ?? (this.$mbox = new Mailbox());
    const ext = this.$ext;
    if (ext !== null && mb.length - mb.system >= ext.capacity && kind < Kind.Exit) {
      // A call is never dropped in silence: its caller, wherever it is, fails at once with 'mailbox_full'.
      if (kind === Kind.Call && ext.overflow !== 'drop_oldest') {
        refuseCall(this, payload as CallEnvelope, 'mailbox_full');
        return;
      }
      if (ext.overflow === 'reject') throw new MailboxFullError(this.$pid.toString(), ext.capacity);
      ext.dropped++;
      if (ext.overflow === 'drop_newest') return;
      // drop_oldest evicts the oldest user message, never a queued DOWN or EXIT (it always finds
      // one: `capacity` ≥ 1 of them are queued); an evicted call's caller fails at once.
      const evicted = mb.dropOldestUser();
      if (evicted !== null && evicted !== DROPPED) refuseCall(this, evicted as CallEnvelope, 'mailbox_full');
    }
    mb.push(kind, payload);
    if (!this.$queued && (this.$flags & (Flag.Running | Flag.Suspended)) === 0) this.$k.dispatcher.enqueue(this);
  }

  $wake(): void {
    if (!this.$queued && (this.$flags & (Flag.Running | Flag.Dead)) === 0) this.$k.dispatcher.enqueue(this);
  }

  $onDead(): void {}
}
