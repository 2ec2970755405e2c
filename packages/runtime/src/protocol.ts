import type { Pid } from './pid.js';

/**
 * Typed protocols: what a typed pid, name or target lets a sender send, and what a call on it
 * resolves with. Types only — at run time a pid is one class, whatever its type argument.
 *
 * The design, in short:
 * - The protocol of an actor is read from the actor class itself: `send` takes what its
 *   `handleInfo` takes, `cast` what `handleCast` takes, `call` what `handleCall` takes, and
 *   `spawn`'s argument is what `init` takes. Nothing is declared twice, and a wrong message is
 *   reported against the handler's own parameter type, which names the accepted messages.
 * - A call resolves with `handleCall`'s return type (awaited, `noReply` removed). An actor
 *   that answers different requests with different types lists them as `Answer<Request,
 *   Reply>` pairs in its Reply type argument; a call then resolves with the reply of the
 *   request it sent.
 * - The phantom key `'~actor'` carries the actor's type on a `Pid<A>`, a `Name<A>`, a
 *   `RemoteName<A>` and a `ViaName<A>`. With no argument (`A = unknown`) the target is
 *   untyped: it accepts any message and a call resolves with `unknown`. A typed pid is an
 *   untyped one too; an untyped pid becomes typed by a cast or a guard you write.
 */

/** The phantom key that carries an actor's type on pids, names and targets (never set at run time). */
export type ActorTag = '~actor';

/** Anything that names an actor of type `A` at the type level: a typed Pid, Name, RemoteName or ViaName. */
export interface Typed<A> {
  /** Types only: never set. */
  readonly '~actor'?: A;
}

/**
 * One request and its reply type, for actors that answer different requests with different
 * types: `Actor<Msg, Answer<'get', number> | Answer<{ put: string }, void>>`.
 */
export interface Answer<Request, Reply> {
  /** Types only: never set. */
  readonly '~answer'?: [Request, Reply];
}

/** The value a handleCall may return for the Reply type argument `R` (the replies of its `Answer`s, or `R`). */
export type ReplyValue<R> = R extends Answer<unknown, infer V> ? V : R;

/** The actor type a target names; `unknown` for an untyped pid, a plain string or any other target. */
export type ActorOf<T> = [T] extends [never] ? unknown : ActorOfTarget<T>;

type ActorOfTarget<T> = T extends { readonly name: { readonly '~actor'?: infer A } }
  ? A // { name, node } with a typed name
  : T extends { readonly '~actor'?: infer A }
    ? A
    : unknown;

type Handler<A, K extends string> = A extends { [P in K]: (msg: infer M, ...rest: never[]) => unknown } ? M : unknown;

/** What `send` to a target takes: its actor's `handleInfo` parameter, or anything when untyped. */
export type InfoOf<T> = unknown extends ActorOf<T> ? unknown : Handler<ActorOf<T>, 'handleInfo'>;

/** What `cast` to a target takes: its actor's `handleCast` parameter, or anything when untyped. */
export type CastOf<T> = unknown extends ActorOf<T> ? unknown : Handler<ActorOf<T>, 'handleCast'>;

/** What `call` to a target takes: its actor's `handleCall` parameter, or anything when untyped. */
export type CallOf<T> = unknown extends ActorOf<T> ? unknown : Handler<ActorOf<T>, 'handleCall'>;

type Answers<A> = A extends { readonly '~reply'?: infer R } ? Extract<R, Answer<unknown, unknown>> : never;

// handleCall's return type, awaited, without noReply; when it only ever returns noReply (it
// replies later with `reply`), the Reply type argument says what the reply is.
type HandlerReply<A> = A extends { handleCall: (...args: never[]) => infer R }
  ? [Exclude<Awaited<R>, symbol>] extends [never]
    ? DeclaredReply<A>
    : Exclude<Awaited<R>, symbol>
  : unknown;

type DeclaredReply<A> = A extends { readonly '~reply'?: infer R } ? ReplyValue<Exclude<R, undefined>> : unknown;

type AnswerFor<R, M> = M extends unknown ? (R extends Answer<infer Q, infer V> ? (M extends Q ? V : never) : never) : never;

/**
 * What a call of `msg: M` to a target resolves with: the reply of the `Answer` whose request
 * `M` is, or `handleCall`'s return type, or `unknown` when untyped.
 */
export type ReplyOf<T, M = CallOf<T>> =
  unknown extends ActorOf<T>
    ? unknown
    : [Answers<ActorOf<T>>] extends [never]
      ? HandlerReply<ActorOf<T>>
      : AnswerFor<Answers<ActorOf<T>>, M>;

/** What `spawn(cls, args)` takes as `args`: the parameter of the class's `init`. */
export type InitArgOf<C> = C extends new () => infer A ? InitParam<A> : unknown;

type InitParam<A> = A extends { init: (...args: infer P) => unknown } ? (P extends [] ? void : P[0]) : unknown;

/**
 * What `spawn(cls, args)` takes as `args` for `cls` a class, or a class name given to
 * defineActor: anything for a plain string, init's parameter for a typed one (`name<Counter>('Counter')`).
 */
export type SpawnArgOf<C> = C extends string ? (unknown extends ActorOf<C> ? unknown : InitParam<ActorOf<C>>) : InitArgOf<C>;

/** The pid `spawn(cls, ...)` gives: `Pid<InstanceType<cls>>`; for a class name, untyped unless the name is typed. */
export type PidOf<C> = C extends new () => infer A ? Pid<A> : Pid<ActorOf<C>>;

/** What `spawn` returns for options `O`: a pid, or its promise when `O` names another node. */
export type SpawnResult<C, O> = O extends { node: string }
  ? Promise<PidOf<C>>
  : O extends { node?: infer N }
    ? unknown extends N
      ? PidOf<C>
      : [N] extends [undefined]
        ? PidOf<C>
        : PidOf<C> | Promise<PidOf<C>>
    : PidOf<C>;

/** A call's reply type: `R` when given explicitly (the untyped form `call<R>(to, msg)`), else the target's. */
export type CallResult<R, T, M> = [R] extends [never] ? ReplyOf<T, M> : R;

/** Options of `call`: a timeout and an AbortSignal. */
export interface CallOptions {
  /** How long to wait for the reply, in ms (default 5000; at most MAX_DURATION_MS, or Infinity: no timer). */
  timeoutMs?: number;
  /** Aborting it rejects the call at once with CallAbortedError (its reason is the signal's reason). */
  signal?: AbortSignal;
}
