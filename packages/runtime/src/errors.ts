import { inspect } from 'node:util';

/** Renders a value given by a caller for an error message: short, never throws. */
export function describeValue(value: unknown): string {
  if (typeof value === 'function') return value.name ? `function ${value.name}` : 'an anonymous function';
  try {
    return inspect(value, { depth: 2, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 80 });
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * Base of every error Foundation throws on purpose. `_tag` names the error (equal to `name`)
 * so errors that crossed a thread or a node are still recognisable after decoding.
 */
export abstract class FoundationError extends Error {
  abstract readonly _tag: string;
}

/**
 * The base class for a named error: `class MyError extends taggedError('MyError') {...}` gives
 * `_tag` and `name` equal to the tag and a static `is()` guard that also recognises the error
 * after it crossed a thread or node (decoded errors keep their name, not their class).
 */
export function taggedError<T extends string>(tag: T) {
  abstract class Tagged extends FoundationError {
    readonly _tag: T = tag;
    override readonly name: T = tag;
    /** True when `e` is this kind of error, also after it crossed a thread or node. */
    static is(e: unknown): boolean {
      return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === tag;
    }
  }
  return Tagged;
}

/** A call got no reply within its timeout. */
export class CallTimeoutError extends taggedError('CallTimeoutError') {
  constructor(
    readonly target: string,
    readonly timeoutMs: number,
  ) {
    super(`call to ${target} got no reply within ${timeoutMs} ms`);
  }
}

/**
 * The callee exited (or never existed: reason `'noproc'`; its node was lost: `'noconnection'`)
 * before replying, or its bounded mailbox refused or evicted the call (`'mailbox_full'`).
 */
export class CallExitError extends taggedError('CallExitError') {
  constructor(
    readonly target: string,
    readonly reason: unknown,
  ) {
    super(
      reason === 'mailbox_full'
        ? `call to ${target} failed: its mailbox was full and the call was dropped (reason 'mailbox_full')`
        : `call to ${target} failed: the process exited with reason ${describeValue(reason)}`,
    );
  }
}

/**
 * A call was aborted through its `signal` before the reply came: `reason` is the signal's
 * reason (a DOMException 'AbortError' when `abort()` got none). Its `name` is
 * 'CallAbortedError'; `cause` is the reason too, as with fetch.
 */
export class CallAbortedError extends taggedError('CallAbortedError') {
  constructor(
    readonly target: string,
    readonly reason: unknown,
  ) {
    super(`call to ${target} was aborted: ${describeValue(reason)}`, { cause: reason });
  }
}

/** One problem a message schema found: what, and where in the message (property keys, as strings). */
export interface MessageIssue {
  readonly message: string;
  readonly path?: readonly string[];
}

/**
 * A call whose message, arriving from another node or thread, failed the callee's message
 * schema (`static schema` on its class): the callee never saw it and lives on.
 */
export class InvalidMessageError extends taggedError('InvalidMessageError') {
  constructor(
    readonly target: string,
    readonly issues: readonly MessageIssue[],
  ) {
    super(
      `call to ${target} was refused: its message failed the actor's schema (${issues
        .map((i) => (i.path && i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
        .join('; ')})`,
    );
  }
}

/** `inbox.receive` saw no matching message within its timeout. */
export class ReceiveTimeoutError extends taggedError('ReceiveTimeoutError') {
  constructor(readonly timeoutMs: number) {
    super(`no matching message arrived within ${timeoutMs} ms`);
  }
}

/** Something given where an Actor class was expected. */
export class NotAnActorError extends taggedError('NotAnActorError') {
  constructor(readonly given: unknown) {
    super(`expected a class that extends Actor, got ${describeValue(given)}`);
  }
}

/** An option or argument with a value outside what is allowed. */
export class InvalidArgumentError extends taggedError('InvalidArgumentError') {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly given: unknown,
  ) {
    super(`${field} must be ${expected}, got ${describeValue(given)}`);
  }
}

/** A name is already taken (or the pid already has a name). */
export class AlreadyRegisteredError extends taggedError('AlreadyRegisteredError') {
  constructor(
    readonly registeredName: string,
    readonly holder: string,
  ) {
    super(`the name '${registeredName}' is already registered to ${holder}`);
  }
}

/** A send or cast named a process by a name that nobody holds. */
export class UnknownNameError extends taggedError('UnknownNameError') {
  constructor(readonly registeredName: string) {
    super(`no process is registered as '${registeredName}'`);
  }
}

/** An operation needed a live process and the given one is dead or unknown. */
export class NoProcessError extends taggedError('NoProcessError') {
  constructor(readonly pid: string) {
    super(`${pid} is not a live process on this node`);
  }
}

/** An actor started with `spawnAndWait` exited before its init finished. */
export class InitError extends taggedError('InitError') {
  constructor(
    readonly pid: string,
    readonly reason: unknown,
  ) {
    super(`${pid} exited during init with reason ${describeValue(reason)}`);
  }
}

/** A bounded mailbox with `overflow: 'reject'` is full. */
export class MailboxFullError extends taggedError('MailboxFullError') {
  constructor(
    readonly pid: string,
    readonly capacity: number,
  ) {
    super(`the mailbox of ${pid} is full (capacity ${capacity}); the message was not delivered`);
  }
}

/** The node (or inbox) was used after it stopped (or closed). */
export class StoppedError extends taggedError('StoppedError') {
  constructor(readonly what: string) {
    super(`${what} has stopped`);
  }
}

/**
 * A value about to cross a thread or node boundary holds something the wire codec would lose
 * or alter: a function, a symbol, a class instance without an encoder, a WeakMap, a Promise...
 * `path` says where (`message.handler`, `message.items[3]`), `given` what was found there.
 */
export class UnencodableError extends taggedError('UnencodableError') {
  constructor(
    readonly path: string,
    readonly given: string,
  ) {
    super(`${path} cannot be sent to another thread or node: it is ${given}`);
  }
}

/**
 * A message, call or reply that encodes larger than the transport carries in one frame (the
 * mesh's `maxFrameBytes`): refused at the send, so the sender learns at once — a later, smaller
 * message to the same process is still delivered in order, because this one was never sent.
 * (Exit and down signals are never refused: the transport shortens their reason instead.)
 */
export class FrameTooLargeError extends taggedError('FrameTooLargeError') {
  constructor(
    readonly frame: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`a '${frame}' frame of ${bytes} bytes is over the transport's limit of ${limit} bytes (maxFrameBytes): not sent`);
  }
}

/**
 * An options object held a key its function does not take (a typo, an option renamed, one of
 * another function). `where` names the function, `option` the key, `known` what it takes.
 */
export class UnknownOptionError extends taggedError('UnknownOptionError') {
  constructor(
    readonly where: string,
    readonly option: string,
    readonly known: readonly string[],
  ) {
    super(`${where}: unknown option '${option}' (known: ${known.join(', ')})`);
  }
}
