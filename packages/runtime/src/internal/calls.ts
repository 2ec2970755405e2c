import { Pid, type Ref } from '../pid.js';
import { SlotMap } from './slot-map.js';
import { CallAbortedError, CallExitError, CallTimeoutError, InvalidArgumentError, InvalidMessageError, StoppedError } from '../errors.js';
import { isInvalidMessageReason, type InvalidMessageReason } from './message-schema.js';
import { checkKnownOptions } from '../known-options.js';
import type { CallOptions } from '../protocol.js';
import { checkDuration } from '../duration.js';
import type { RemoteName, Target } from '../target.js';
import { Kind } from './mailbox.js';
import { checkEncodable } from '../encodable.js';
import type { MonitorEntry, ProcessCore, WatchEntry } from './process.js';
import type { TimeoutEntry, TimeoutList } from './timeouts.js';
import type { Kernel } from './kernel.js';
import { deliverDown, monitor, monitorKey, unwatch, watchTarget } from './signals.js';

/** Who is waiting for a call's reply: hand it to `reply(from, value)` to answer later. */
export interface From {
  readonly pid: Pid;
  readonly ref: Ref;
}

/** A call as it sits in the callee's mailbox. */
export interface CallEnvelope {
  readonly msg: unknown;
  readonly from: From;
}

/**
 * A call waiting for its reply, on the caller's side. One object serves as the caller's
 * monitor record, the callee's monitor record and the timeout-queue entry.
 */
export class PendingCall implements WatchEntry, MonitorEntry, TimeoutEntry {
  $deadline = 0;
  $tprev: TimeoutEntry | null = null;
  $tnext: TimeoutEntry | null = null;
  $tlist: TimeoutList | null = null;
  readonly target: Pid;
  readonly name: string | undefined;
  /** The call's AbortSignal and its listener, removed when the call ends however it ends. */
  signal: AbortSignal | null = null;
  onAbort: (() => void) | null = null;
  /** The callee's record, for a call to a process of this thread (its monitor record is removed directly). */
  callee: ProcessCore | null = null;

  constructor(
    readonly caller: ProcessCore,
    readonly ref: Ref,
    readonly dest: Pid | RemoteName,
    readonly ms: number,
    private readonly fulfil: (value: unknown) => void,
    private readonly fail: (error: Error) => void,
  ) {
    this.target = watchTarget(dest);
    this.name = dest instanceof Pid ? undefined : dest.name;
  }

  /** The caller, as the callee's monitor record names it. */
  get watcher(): Pid {
    return this.caller.$pid;
  }

  onTimeout(): void {
    if (settle(this)) this.reject(new CallTimeoutError(describe(this.dest), this.ms));
  }

  /** Settles the caller's promise with the reply (the abort listener, if any, goes first). */
  resolve(value: unknown): void {
    this.release();
    this.fulfil(value);
  }

  /** Settles the caller's promise with `error` (the abort listener, if any, goes first). */
  reject(error: Error): void {
    this.release();
    this.fail(error);
  }

  /** Removes the abort listener: the call has ended (or its caller has). */
  release(): void {
    if (this.onAbort !== null) this.signal!.removeEventListener('abort', this.onAbort);
    this.onAbort = null;
  }
}

/** The default call timeout, as in gen_server. */
export const DEFAULT_CALL_TIMEOUT = 5000;

/** Checks a timeout argument: ms up to MAX_DURATION_MS, or Infinity (no timer). */
export function checkTimeout(field: string, ms: unknown): number {
  return checkDuration(field, ms, { infinity: true });
}

function describe(target: Pid | RemoteName): string {
  return target instanceof Pid ? target.toString() : `'${target.name}' on ${target.node}`;
}

const CALL_OPTIONS: ReadonlySet<string> = new Set(['timeoutMs', 'signal']);

/** Reads call's third argument: a timeout in ms (the shorthand) or `{ timeoutMs, signal }`. */
export function callOptions(opts: number | CallOptions | undefined): { timeoutMs: number; signal: AbortSignal | null } {
  if (opts === undefined || typeof opts === 'number')
    return { timeoutMs: checkTimeout('timeoutMs', opts ?? DEFAULT_CALL_TIMEOUT), signal: null };
  if (typeof opts !== 'object' || opts === null)
    throw new InvalidArgumentError('call options', 'a timeout in ms or { timeoutMs, signal }', opts);
  checkKnownOptions('call', opts, CALL_OPTIONS);
  const timeoutMs = checkTimeout('timeoutMs', opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT);
  const signal = opts.signal ?? null;
  if (signal !== null && !(signal instanceof AbortSignal)) throw new InvalidArgumentError('signal', 'an AbortSignal', signal);
  return { timeoutMs, signal };
}

/**
 * Calls `target` from process `p`: monitors it, sends `{ msg, from }` and waits for the reply.
 * Rejects with CallTimeoutError, or CallExitError with the callee's exit reason (`'noproc'`
 * for a dead or unknown target, `'noconnection'` for an unreachable node), or
 * CallAbortedError when `signal` aborts first (at once; the monitor and timer end with it).
 */
export function call(p: ProcessCore, target: Target, msg: unknown, opts?: number | CallOptions): Promise<unknown> {
  const k = p.$k;
  if (k.inspect !== null) k.inspect.sent(p.$pid, target, Kind.Call, msg);
  if (target instanceof Pid && (opts === undefined || typeof opts === 'number')) {
    const callee = k.local(target);
    if (callee !== null) return localCall(p, callee, target, msg, opts);
  }
  let to: Pid | RemoteName | undefined;
  let timeoutMs: number;
  let signal: AbortSignal | null;
  try {
    ({ timeoutMs, signal } = callOptions(opts));
    to = k.resolve(target);
  } catch (e) {
    return Promise.reject(e);
  }
  if (signal?.aborted) return Promise.reject(new CallAbortedError(k.describe(target), signal.reason));
  if (to === undefined) return Promise.reject(new CallExitError(k.describe(target), 'noproc'));
  const dest = to;
  return new Promise((resolve, reject) => {
    const pc = new PendingCall(p, k.makeRef(), dest, timeoutMs, resolve, reject);
    monitor(p, dest, pc.ref, pc, true);
    if (pc.caller.$ext!.watching!.get(pc.ref.id) !== pc) return; // DOWN at once: noproc or noconnection
    if (timeoutMs !== Infinity) k.timeouts.add(pc, timeoutMs);
    if (signal !== null) {
      const aborted = signal;
      pc.signal = aborted;
      pc.onAbort = () => {
        if (settle(pc)) pc.reject(new CallAbortedError(describe(dest), aborted.reason));
      };
      aborted.addEventListener('abort', pc.onAbort, { once: true });
    }
    const envelope: CallEnvelope = { msg, from: { pid: p.$pid, ref: pc.ref } };
    try {
      const sent = dest instanceof Pid ? k.deliver(dest, Kind.Call, envelope) : k.deliverNamed(dest, Kind.Call, envelope);
      // The transport refused the request (node gone, frame too big, peer too slow): fail now, not at the timeout.
      if (!sent && settle(pc)) pc.reject(new CallExitError(describe(dest), 'noconnection'));
    } catch (e) {
      settle(pc);
      pc.reject(e as Error);
    }
  });
}

/**
 * The common case, a call to a live process of this thread with at most a timeout: the same
 * records as `call` (the monitor on both sides, the timeout), without the general path's
 * option object, target resolution and checks for remote and dead targets.
 */
function localCall(p: ProcessCore, callee: ProcessCore, target: Pid, msg: unknown, timeout: number | undefined): Promise<unknown> {
  let ms = DEFAULT_CALL_TIMEOUT;
  if (timeout !== undefined) {
    try {
      ms = checkTimeout('timeoutMs', timeout);
    } catch (e) {
      return Promise.reject(e);
    }
  }
  const k = p.$k;
  const promise = new Promise(captureSettlers);
  const ref = k.makeRef();
  const pc = new PendingCall(p, ref, target, ms, settlers.resolve!, settlers.reject!);
  settlers.resolve = settlers.reject = null;
  pc.callee = callee;
  (p.$x().watching ??= new SlotMap()).set(ref.id, pc);
  (callee.$x().monitoredBy ??= new SlotMap()).set(ref.id, pc);
  if (ms !== Infinity) k.timeouts.add(pc, ms);
  const envelope: CallEnvelope = { msg, from: { pid: p.$pid, ref } };
  try {
    callee.$accept(Kind.Call, envelope);
  } catch (e) {
    settle(pc);
    pc.reject(e as Error);
  }
  return promise;
}

/**
 * The settling functions of the promise `new Promise(captureSettlers)` just made. One executor
 * shared by every call, instead of a closure per call over the call's variables: a call
 * allocates its promise and PendingCall, and no executor with its context.
 */
const settlers: { resolve: ((value: unknown) => void) | null; reject: ((error: Error) => void) | null } = { resolve: null, reject: null };
function captureSettlers(resolve: (value: unknown) => void, reject: (error: Error) => void): void {
  settlers.resolve = resolve;
  settlers.reject = reject;
}

/** Ends a pending call's monitor and timeout; false when it had already ended. */
function settle(pc: PendingCall): boolean {
  const watching = pc.caller.$ext?.watching;
  if (watching?.get(pc.ref.id) !== pc) return false;
  end(pc, watching);
  return true;
}

/**
 * Removes a pending call's records: the caller's monitor (`watching`), the timeout, the
 * callee's monitor — unless `released`: its reply said the callee's side dropped it already.
 */
function end(pc: PendingCall, watching: SlotMap<number, WatchEntry>, released = false): void {
  watching.delete(pc.ref.id);
  if (pc.$tlist !== null) pc.caller.$k.timeouts.remove(pc);
  // (A dead callee's monitor records are gone with it: its monitoredBy is null.)
  if (pc.callee !== null) pc.callee.$ext?.monitoredBy?.delete(pc.ref.id);
  else if (!released) unwatch(pc.caller.$k, pc);
}

/** A DOWN arrived for a pending call's monitor (already removed): the call fails with the callee's reason. */
export function failCall(pc: PendingCall, reason: unknown): void {
  pc.caller.$k.timeouts.remove(pc);
  if (isInvalidMessageReason(reason)) pc.reject(new InvalidMessageError(describe(pc.dest), reason.invalidMessage));
  else pc.reject(new CallExitError(describe(pc.dest), reason));
}

/**
 * The caller `p` ended while its call `pc` was pending: code outside actors (an inbox, the
 * node's own process) awaits that promise, so it rejects with StoppedError at once. (An
 * actor's pending calls are left unsettled: a dead actor's handler must not resume.)
 */
export function abandonCall(pc: PendingCall, caller: string): void {
  pc.reject(new StoppedError(`${caller}, whose call to ${describe(pc.dest)} was pending,`));
}

/**
 * A call its callee will never handle — evicted or refused by a bounded mailbox, or refused by
 * its message schema (see message-schema.ts): the caller,
 * here or on another thread or node, gets CallExitError `reason` at once through the call's
 * monitor, which the callee drops.
 */
export function refuseCall(callee: ProcessCore, envelope: CallEnvelope, reason: 'mailbox_full' | InvalidMessageReason): void {
  const k = callee.$k;
  const { pid, ref } = envelope.from;
  callee.$ext?.monitoredBy?.delete(monitorKey(k, ref));
  deliverDown(k, pid, ref, callee.$pid, reason);
}

/**
 * A reply arrived for process `p`: settles its pending call (late replies are dropped).
 * `released`: the callee replied itself and dropped the call's monitor on its side.
 */
export function settleReply(p: ProcessCore, ref: Ref, value: unknown, released = false): void {
  const watching = p.$ext?.watching;
  if (watching == null || ref.node !== p.$k.name) return;
  const pc = watching.get(ref.id);
  if (pc instanceof PendingCall && pc.ref.incarnation === ref.incarnation) {
    end(pc, watching, released);
    pc.resolve(value);
  }
}

/**
 * Sends `value` as the reply to the call `from`, wherever its caller is. `replier`: the
 * process answering. When it is the callee, whose record of the call's monitor its caller
 * elsewhere would otherwise remove by a demonitor frame, it drops that record now and the
 * reply says so (one frame per call each way, as Erlang's reply-demonitor alias does). A reply
 * given by another process leaves the record to the caller's demonitor.
 */
export function reply(k: Kernel, from: From, value: unknown, replier: ProcessCore | null = null): void {
  if (k.inspect !== null) k.inspect.replied(replier, from, value);
  const w = k.local(from.pid);
  if (w !== null) settleReply(w, from.ref, value);
  else if (!k.isLocal(from.pid)) {
    checkEncodable(value, 'reply');
    const monitors = replier?.$ext?.monitoredBy;
    const key = monitors == null ? 0 : monitorKey(k, from.ref);
    const released = monitors?.get(key)?.watcher.equals(from.pid) === true;
    k.route(from.pid, { t: 'reply', to: from.pid, ref: from.ref, value, released });
    // After the send: a reply too large to send crashes the replier, and the monitor tells its caller.
    if (released) monitors.delete(key);
  }
}
