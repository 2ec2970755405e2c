import { Pid } from '../pid.js';
import type { ActorClass } from '../actor.js';
import { AlreadyRegisteredError, InvalidArgumentError, NotAnActorError, StoppedError, describeValue } from '../errors.js';
import { Flag } from './process.js';
import { ActorProcess } from './actor-process.js';
import { isActorClass } from './spawn-check.js';
import { actorClass, actorName } from '../actor-registry.js';
import type { Kernel } from './kernel.js';
import { link } from './signals.js';
import { checkKnownOptions } from '../known-options.js';

/** What a bounded mailbox does when full: drop the new message, drop the oldest, or refuse the send. */
export type Overflow = 'drop_newest' | 'drop_oldest' | 'reject';

/** Options of `spawn`. */
export interface SpawnOptions {
  /** Register the new actor under this name. */
  name?: string;
  /** Link it to the spawner. */
  link?: boolean;
  /** Start it trapping exits. */
  trapExit?: boolean;
  /** Bound its mailbox (user messages; exit signals and DOWNs are never dropped). */
  mailbox?: { capacity: number; overflow?: Overflow };
  /** Spawn on this node (a class named with defineActor); spawn then resolves with the pid. */
  node?: string;
  /** Run it on this scheduler of the node (a class named with defineActor), or the least loaded: 'auto'. */
  scheduler?: number | 'auto';
}

const NO_OPTIONS: SpawnOptions = Object.freeze({});
const OPTION_KEYS = new Set(['name', 'link', 'trapExit', 'mailbox', 'node', 'scheduler']);
const OVERFLOWS = new Set(['drop_newest', 'drop_oldest', 'reject']);

/** Validates spawn options field by field; throws InvalidArgumentError naming the field. */
export function checkSpawnOptions(opts: unknown): SpawnOptions {
  if (opts === undefined) return NO_OPTIONS;
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new InvalidArgumentError('spawn options', 'an object', opts);
  }
  checkKnownOptions('spawn', opts, OPTION_KEYS);
  const o = opts as SpawnOptions;
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name.length === 0)) {
    throw new InvalidArgumentError('spawn option name', 'a non-empty string', o.name);
  }
  if (o.scheduler !== undefined && o.scheduler !== 'auto' && !(Number.isInteger(o.scheduler) && o.scheduler >= 0)) {
    throw new InvalidArgumentError('spawn option scheduler', "a scheduler index (an integer ≥ 0) or 'auto'", o.scheduler);
  }
  if (o.node !== undefined && (typeof o.node !== 'string' || o.node.length === 0)) {
    throw new InvalidArgumentError('spawn option node', 'a node name', o.node);
  }
  for (const flag of ['link', 'trapExit'] as const) {
    if (o[flag] !== undefined && typeof o[flag] !== 'boolean') {
      throw new InvalidArgumentError(`spawn option ${flag}`, 'a boolean', o[flag]);
    }
  }
  if (o.mailbox !== undefined) {
    const m = o.mailbox;
    if (typeof m !== 'object' || m === null) {
      throw new InvalidArgumentError('spawn option mailbox', '{ capacity, overflow? }', m);
    }
    checkKnownOptions('spawn option mailbox', m, ['capacity', 'overflow']);
    if (!Number.isInteger(m.capacity) || m.capacity < 1) {
      throw new InvalidArgumentError('mailbox.capacity', 'an integer ≥ 1', m.capacity);
    }
    if (m.overflow !== undefined && !OVERFLOWS.has(m.overflow)) {
      throw new InvalidArgumentError('mailbox.overflow', "'drop_newest', 'drop_oldest' or 'reject'", m.overflow);
    }
  }
  return o;
}

/**
 * Creates an actor with `parent` as its parent and queues its init. Returns its pid at once;
 * init runs on the actor's first turn.
 */
export function spawn(k: Kernel, parent: Pid, cls: unknown, args: unknown, opts?: SpawnOptions): Pid {
  if (k.stopped) throw new StoppedError(`node ${k.name}`);
  if (typeof cls !== 'string' && !isActorClass(cls)) throw new NotAnActorError(cls);
  const o = checkSpawnOptions(opts);
  if (o.node !== undefined && o.node !== k.name) {
    throw new InvalidArgumentError(
      'spawn option node',
      `this node ('${k.name}') here; spawning on another node resolves a promise`,
      o.node,
    );
  }
  if (o.scheduler !== undefined) {
    const s = o.scheduler === 'auto' ? (k.threads?.leastLoaded() ?? 0) : o.scheduler;
    if (s >= k.schedulers) {
      throw new InvalidArgumentError('spawn option scheduler', `an index below ${k.schedulers} (the node's schedulers)`, o.scheduler);
    }
    if (s !== k.scheduler) return spawnElsewhere(k, s, parent, cls, args, o);
  }
  // Checked once: a class passed the check above, and defineActor checked what a name gives.
  const c = typeof cls === 'string' ? actorClass(cls) : cls;
  const holder = o.name === undefined ? undefined : k.whereis(o.name);
  if (holder !== undefined) throw new AlreadyRegisteredError(o.name!, holder.toString());
  const a = create(k, c, null, parent, args, o);
  if (o.name !== undefined) k.register(o.name, a.$pid);
  if (o.link) {
    const p = k.local(parent);
    if (p) link(p, a.$pid);
  }
  k.dispatcher.enqueue(a);
  return a.$pid;
}

/**
 * Creates an actor of `cls` and adds it to this scheduler, with a fresh pid or (`id`) the one
 * another scheduler allocated for it; its init is queued by the caller.
 */
export function create(
  k: Kernel,
  cls: ActorClass,
  id: number | null,
  parent: Pid,
  args: unknown,
  o: Pick<SpawnOptions, 'trapExit' | 'mailbox'>,
): ActorProcess {
  const a = new cls();
  const p = new ActorProcess(a);
  a.$p = p;
  p.$k = k;
  p.$pid = id === null ? k.newPid(p) : new Pid(k.name, id, k.incarnation, p);
  p.$parent = parent;
  p.$args = args;
  p.$flags = Flag.InitPending | (o.trapExit ? Flag.Trap : 0);
  if (o.mailbox) {
    const ext = p.$x();
    ext.capacity = o.mailbox.capacity;
    ext.overflow = o.mailbox.overflow ?? 'drop_newest';
  }
  k.add(p);
  if (k.inspect !== null) k.inspect.spawned(p);
  return p;
}

/**
 * Spawns on another scheduler of this node: the class must be defined by name (the thread
 * loads its own). The pid is allocated here and returned at once; the process starts there
 * when the spawn frame arrives. With `link: true` this side's half of the link exists at once,
 * the child's half when it starts.
 */
function spawnElsewhere(k: Kernel, s: number, parent: Pid, cls: unknown, args: unknown, o: SpawnOptions): Pid {
  const name = typeof cls === 'string' ? cls : isActorClass(cls) ? actorName(cls) : undefined;
  if (name === undefined) {
    throw new NotAnActorError(`${describeValue(cls)} (spawning on another scheduler needs a class named with defineActor)`);
  }
  // Every scheduler loads the same modules: a name unknown here is a mistake of the caller.
  if (typeof cls === 'string') actorClass(cls);
  const { scheduler: _s, ...rest } = o;
  const pid = k.threads!.spawnOn(s, parent, name, args, rest);
  if (o.link) {
    const p = k.local(parent);
    if (p) (p.$x().links ??= new Map()).set(pid.key, pid);
  }
  return pid;
}
