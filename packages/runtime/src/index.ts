/**
 * @foundation/runtime — actors with mailboxes, links, monitors and exit signals, OTP's way.
 */
export { Node, type NodeOptions, type InboxOptions } from './node.js';
export { Actor, type ActorClass } from './actor.js';
export { defineActor, actorClass, actorName, definedActors } from './actor-registry.js';
export { BaseProcess } from './process-api.js';
export { Inbox } from './inbox.js';
export { Pid, Ref, isPid, isRef } from './pid.js';
export { noReply } from './internal/invoker.js';
export type { From } from './internal/calls.js';
export type { SpawnOptions, Overflow } from './internal/spawn.js';
export { isDown, isExit, isShutdown, isCleanExit, isMailboxFull, type ExitReason, type DownMessage, type ExitMessage } from './reasons.js';
export {
  FoundationError,
  taggedError,
  CallTimeoutError,
  CallExitError,
  CallAbortedError,
  InvalidMessageError,
  type MessageIssue,
  ReceiveTimeoutError,
  NotAnActorError,
  InvalidArgumentError,
  AlreadyRegisteredError,
  UnknownNameError,
  NoProcessError,
  UnencodableError,
  FrameTooLargeError,
  InitError,
  MailboxFullError,
  StoppedError,
  UnknownOptionError,
  describeValue,
} from './errors.js';
export { checkKnownOptions } from './known-options.js';
export { resolvePidOf, stopProcess, type ProcessContext } from './context.js';
export { systemClock, SimulatedClock, type Clock } from './clock.js';
export type { Scheduling } from './scheduling.js';
export { checkDuration, isDuration, durationExpected, MAX_DURATION_MS, type DurationRule } from './duration.js';
export { isNodeUp, isNodeDown, type NodeUpMessage, type NodeDownMessage } from './node-events.js';
export { isRemoteName, isVia, name, type Name, type Target, type RemoteName, type ViaName, type NameResolver } from './target.js';
export type {
  Answer,
  ReplyValue,
  Typed,
  ActorOf,
  InfoOf,
  CastOf,
  CallOf,
  ReplyOf,
  InitArgOf,
  SpawnArgOf,
  PidOf,
  SpawnResult,
  CallResult,
  CallOptions,
} from './protocol.js';
export type { Transport, TransportHost, Frame } from './transport.js';
export type { ProcessInfo, ProcessStatus } from './process-info.js';
export { MemoryNetwork } from './memory-transport.js';
export { encode, decode } from './codec.js';
export { checkEncodable, isEncodable, shortReason } from './encodable.js';
export type { StandardSchemaV1 } from './standard-schema.js';
export { DirtyPool, type DirtyPoolOptions } from './dirty-pool.js';
/** @internal The flat frame layout, shared with the mesh transport: not part of the public API. */
export { FRAME_FIELDS, flattenFrame, unflattenFrame } from './frame-layout.js';
/** @internal The codec of flat frame batches, shared with the mesh transport: not part of the public API. */
export { encodeValues, decodeValues, BadBatchError } from './frame-codec.js';
/** @internal Frames captured at send without encoding them, shared with the mesh transport: not part of the public API. */
export { Snapshotter } from './snapshot.js';
export {
  inspect,
  publishInspectEvent,
  isInspected,
  type InspectEvent,
  type InspectEventType,
  type InspectOptions,
  type MessageKind,
  type SpawnEvent,
  type ExitEvent,
  type SendEvent,
  type ReceiveEvent,
  type ReplyEvent,
  type NodeUpEvent,
  type NodeDownEvent,
  type RestartEvent,
  type RegistryChangeEvent,
} from './inspect.js';
