import { describeValue, taggedError as tagged } from '@foundation/runtime';

/** One field of a child spec is wrong: names the child (when known), the field, what is allowed and what was given. */
export class ChildSpecError extends tagged('ChildSpecError') {
  constructor(
    readonly id: string | undefined,
    readonly field: string,
    readonly allowed: string,
    readonly given: unknown,
  ) {
    super(`child spec${id === undefined ? '' : ` '${id}'`}: ${field} must be ${allowed}, got ${describeValue(given)}`);
  }
}

/** Two child specs of one supervisor share an id. */
export class DuplicateChildIdError extends tagged('DuplicateChildIdError') {
  constructor(readonly id: string) {
    super(`two child specs have the id '${id}'`);
  }
}

/** A supervisor option is wrong: names the option, what is allowed and what was given. */
export class SupervisorOptionError extends tagged('SupervisorOptionError') {
  constructor(
    readonly field: string,
    readonly allowed: string,
    readonly given: unknown,
  ) {
    super(`supervisor option ${field} must be ${allowed}, got ${describeValue(given)}`);
  }
}

/** `startChild` for an id whose child is running (OTP's `{already_started, Pid}`). */
export class ChildAlreadyStartedError extends tagged('ChildAlreadyStartedError') {
  constructor(
    readonly id: string,
    readonly pid: string,
  ) {
    super(`the child '${id}' is already started as ${pid}`);
  }
}

/** `startChild` for an id whose spec is kept but not running (OTP's `already_present`): use restartChild. */
export class ChildAlreadyPresentError extends tagged('ChildAlreadyPresentError') {
  constructor(readonly id: string) {
    super(`a child spec with the id '${id}' is already present (not running); restart or delete it`);
  }
}

/** No child with this id (or pid) under the supervisor (OTP's `not_found`). */
export class ChildNotFoundError extends tagged('ChildNotFoundError') {
  constructor(readonly child: string) {
    super(`the supervisor has no child ${child}`);
  }
}

/** `restartChild` / `deleteChild` for a child that is running (OTP's `running`). */
export class ChildRunningError extends tagged('ChildRunningError') {
  constructor(readonly id: string) {
    super(`the child '${id}' is running; terminate it first`);
  }
}

/** A child's init failed in `startChild` / `restartChild`; `reason` is what it failed with. */
export class StartChildError extends tagged('StartChildError') {
  constructor(
    readonly id: string | null,
    readonly reason: unknown,
  ) {
    super(`the child ${id === null ? '' : `'${id}' `}failed to start: ${describeValue(reason)}`);
  }
}

/** A DynamicSupervisor already runs `maxChildren` children (OTP's `max_children`). */
export class MaxChildrenError extends tagged('MaxChildrenError') {
  constructor(readonly maxChildren: number) {
    super(`the dynamic supervisor already has its maximum of ${maxChildren} children`);
  }
}
