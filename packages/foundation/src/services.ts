import { actorClass, type ActorClass, type Pid } from '@foundation/runtime';
import { startPartitioned, startReplicated, startSingleton } from '@foundation/supervisor';
import { FoundationOptionError, UnknownTargetError } from './errors.js';
import { contextAware } from './envelope.js';
import type { Parts } from './internal/wiring.js';

/** Where startService runs a service: this node, once in the cluster, once per node, or one per key. */
export type ServiceStrategy = 'local' | 'singleton' | 'replicated' | 'partitioned';

/** A service started here, by strategy: how to reach it, stop it, and where it runs. */
export interface Running {
  readonly strategy: ServiceStrategy;
  resolve(key?: string): Promise<Pid>;
  stop(): Promise<void>;
  where(): string[];
}

const ASK_MS = 5000;

/** Starts this node's part of the service `name` with `strategy` (see Foundation.startService). */
export async function startStrategy(
  parts: Parts,
  strategy: ServiceStrategy,
  name: string,
  Cls: ActorClass | string,
  args: unknown,
  syncIntervalMs: number,
): Promise<Running> {
  const node = parts.node;
  const sync = { syncIntervalMs };
  // Its handlers open context envelopes (here, and on every node that starts it by name).
  // A class name not defined here is left to the node that runs it (its own startService wraps it there).
  const cls = classOf(Cls);
  if (cls !== undefined) contextAware(cls);
  if (strategy === 'local') {
    const sup = parts.supervisor;
    await sup.startChild({ id: name, start: [Cls, args] } as never);
    return {
      strategy,
      resolve: async () => {
        const known = parts.localPids.get(name);
        if (known) return known;
        const child = (await sup.whichChildren()).find((c) => c.id === name);
        return pidOrThrow(child?.pid ?? undefined, name);
      },
      stop: async () => {
        await sup.terminateChild(name);
        await sup.deleteChild(name);
      },
      where: () => [node.name],
    };
  }
  if (strategy === 'singleton') {
    const s = await startSingleton(node, { id: name, start: [Cls, args] } as never, sync);
    return {
      strategy,
      // This view may not show it yet (started elsewhere moments ago): then ask its member.
      resolve: async () => pidOrThrow((s.whereis() as Pid | undefined) ?? (await s.supervisor.locate(name, ASK_MS)), name),
      stop: () => s.stop(),
      where: () => {
        const pid = s.whereis() as Pid | undefined;
        return pid ? [pid.node] : [];
      },
    };
  }
  if (strategy === 'replicated') {
    const s = await startReplicated(node, { id: name, start: [Cls, args] } as never, sync);
    return {
      strategy,
      // The closest instance: this node's, else any running one.
      resolve: () => pidOrThrow((s.whereis() as Pid | undefined) ?? [...s.instances().values()][0], name),
      stop: () => s.stop(),
      where: () => [...s.instances().keys()],
    };
  }
  if (typeof args !== 'function')
    throw new FoundationOptionError('startService args (partitioned)', 'a function from the key to the init argument', args);
  const s = await startPartitioned(node, { id: name, start: [Cls] } as never, { ...sync, key: args as (k: string) => never });
  return {
    strategy,
    resolve: async (key?: string) => {
      if (typeof key !== 'string') throw new UnknownTargetError({ service: name }, 'a partitioned service needs a key: { service, key }');
      return (await s.ensure(key)) as Pid;
    },
    stop: () => s.stop(),
    where: () => [...new Set(s.supervisor.whichChildren().flatMap((c) => (c.pid ? [c.pid.node] : [])))],
  };
}

/** The class itself, or the class defined under a name here (undefined when none is). */
function classOf(cls: ActorClass | string): ActorClass | undefined {
  if (typeof cls !== 'string') return cls;
  try {
    return actorClass(cls);
  } catch {
    return undefined;
  }
}

function pidOrThrow(pid: Pid | undefined, name: string): Promise<Pid> {
  if (pid === undefined) return Promise.reject(new UnknownTargetError(name, 'the service has no running instance now'));
  return Promise.resolve(pid);
}
