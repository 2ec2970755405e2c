import { Actor, noReply, type Pid } from '@foundation/runtime';

type Cmd = 'self' | 'hold' | { link: Pid } | { call: Pid | { name: string; node: string }; msg: unknown } | unknown;

/**
 * Answers calls with `{ echo, self }`, reports casts and sends to `reportTo`, links on
 * `{ link }`, calls on `{ call, msg }`, holds `'hold'` calls forever, crashes on a cast Error
 * (the runtime's distribution tests' Echo).
 */
export class Echo extends Actor<Cmd, unknown, Pid | undefined> {
  reportTo: Pid | undefined;
  override init(reportTo?: Pid) {
    this.reportTo = reportTo;
  }
  override handleCall(msg: Cmd) {
    if (msg === 'hold') return noReply;
    if (typeof msg === 'object' && msg !== null && 'link' in msg) return this.link((msg as { link: Pid }).link);
    if (typeof msg === 'object' && msg !== null && 'call' in msg) {
      const c = msg as { call: Pid; msg: unknown };
      return this.call(c.call, c.msg, 2000);
    }
    return { echo: msg, self: this.self };
  }
  override handleCast(msg: unknown) {
    if (msg instanceof Error) throw msg;
    if (this.reportTo) this.send(this.reportTo, ['cast', msg]);
  }
  override handleInfo(msg: unknown) {
    if (this.reportTo) this.send(this.reportTo, ['info', msg]);
  }
}
