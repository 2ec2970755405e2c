import type { Pid } from '../pid.js';
import { NotAnActorError } from '../errors.js';
import { actorName } from '../actor-registry.js';
import type { ActorClass } from '../actor.js';
import { call, reply, type From } from './calls.js';
import type { Kernel } from './kernel.js';
import type { ProcessCore } from './process.js';
import { link } from './signals.js';
import { checkSpawnOptions, spawn, type SpawnOptions } from './spawn.js';

/** The name under which a node's own process answers requests from other nodes. */
export const NODE_SERVICE = '$node';

/** A request to spawn a defined actor class on the receiving node. */
export interface SpawnRequest {
  readonly spawn: string;
  readonly args: unknown;
  readonly opts: Omit<SpawnOptions, 'node'>;
}

type SpawnReply = { pid: Pid } | { error: Error };

/** True for a SpawnRequest. */
export function isSpawnRequest(x: unknown): x is SpawnRequest {
  return typeof x === 'object' && x !== null && typeof (x as SpawnRequest).spawn === 'string' && 'opts' in x;
}

/**
 * Spawns a defined actor class on `opts.node` with `p` as its parent (and linked to it with
 * `link: true`); resolves with the new pid. Rejects as a call would: CallExitError
 * `'noconnection'` for a node not connected, or the remote spawn's own error.
 */
export async function spawnOn(p: ProcessCore, cls: ActorClass | string, args: unknown, opts: SpawnOptions): Promise<Pid> {
  const { node, ...rest } = checkSpawnOptions(opts);
  const k = p.$k;
  if (node === undefined || node === k.name) return spawn(k, p.$pid, cls, args, rest);
  const name = typeof cls === 'string' ? cls : actorName(cls);
  if (name === undefined) {
    throw new NotAnActorError(`${(cls as ActorClass).name} (spawning on another node needs a class named with defineActor)`);
  }
  const request: SpawnRequest = { spawn: name, args, opts: rest };
  const r = (await call(p, { name: NODE_SERVICE, node }, request)) as SpawnReply;
  if ('error' in r) throw r.error;
  return r.pid;
}

/** Serves a SpawnRequest that arrived at this node's own process. */
export function serveSpawn(k: Kernel, req: SpawnRequest, from: From): void {
  let r: SpawnReply;
  try {
    const pid = spawn(k, from.pid, req.spawn, req.args, { ...req.opts, link: false });
    if (req.opts.link) link(k.local(pid)!, from.pid);
    r = { pid };
  } catch (e) {
    r = { error: e as Error };
  }
  reply(k, from, r, k.root);
}
