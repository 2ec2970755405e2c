import { Kind, type Mailbox } from './mailbox.js';
import { Flag } from './process.js';
import type { ActorProcess } from './actor-process.js';
import { die, handleSignals } from './signals.js';
import { reply, type CallEnvelope, type From } from './calls.js';
import type { ExitMessage } from '../reasons.js';
import { isInitProbe } from './spawn-wait.js';
import { isStopRequest } from './stop-request.js';

/** Returned by `handleCall` when the reply will be given later with `reply(from, value)`. */
export const noReply: unique symbol = Symbol('noReply');

/** Messages one actor may handle in one turn before the next actor gets the scheduler. */
export const TURN_BUDGET = 64;

/** The callbacks the invoker runs: what an Actor is, seen from the runtime. */
export interface Behaviour {
  init(args: unknown): unknown;
  handleCall(msg: unknown, from: From): unknown;
  handleCast(msg: unknown): unknown;
  handleInfo(msg: unknown): unknown;
  terminate(reason: unknown): unknown;
}

function isThenable(r: unknown): r is PromiseLike<unknown> {
  return r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function';
}

/**
 * One turn of an actor: its queued exit signals first, then init if it has not run, then up
 * to TURN_BUDGET user messages. A handler that throws crashes the actor (terminate, then exit
 * with the error); a handler that returns a promise suspends this actor until it settles.
 * Returns the work done (1 + messages handled), for the dispatcher's time slice.
 */
export function runTurn(a: ActorProcess): number {
  if (a.$ext !== null && a.$ext.signals !== null) {
    handleSignals(a);
    if (a.$flags & Flag.Dead) return 1;
  }
  if (a.$flags & Flag.Suspended) return 1;
  a.$flags |= Flag.Running;
  if (a.$flags & Flag.InitPending && !runInit(a)) return 1;
  let handled = 0;
  try {
    const mb = a.$mbox;
    let budget = TURN_BUDGET;
    while (mb !== null && mb.length > 0 && budget-- > 0 && (a.$flags & (Flag.Suspended | Flag.Stopping | Flag.Dead)) === 0) {
      if (a.$ext !== null && a.$ext.signals !== null) break; // signals overtake messages
      handled++;
      if (invoke(a, mb)) break;
    }
  } catch (e) {
    a.$flags &= ~Flag.Running;
    beginTerminate(a, e);
    return 1 + handled;
  }
  a.$flags &= ~Flag.Running;
  afterTurn(a);
  return 1 + handled;
}

/** Runs init; a throw (or rejection) ends the actor with that error, without terminate. */
function runInit(a: ActorProcess): boolean {
  a.$flags &= ~Flag.InitPending;
  const args = a.$args;
  a.$args = undefined;
  let r: unknown;
  try {
    r = a.actor.init(args);
  } catch (e) {
    a.$flags &= ~Flag.Running;
    die(a, e);
    return false;
  }
  if (isThenable(r)) {
    a.$flags |= Flag.Suspended | Flag.InitAsync;
    r.then(
      () => {
        if (a.$flags & Flag.Dead) return;
        a.$flags &= ~(Flag.Suspended | Flag.InitAsync);
        initDone(a);
        afterTurn(a);
      },
      (e: unknown) => die(a, e),
    );
  } else {
    initDone(a);
  }
  return true;
}

function initDone(a: ActorProcess): void {
  const w = a.$ext?.initWaiter;
  if (w) {
    a.$ext!.initWaiter = null;
    w.resolve();
  }
}

/** Handles one message; true when the actor can take no more this turn. */
function invoke(a: ActorProcess, mb: Mailbox): boolean {
  const kind = mb.peekKind();
  const payload = mb.shift();
  if (a.$k.inspect !== null) a.$k.inspect.received(a, kind, payload);
  let r: unknown;
  let from: From | null = null;
  switch (kind) {
    case Kind.Info:
    case Kind.Down:
      r = a.actor.handleInfo(payload);
      break;
    case Kind.Cast:
      r = a.actor.handleCast(payload);
      break;
    case Kind.Call: {
      const env = payload as CallEnvelope;
      from = env.from;
      if (isStopRequest(env.msg)) {
        // gen_server:stop: terminate runs with 'normal', and the caller is answered after it.
        const x = a.$x();
        x.stopReason = 'normal';
        (x.stoppers ??= []).push(from);
        a.$flags |= Flag.Stopping;
        return true;
      }
      r = isInitProbe(env.msg) ? true : a.actor.handleCall(env.msg, from);
      break;
    }
    case Kind.Exit: {
      const exit = payload as ExitMessage;
      if (a.$parent !== null && exit.from.equals(a.$parent)) {
        // gen_server's rule: an exit signal from the parent ends a trapping process.
        a.$x().stopReason = exit.reason;
        a.$flags |= Flag.Stopping;
        return true;
      }
      r = a.actor.handleInfo(payload);
      break;
    }
  }
  if (isThenable(r)) {
    suspend(a, r, from);
    return true;
  }
  if (from !== null && r !== noReply) reply(a.$k, from, r, a);
  return false;
}

function suspend(a: ActorProcess, r: PromiseLike<unknown>, from: From | null): void {
  a.$flags |= Flag.Suspended;
  r.then(
    (v) => {
      if (a.$flags & Flag.Dead) return;
      a.$flags &= ~Flag.Suspended;
      if (from !== null && v !== noReply) reply(a.$k, from, v, a);
      afterTurn(a);
    },
    (e: unknown) => {
      if (a.$flags & Flag.Dead) return;
      a.$flags &= ~Flag.Suspended;
      beginTerminate(a, e);
    },
  );
}

/** After a turn or a resume: stop if asked to, or get another turn if there is work. */
export function afterTurn(a: ActorProcess): void {
  const f = a.$flags;
  if (f & (Flag.Dead | Flag.Running | Flag.Terminating)) return;
  if ((f & (Flag.Stopping | Flag.Suspended)) === Flag.Stopping) {
    beginTerminate(a, a.$ext!.stopReason);
    return;
  }
  if (a.$queued) return;
  const hasSignals = a.$ext !== null && a.$ext.signals !== null;
  if (hasSignals || ((f & Flag.Suspended) === 0 && a.$mbox !== null && a.$mbox.length > 0)) {
    a.$k.dispatcher.enqueue(a);
  }
}

/**
 * gen_server's end: `terminate(reason)` runs (it may be async; the actor can still be killed
 * meanwhile), then the actor exits with the reason — or with terminate's own error.
 */
export function beginTerminate(a: ActorProcess, reason: unknown): void {
  if (a.$flags & (Flag.Terminating | Flag.Dead)) return;
  a.$flags = (a.$flags | Flag.Terminating | Flag.Suspended) & ~Flag.Stopping;
  let r: unknown;
  try {
    r = a.actor.terminate(reason);
  } catch (e) {
    die(a, e);
    return;
  }
  const done = () => {
    for (const from of a.$ext?.stoppers ?? []) reply(a.$k, from, 'ok');
    die(a, reason);
  };
  if (isThenable(r)) r.then(done, (e: unknown) => die(a, e));
  else done();
}
