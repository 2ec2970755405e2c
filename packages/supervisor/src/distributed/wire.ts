import { InvalidArgumentError, isPid, type Pid } from '@foundation/runtime';
import { HLC, type Timestamp } from '@foundation/crdt';
import type { ChildType, RestartType, Shutdown } from '../child-spec.js';

/**
 * A child spec as members replicate and send it: plain data, the class by the name it was
 * given with `defineActor` (each member resolves it to its own class).
 */
export interface WireSpec {
  readonly id: string;
  readonly cls: string;
  readonly args: unknown;
  readonly restart: RestartType;
  readonly shutdown: Shutdown;
  readonly type: ChildType;
}

/** Where one instance of a child runs: its pid and when it was started (the later start wins a duplicate). */
export interface RunInfo {
  readonly pid: Pid;
  readonly since: Timestamp;
}

/** What a member says about itself: the actor classes it can start. */
export interface MemberInfo {
  readonly classes: readonly string[];
}

/** The replicated map's keys: a child's spec, one instance of a child on one node, a member. */
export type MapKey = readonly ['spec', string] | readonly ['run', string, string] | readonly ['member', string];
/** The replicated map's values, by key kind. */
export type MapValue = WireSpec | RunInfo | MemberInfo;

/** Calls to a member's owner actor (from its handles, or another member's). */
export type OwnerCall =
  | { readonly $ds: 'start'; readonly spec: WireSpec }
  /** A spec started on another member as `pid`, recorded here too so that it survives that member's loss before it synced. */
  | { readonly $ds: 'know'; readonly spec: WireSpec; readonly pid: Pid }
  | { readonly $ds: 'terminate'; readonly id: string }
  | { readonly $ds: 'whereis'; readonly id: string }
  | { readonly $ds: 'restart'; readonly id: string };

/** A child handed over by its previous member: start it here with `state` (when `hasState`). */
export interface Takeover {
  readonly $ds: 'takeover';
  readonly spec: WireSpec;
  readonly hasState: boolean;
  readonly state: unknown;
}

/** A call's outcome: refusals travel as values (a throwing handler would crash the owner). */
export type OwnerReply = { readonly ok: unknown } | { readonly error: Error };

const RESTARTS = new Set(['permanent', 'transient', 'temporary']);
const TYPES = new Set(['worker', 'supervisor']);

const bad = (field: string, allowed: string, given: unknown) => new InvalidArgumentError(`distributed supervisor ${field}`, allowed, given);

function obj(x: unknown, field: string, allowed: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad(field, allowed, x);
  return x as Record<string, unknown>;
}

function str(x: unknown, field: string): string {
  if (typeof x !== 'string' || x.length === 0) throw bad(field, 'a non-empty string', x);
  return x;
}

/** Parses a spec that came from a peer (InvalidArgumentError naming the field). */
export function parseSpec(x: unknown, field = 'spec'): WireSpec {
  const o = obj(x, field, '{ id, cls, args, restart, shutdown, type }');
  const restart = o.restart;
  if (typeof restart !== 'string' || !RESTARTS.has(restart))
    throw bad(`${field}.restart`, "'permanent', 'transient' or 'temporary'", restart);
  const type = o.type;
  if (typeof type !== 'string' || !TYPES.has(type)) throw bad(`${field}.type`, "'worker' or 'supervisor'", type);
  const s = o.shutdown;
  if (!(s === 'brutal_kill' || s === 'infinity' || (typeof s === 'number' && Number.isInteger(s) && s >= 0))) {
    throw bad(`${field}.shutdown`, "ms, 'brutal_kill' or 'infinity'", s);
  }
  return {
    id: str(o.id, `${field}.id`),
    cls: str(o.cls, `${field}.cls`),
    args: o.args,
    restart: restart as RestartType,
    shutdown: s,
    type: type as ChildType,
  };
}

/** Parses a value of the replicated map for `key` (InvalidArgumentError when it is not the kind the key says). */
export function parseValue(key: MapKey, v: unknown): MapValue {
  switch (key[0]) {
    case 'spec': {
      const s = parseSpec(v, 'replicated spec');
      if (s.id !== key[1]) throw bad('replicated spec.id', `'${key[1]}'`, s.id);
      return s;
    }
    case 'run': {
      const o = obj(v, 'replicated run', '{ pid, since }');
      if (!isPid(o.pid) || o.pid.node !== key[2]) throw bad('replicated run.pid', `a pid of node '${key[2]}'`, o.pid);
      return { pid: o.pid, since: HLC.check(o.since, 'replicated run.since') };
    }
    case 'member': {
      const o = obj(v, 'replicated member', '{ classes }');
      if (!Array.isArray(o.classes) || o.classes.some((c) => typeof c !== 'string')) {
        throw bad('replicated member.classes', 'an array of class names', o.classes);
      }
      return { classes: o.classes as string[] };
    }
  }
}

/** Parses a key of the replicated map, or undefined for one that is none of ours. */
export function parseKey(k: unknown): MapKey | undefined {
  if (!Array.isArray(k) || k.some((p) => typeof p !== 'string')) return undefined;
  if ((k[0] === 'spec' || k[0] === 'member') && k.length === 2) return k as unknown as MapKey;
  if (k[0] === 'run' && k.length === 3) return k as unknown as MapKey;
  return undefined;
}

/** Parses a call to the owner (InvalidArgumentError for anything else). */
export function parseOwnerCall(x: unknown): OwnerCall {
  const o = obj(x, 'call', "{ $ds: 'start' | 'terminate' | 'restart', ... }");
  switch (o.$ds) {
    case 'start':
      return { $ds: 'start', spec: parseSpec(o.spec) };
    case 'know':
      if (!isPid(o.pid)) throw bad('call pid', 'a Pid', o.pid);
      return { $ds: 'know', spec: parseSpec(o.spec), pid: o.pid };
    case 'terminate':
    case 'restart':
    case 'whereis':
      return { $ds: o.$ds, id: str(o.id, 'call id') };
    default:
      throw bad('call', "{ $ds: 'start' | 'terminate' | 'restart', ... }", x);
  }
}

/** True for a message that claims to be a takeover (then parsed with parseTakeover). */
export function isTakeoverLike(x: unknown): boolean {
  return typeof x === 'object' && x !== null && (x as { $ds?: unknown }).$ds === 'takeover';
}

/** Parses a takeover (InvalidArgumentError when malformed). */
export function parseTakeover(x: unknown): Takeover {
  const o = obj(x, 'takeover', "{ $ds: 'takeover', spec, hasState, state }");
  if (typeof o.hasState !== 'boolean') throw bad('takeover.hasState', 'a boolean', o.hasState);
  return { $ds: 'takeover', spec: parseSpec(o.spec, 'takeover.spec'), hasState: o.hasState, state: o.state };
}

/** From the member that ran `pid`: the child ended for good, so the copy of its spec this member holds (`know`) goes too. */
export interface Forget {
  readonly $ds: 'forget';
  readonly id: string;
  readonly pid: Pid;
}

/** Parses a forget, or undefined for a message that is not one (a malformed one included: it is dropped). */
export function parseForget(x: unknown): Forget | undefined {
  if (typeof x !== 'object' || x === null || (x as Forget).$ds !== 'forget') return undefined;
  const o = x as Record<string, unknown>;
  if (typeof o.id !== 'string' || !isPid(o.pid)) return undefined;
  return { $ds: 'forget', id: o.id, pid: o.pid };
}
