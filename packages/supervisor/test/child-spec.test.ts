import { describe, expect, test } from 'vitest';
import {
  ChildSpecError,
  DuplicateChildIdError,
  SupervisorOptionError,
  checkChildSpec,
  checkChildSpecs,
  checkSupervisorOptions,
  checkDynamicOptions,
  Supervisor,
} from '../src/index.js';
import { Worker, startNode } from './helpers.js';
import { UnknownOptionError, defineActor } from '@foundation/runtime';

function fieldError(spec: unknown): ChildSpecError {
  try {
    checkChildSpec(spec);
  } catch (e) {
    expect(e).toBeInstanceOf(ChildSpecError);
    expect(ChildSpecError.is(e)).toBe(true);
    return e as ChildSpecError;
  }
  throw new Error('expected a ChildSpecError');
}

describe('child specs', () => {
  test('defaults: permanent, worker, 5000 ms; a supervisor defaults to infinity', () => {
    expect(checkChildSpec({ id: 'w', start: [Worker, { id: 'w' }] })).toEqual({
      id: 'w',
      start: [Worker, { id: 'w' }],
      restart: 'permanent',
      shutdown: 5000,
      type: 'worker',
    });
    expect(checkChildSpec({ id: 's', start: [Supervisor, {}], type: 'supervisor' }).shutdown).toBe('infinity');
    expect(checkChildSpec({ id: 'w', start: [Worker], shutdown: 'brutal_kill', restart: 'transient' })).toMatchObject({
      shutdown: 'brutal_kill',
      restart: 'transient',
    });
  });

  test('each wrong field gets its own error naming field, allowed values and what was given', () => {
    const cases: [unknown, string, unknown][] = [
      [{ id: '', start: [Worker] }, 'id', ''],
      [{ id: 7, start: [Worker] }, 'id', 7],
      [{ id: 'x', start: Worker }, 'start', Worker],
      [{ id: 'x', start: [class {}] }, 'start[0]', undefined],
      [{ id: 'x', start: [Worker], restart: 'always' }, 'restart', 'always'],
      [{ id: 'x', start: [Worker], shutdown: -1 }, 'shutdown', -1],
      [{ id: 'x', start: [Worker], shutdown: 1.5 }, 'shutdown', 1.5],
      [{ id: 'x', start: [Worker], type: 'daemon' }, 'type', 'daemon'],
      [{ id: 'x', start: [Worker], restrat: 'permanent' }, "field 'restrat'", 'permanent'],
    ];
    for (const [spec, field, given] of cases) {
      const e = fieldError(spec);
      expect(e.field).toBe(field);
      if (given !== undefined) expect(e.given).toBe(given);
      expect(e.message).toContain(field);
      expect(e.allowed.length).toBeGreaterThan(0);
    }
    expect(fieldError({ id: 'x', start: [Worker], restart: 'always' }).message).toBe(
      "child spec 'x': restart must be 'permanent', 'transient' or 'temporary', got 'always'",
    );
    expect(fieldError(null).field).toBe('child spec');
  });

  test('a class may be given by the name it was defined under; an undefined name is a ChildSpecError', () => {
    defineActor('SupervisedWorker', Worker);
    expect(checkChildSpec({ id: 'x', start: ['SupervisedWorker', 0] }).start[0]).toBe(Worker);
    expect(fieldError({ id: 'x', start: ['Undefined', 0] }).message).toMatch(
      /start\[0\] must be a class that extends Actor, or the name of one given to defineActor, got 'Undefined'/,
    );
  });

  test('duplicate ids are rejected', () => {
    expect(() =>
      checkChildSpecs([
        { id: 'a', start: [Worker] },
        { id: 'a', start: [Worker] },
      ]),
    ).toThrow(DuplicateChildIdError);
  });

  test('supervisor options are checked field by field', () => {
    expect(() => checkSupervisorOptions({ strategy: 'all_for_one' })).toThrow(SupervisorOptionError);
    expect(() => checkSupervisorOptions({ maxRestarts: -1 })).toThrow(/maxRestarts/);
    expect(() => checkSupervisorOptions({ maxSeconds: 0 })).toThrow(/maxSeconds/);
    expect(() => checkSupervisorOptions({ children: {} })).toThrow(/children/);
    expect(() => checkSupervisorOptions({ backoff: { minMs: 10, maxMs: 5 } })).toThrow(/backoff.maxMs/);
    expect(() => checkSupervisorOptions({ stratgy: 'one_for_one' })).toThrow(/'stratgy'/);
    expect(() => checkDynamicOptions({ maxChildren: -2 })).toThrow(/maxChildren/);
    expect(checkSupervisorOptions(undefined)).toMatchObject({ strategy: 'one_for_one', maxRestarts: 3, maxSeconds: 5, children: [] });
  });

  test.each([
    [
      'Supervisor',
      () => checkSupervisorOptions({ stratgy: 'one_for_one' }),
      'stratgy',
      'maxRestarts, maxSeconds, clock, backoff, onReport, strategy, children',
    ],
    [
      'DynamicSupervisor',
      () => checkDynamicOptions({ max_children: 3 }),
      'max_children',
      'maxRestarts, maxSeconds, clock, backoff, onReport, strategy, maxChildren',
    ],
    [
      'supervisor option backoff',
      () => checkSupervisorOptions({ backoff: { minMs: 1, maxMs: 2, reset: 5 } }),
      'reset',
      'minMs, maxMs, resetMs',
    ],
  ])('%s: an unknown option throws UnknownOptionError naming it and the known ones', (where, check, option, known) => {
    expect(check).toThrow(UnknownOptionError);
    expect(check).toThrow(`${where}: unknown option '${option}' (known: ${known})`);
  });

  test('a shutdown or backoff delay longer than a timer can wait (2^31-1 ms) is refused by name', () => {
    const tooLong = 2 ** 31;
    const e = fieldError({ id: 'x', start: [Worker], shutdown: tooLong });
    expect(e).toMatchObject({ field: 'shutdown', given: tooLong });
    expect(e.message).toContain('2147483647');
    expect(checkChildSpec({ id: 'x', start: [Worker], shutdown: 2 ** 31 - 1 }).shutdown).toBe(2 ** 31 - 1);
    expect(() => checkSupervisorOptions({ backoff: { minMs: tooLong, maxMs: tooLong } })).toThrow(/backoff.minMs/);
    expect(() => checkSupervisorOptions({ backoff: { minMs: 10, maxMs: tooLong } })).toThrow(/backoff.maxMs.*2147483647/);
    expect(() => checkDynamicOptions({ backoff: { minMs: 10, maxMs: Infinity } })).toThrow(SupervisorOptionError);
    expect(checkDynamicOptions({ backoff: { minMs: 10, maxMs: 2 ** 31 - 1 } }).backoff).toMatchObject({ maxMs: 2 ** 31 - 1 });
  });

  test('Supervisor.start throws the named error at the caller; a bad spec in init fails the start', async () => {
    const node = await startNode();
    await expect(
      Supervisor.start(node, { children: [{ id: 'a', start: [Worker, { id: 'a' }], restart: 'sometimes' as 'permanent' }] }),
    ).rejects.toThrow(ChildSpecError);
    await expect(Supervisor.of(node, node.self).startChild({ id: 'a', start: ['Name', 1] })).rejects.toThrow(ChildSpecError);
  });
});
