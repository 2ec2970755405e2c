// Actor classes every scheduler thread loads (as OTP nodes load the same code).
import { threadId } from 'node:worker_threads';
import { Actor, defineActor } from '@foundation/runtime';

/** A counter that also says which thread it runs on. */
export class Counter extends Actor {
  n = 0;
  init(start) {
    this.n = start;
  }
  handleCall(msg) {
    return msg === 'where' ? threadId : this.n;
  }
  handleCast(msg) {
    this.n += msg.inc;
  }
}
defineActor('Counter', Counter);
