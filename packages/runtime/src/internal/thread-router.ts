import type { Pid } from '../pid.js';
import type { Frame } from '../transport.js';
import type { ProcessInfo } from '../process-info.js';
import type { SpawnOptions } from './spawn.js';

/**
 * What a scheduler's kernel needs from the threads layer of a node with several schedulers:
 * frames to the other schedulers, frames to other nodes (workers go through the main thread,
 * which owns the transport), and the node-wide name table kept on the main thread.
 */
export interface ThreadRouter {
  /** Queues a frame for scheduler `s`; false when there is no such scheduler (or it is down). */
  send(s: number, frame: Frame): boolean;
  /** From a worker: a frame for another node, through the main thread; false when not connected. */
  sendToNode(node: string, frame: Frame): boolean;
  /** Claims `name` node-wide for `pid`; throws AlreadyRegisteredError when another holds it. */
  claimName(name: string, pid: Pid): void;
  /** Releases a name held by a process of another scheduler; false when nobody held it. */
  releaseName(name: string): boolean;
  /** Registers `name` for a process of another scheduler, on that scheduler; returns once done (throws as register does). */
  registerOn(name: string, pid: Pid): void;
  /** A name of this scheduler's was dropped (exit or unregister): tell the others. */
  nameChanged(name: string, pid: Pid | null, was: Pid): void;
  /** A name not in this scheduler's replica: ask the main thread. */
  whereis(name: string): Pid | undefined;
  /** Spawns a class defined by name on scheduler `s`; returns once it exists there. */
  spawnOn(s: number, parent: Pid, cls: string, args: unknown, opts: SpawnOptions): Pid;
  /** The scheduler with the fewest processes. */
  leastLoaded(): number;
  /** processInfo of a process of another scheduler. */
  info(pid: Pid): ProcessInfo | undefined;
  /** Pids of the other schedulers' processes. */
  processes(): Pid[];
  /** Publishes this scheduler's next pid sequence and process count. */
  publish(nextSeq: number, processes: number): void;
}
