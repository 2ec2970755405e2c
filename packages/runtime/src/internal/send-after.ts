import { Pid, type Ref } from '../pid.js';
import type { Target } from '../target.js';
import { checkDuration } from '../duration.js';
import { checkEncodable } from '../encodable.js';
import { FoundationError } from '../errors.js';
import { Kind } from './mailbox.js';
import type { ProcessCore } from './process.js';
import { warn } from './warn.js';

/**
 * Starts `p`'s timer that sends `msg` to `to` after `ms` (OTP's erlang:send_after). What `send`
 * would refuse now is refused at this call: a duration no timer can wait, something that is
 * not a target, a message the wire cannot carry to a target on another thread or node. A
 * registered name is looked up when the timer fires, as in OTP. A send that fails then
 * (target gone, name unregistered, node disconnected, mailbox full) is a dead letter: a timer
 * callback never throws.
 */
export function startTimer(p: ProcessCore, msg: unknown, ms: unknown, to: Target): Ref {
  const delay = checkDuration('sendAfter ms', ms);
  const k = p.$k;
  const dest = k.resolve(to); // throws InvalidArgumentError for what is no target
  if (dest !== undefined && !(dest instanceof Pid && k.isLocal(dest))) checkEncodable(msg);
  const ref = k.makeRef();
  const timers = (p.$x().timers ??= new Map());
  const fire = () => {
    timers.delete(ref.id);
    try {
      k.sendTo(to, Kind.Info, msg);
    } catch (e) {
      // sendTo counts the drops it returns false for; a throw is a drop it did not count.
      k.deadLetters++;
      if (!(e instanceof FoundationError)) warn('FOUNDATION_TIMER_THREW', `a sendAfter timer of ${p.$pid} failed to send: ${String(e)}`);
    }
  };
  timers.set(ref.id, k.clock.setTimeout(fire, delay));
  return ref;
}
