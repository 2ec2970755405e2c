import { checkDuration, checkKnownOptions } from '@foundation/runtime';
import { DistributedSupervisorOptionError } from './errors.js';

/**
 * Picks the member that runs child `id` from the live members (sorted), or undefined: it runs
 * nowhere for now. Must be deterministic: every member asks it, and must get the same answer.
 * An answer that is not a live member falls back to the ring.
 */
export type Placement = (id: string, members: readonly string[]) => string | undefined;

/**
 * Where children run: `'rendezvous'` (highest-random-weight hashing of the id over the live
 * members), `'quorum'` (the same, but a side of the cluster without a majority of the known
 * members runs nothing: no duplicate over availability), or a function of the caller's.
 */
export type Distribution = 'rendezvous' | 'quorum' | Placement;

/** Options of `DistributedSupervisor.start`. */
export interface DistributedSupervisorOptions {
  /** The supervisor's name: the same on every member (its owner actor is registered under it). */
  name: string;
  /** `'auto'` (default): every connected node running a supervisor of this name; or the node names allowed to be members. */
  members?: 'auto' | readonly string[];
  /** Default `'rendezvous'`. */
  distribution?: Distribution;
  /**
   * `'passive'` (default): a running child stays where it is until it restarts. `'active'`: a
   * child moves to the member that now owns it (a joining node), handing its state over.
   */
  redistribution?: 'passive' | 'active';
  /** Milliseconds between shipments of changes to the other members, and between placement checks (default 100). */
  syncIntervalMs?: number;
  /** Local crashes: at most this many restarts on this node within `maxSeconds` (default 3), then the supervisor gives up. */
  maxRestarts?: number;
  /** The intensity window in seconds (default 5). */
  maxSeconds?: number;
  /** How long a child may take to hand its state over (`handoff()` and terminate) before it is killed (default 5000). */
  handoffTimeoutMs?: number;
}

/** The options with their defaults applied. */
export interface CheckedOptions {
  readonly name: string;
  readonly members: 'auto' | readonly string[];
  readonly distribution: Distribution;
  readonly redistribution: 'passive' | 'active';
  readonly syncIntervalMs: number;
  readonly maxRestarts: number;
  readonly maxSeconds: number;
  readonly handoffTimeoutMs: number;
}

/** How often members exchange their state when `syncIntervalMs` is not given. */
export const DEFAULT_SYNC_INTERVAL_MS = 100;

const KEYS = ['name', 'members', 'distribution', 'redistribution', 'syncIntervalMs', 'maxRestarts', 'maxSeconds', 'handoffTimeoutMs'];

/** Checks the options field by field (DistributedSupervisorOptionError, UnknownOptionError) and applies the defaults. */
export function checkDistributedOptions(opts: unknown, self: string): CheckedOptions {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new DistributedSupervisorOptionError('options', 'an object { name, ... }', opts);
  }
  checkKnownOptions('DistributedSupervisor.start', opts, KEYS);
  const o = opts;
  if (typeof o.name !== 'string' || o.name.length === 0) throw new DistributedSupervisorOptionError('name', 'a non-empty string', o.name);
  const members = o.members ?? 'auto';
  if (members !== 'auto') {
    if (!Array.isArray(members) || members.some((m) => typeof m !== 'string' || m.length === 0)) {
      throw new DistributedSupervisorOptionError('members', "'auto' or an array of node names", members);
    }
    if (!members.includes(self)) throw new DistributedSupervisorOptionError('members', `a list including this node ('${self}')`, members);
  }
  const distribution = o.distribution ?? 'rendezvous';
  if (distribution !== 'rendezvous' && distribution !== 'quorum' && typeof distribution !== 'function') {
    throw new DistributedSupervisorOptionError(
      'distribution',
      "'rendezvous', 'quorum' or a function (id, members) => member",
      distribution,
    );
  }
  const redistribution = o.redistribution ?? 'passive';
  if (redistribution !== 'passive' && redistribution !== 'active') {
    throw new DistributedSupervisorOptionError('redistribution', "'passive' or 'active'", redistribution);
  }
  for (const k of ['syncIntervalMs', 'handoffTimeoutMs'] as const) {
    if (o[k] !== undefined) checkDuration(`DistributedSupervisor.start option ${k}`, o[k], { positive: true });
  }
  for (const k of ['maxRestarts', 'maxSeconds'] as const) {
    const v = o[k];
    if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= 0)) {
      throw new DistributedSupervisorOptionError(k, 'an integer ≥ 0', v);
    }
  }
  return {
    name: o.name,
    members: members === 'auto' ? 'auto' : Object.freeze([...(members as string[])]),
    distribution: distribution as Distribution,
    redistribution,
    syncIntervalMs: (o.syncIntervalMs as number | undefined) ?? DEFAULT_SYNC_INTERVAL_MS,
    maxRestarts: (o.maxRestarts as number | undefined) ?? 3,
    maxSeconds: (o.maxSeconds as number | undefined) ?? 5,
    handoffTimeoutMs: (o.handoffTimeoutMs as number | undefined) ?? 5000,
  };
}
