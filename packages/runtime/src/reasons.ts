import { Pid, Ref } from './pid.js';

/**
 * Why a process exited. The named ones follow OTP: `'normal'` and `'shutdown'` /
 * `{ shutdown: x }` are clean exits, `'kill'` is the untrappable signal (links then see
 * `'killed'`), `'noproc'` names a process that did not exist, `'noconnection'` one whose
 * node was lost. `'mailbox_full'` is never a process's exit: it is the reason of the
 * CallExitError a caller gets when the callee's bounded mailbox refused or evicted its call
 * (see isMailboxFull). Anything else (usually the Error a handler threw) is a crash.
 */
export type ExitReason =
  | 'normal'
  | 'shutdown'
  | { shutdown: unknown }
  | 'kill'
  | 'killed'
  | 'noproc'
  | 'noconnection'
  | 'mailbox_full'
  | Error
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- the known reasons are listed for readers; any value may be a reason
  | unknown;

/** The message a monitor delivers, exactly once: `{ ref, pid, reason }`. */
export interface DownMessage {
  readonly ref: Ref;
  readonly pid: Pid;
  readonly reason: ExitReason;
}

/** The message a trapping process gets instead of dying: `{ from, reason }`. */
export interface ExitMessage {
  readonly from: Pid;
  readonly reason: ExitReason;
}

/** True for a monitor's DOWN message. */
export function isDown(msg: unknown): msg is DownMessage {
  return (
    typeof msg === 'object' &&
    msg !== null &&
    (msg as DownMessage).ref instanceof Ref &&
    (msg as DownMessage).pid instanceof Pid &&
    'reason' in msg
  );
}

/** True for an EXIT message delivered to a trapping process. */
export function isExit(msg: unknown): msg is ExitMessage {
  return typeof msg === 'object' && msg !== null && (msg as ExitMessage).from instanceof Pid && 'reason' in msg && !('ref' in msg);
}

/** `'shutdown'` or `{ shutdown: x }`. */
export function isShutdown(reason: unknown): boolean {
  return (
    reason === 'shutdown' ||
    (typeof reason === 'object' && reason !== null && !Array.isArray(reason) && 'shutdown' in reason && Object.keys(reason).length === 1)
  );
}

/** A clean exit: `'normal'`, `'shutdown'` or `{ shutdown: x }` (transient children are not restarted). */
export function isCleanExit(reason: unknown): boolean {
  return reason === 'normal' || isShutdown(reason);
}

/**
 * `'mailbox_full'`: the reason of a CallExitError whose call a bounded mailbox refused
 * (`'reject'`, `'drop_newest'`) or evicted (`'drop_oldest'`) — the callee did not exit, and
 * the call was never handled.
 */
export function isMailboxFull(reason: unknown): reason is 'mailbox_full' {
  return reason === 'mailbox_full';
}
