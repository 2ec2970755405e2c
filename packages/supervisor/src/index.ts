/**
 * @foundation/supervisor — OTP supervision trees: Supervisor, DynamicSupervisor and child specs.
 */
export { Supervisor } from './supervisor.js';
export { DynamicSupervisor } from './dynamic-supervisor.js';
export { checkDynamicChild, type DynamicChild, type TypedDynamicChild } from './dynamic-child.js';
export type { SupervisorHandle, DynamicSupervisorHandle } from './handle.js';
export {
  checkChildSpec,
  checkChildSpecs,
  defaultShutdown,
  type ChildSpec,
  type ChildStart,
  type ChildType,
  type NormalizedChildSpec,
  type RestartType,
  type Shutdown,
  type TypedChildStart,
  type TypedChildSpec,
} from './child-spec.js';
export {
  checkSupervisorOptions,
  checkDynamicOptions,
  type Strategy,
  type CommonOptions,
  type SupervisorOptions,
  type TypedSupervisorOptions,
  type DynamicSupervisorOptions,
} from './options.js';
export { addRestart, intensity, type Intensity } from './intensity.js';
export { nextDelay, initialBackoff, type BackoffOptions, type BackoffState } from './backoff.js';
export {
  shouldRestart,
  reachedMaxRestartIntensity,
  failedToStartChild,
  isReachedMaxRestartIntensity,
  isFailedToStartChild,
  type SupervisorExitReason,
} from './reasons.js';
export type { SupervisorReport, ReportHandler } from './reports.js';
export { isSupervisorRequest, type SupervisorRequest, type SupervisorReply, type ChildInfo, type ChildCounts } from './protocol.js';
export {
  ChildSpecError,
  DuplicateChildIdError,
  SupervisorOptionError,
  ChildAlreadyStartedError,
  ChildAlreadyPresentError,
  ChildNotFoundError,
  ChildRunningError,
  StartChildError,
  MaxChildrenError,
} from './errors.js';
export { DistributedSupervisor } from './distributed/distributed-supervisor.js';
export type { DistributedSupervisorOptions, Distribution, Placement } from './distributed/options.js';
export type { DistributedChildInfo, DistributedChildCounts } from './distributed/table.js';
export type { HandoffInit, HandsOff } from './distributed/handoff.js';
export { isDuplicateChild, isNoQuorum, NO_QUORUM, type DuplicateChild } from './distributed/reasons.js';
export { UnknownChildClassError, NoQuorumError, DistributedSupervisorOptionError } from './distributed/errors.js';
export {
  startSingleton,
  startReplicated,
  startPartitioned,
  type Singleton,
  type Replicated,
  type Partitioned,
  type StrategyOptions,
  type PartitionedOptions,
} from './distributed/strategies.js';
