import type { Pid } from '../pid.js';
import type { Frame } from '../transport.js';
import type { ProcessInfo } from '../process-info.js';
import type { SpawnOptions } from './spawn.js';

/**
 * What a scheduler's kernel needs from the threads layer of a node with several schedulers:
 * frames to the other schedulers, frames to other nodes (workers go through the main thread,
 * which owns the transport), and the node-wide name table kept on the main thread. Nothing
 * here makes the main thread wait for another scheduler (it owns the network and heartbeats);
 * a worker may wait for the main thread (name claims and misses), which answers at once.
 */
export interface ThreadRouter {
  /** Queues a frame for scheduler `s` (this one: for a pid whose spawn has not arrived); false when there is no such scheduler. */
  send(s: number, frame: Frame): boolean;
  /** From a worker: a frame for another node, through the main thread; false when not connected. */
  sendToNode(node: string, frame: Frame): boolean;
  /** Claims `name` node-wide for `pid`, a live process of this scheduler; throws AlreadyRegisteredError when another holds it. */
  claimName(name: string, pid: Pid): void;
  /** Releases a name held by a process not of this scheduler; false when nobody held it. */
  releaseName(name: string): boolean;
  /** Registers `name` for a process of another scheduler (it learns it by a message); throws as register does. */
  registerOn(name: string, pid: Pid): void;
  /** A name of this scheduler's was dropped (exit or unregister): tell the others. */
  nameChanged(name: string, pid: Pid | null, was: Pid): void;
  /** A name not in this scheduler's replica: ask the main thread. */
  whereis(name: string): Pid | undefined;
  /** Spawns a class defined by name on scheduler `s`: returns its pid at once, the process starts there when the spawn arrives. */
  spawnOn(s: number, parent: Pid, cls: string, args: unknown, opts: SpawnOptions): Pid;
  /** True for a pid id another scheduler allocated for this one whose spawn has not arrived yet. */
  arriving(id: number): boolean;
  /** The scheduler with the fewest processes. */
  leastLoaded(): number;
  /** processInfo of a process of another scheduler (or one not yet arrived here). */
  info(pid: Pid): Promise<ProcessInfo | undefined>;
  /** Pids of the other schedulers' processes. */
  processes(): Promise<Pid[]>;
  /** Publishes the next pid sequence this scheduler will allocate for `target`. */
  publishSeq(target: number, next: number): void;
  /** Publishes this scheduler's process count. */
  publishLoad(processes: number): void;
}
