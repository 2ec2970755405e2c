import { Actor, type Node } from '@foundation/runtime';
import { FoundationOptionError, MapReduceError, MapTaskError } from './errors.js';

/** A map step: one item in, one result out (may be async). */
export type MapTask<I = unknown, M = unknown> = (item: I) => M | Promise<M>;

const tasks = new Map<string, MapTask>();
const names = new Map<MapTask, string>();
const TASK_NAME = /^[A-Za-z0-9_.:-]+$/;

/**
 * Defines a map task by name, as defineActor defines a class: every node that loads the module
 * knows it, so mapReduce can run it on any node (functions themselves cannot cross). Returns `fn`.
 */
export function defineTask<I, M>(name: string, fn: MapTask<I, M>): MapTask<I, M> {
  if (typeof name !== 'string' || !TASK_NAME.test(name))
    throw new FoundationOptionError('defineTask name', 'a name (letters, digits, _ . : -)', name);
  if (typeof fn !== 'function') throw new FoundationOptionError('defineTask fn', 'a function', fn);
  tasks.set(name, fn as MapTask);
  names.set(fn as MapTask, name);
  return fn;
}

/** The registered name of each node's map worker. */
export const MAP_WORKER = 'foundation.map';

/** What a map worker is asked: run task `task` over `items`. */
interface Chunk {
  readonly task: string;
  readonly items: readonly unknown[];
}

function parseChunk(msg: unknown): Chunk | undefined {
  if (typeof msg !== 'object' || msg === null) return undefined;
  const m = msg as Record<string, unknown>;
  return typeof m.task === 'string' && Array.isArray(m.items) ? { task: m.task, items: m.items } : undefined;
}

/** Each node's map worker: runs a named task over a chunk of items and answers with the results in order. */
export class MapWorker extends Actor<never, ChunkReply, null> {
  // A task that throws is answered as an error: the worker (one per node) lives on.
  override async handleCall(msg: unknown): Promise<ChunkReply> {
    const chunk = parseChunk(msg);
    if (chunk === undefined) return { error: 'not a map chunk ({ task, items })' };
    const fn = tasks.get(chunk.task);
    if (fn === undefined) return { error: `no task '${chunk.task}' is defined on node ${this.node.name}` };
    const out: unknown[] = [];
    try {
      for (const item of chunk.items) out.push(await fn(item));
    } catch (e) {
      return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
    return { ok: out };
  }
}

/** A map worker's answer. */
export type ChunkReply = { readonly ok: unknown[] } | { readonly error: string };

/** Options of mapReduce. */
export interface MapReduceOptions {
  /** Chunks in flight at once, over the cluster (default: 2 per node). */
  readonly workers?: number;
  /** Items per chunk (default: enough for 4 chunks per worker). */
  readonly chunkSize?: number;
  /** Times a chunk is tried again on another node when its node is lost or does not answer (default 3). */
  readonly retries?: number;
  /** How long one chunk may take, in ms (default 30,000). */
  readonly timeoutMs?: number;
}

const KNOWN = ['workers', 'chunkSize', 'retries', 'timeoutMs'];

function positive(field: string, v: unknown, max: number): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max))
    throw new FoundationOptionError(`mapReduce ${field}`, `an integer from 0 to ${max}`, v);
}

/**
 * Maps `items` over the cluster's nodes in chunks (each node's MapWorker runs the named task),
 * then reduces the results, in item order, here. A chunk whose node is lost or does not answer
 * goes to the next node, up to `retries` times. A task that is a plain function (not defined
 * with defineTask) runs on this node only.
 */
export async function mapReduce<I, M, R>(
  node: Node,
  items: readonly I[],
  mapFn: MapTask<I, M> | string,
  reduceFn: (mapped: M[]) => R | Promise<R>,
  opts: MapReduceOptions = {},
): Promise<R> {
  const given: unknown = items;
  if (!Array.isArray(given)) throw new FoundationOptionError('mapReduce items', 'an array', given);
  if (typeof reduceFn !== 'function') throw new FoundationOptionError('mapReduce reduceFn', 'a function', reduceFn);
  if (typeof opts !== 'object' || opts === null) throw new FoundationOptionError('mapReduce options', 'an object', opts);
  for (const k of Object.keys(opts))
    if (!KNOWN.includes(k)) throw new FoundationOptionError('mapReduce options', `only ${KNOWN.join(', ')}`, k);
  positive('workers', opts.workers, 10_000);
  positive('chunkSize', opts.chunkSize, 1_000_000_000);
  positive('retries', opts.retries, 100);
  positive('timeoutMs', opts.timeoutMs, 2_147_483_647);
  const name = typeof mapFn === 'string' ? mapFn : names.get(mapFn as MapTask);
  if (typeof mapFn === 'string' && !tasks.has(mapFn))
    throw new FoundationOptionError('mapReduce mapFn', 'a task defined with defineTask', mapFn);
  if (typeof mapFn !== 'string' && typeof mapFn !== 'function')
    throw new FoundationOptionError('mapReduce mapFn', 'a function or a task name', mapFn);
  if (name === undefined) {
    // Not defined by name: it cannot cross, so it runs here.
    const out: M[] = [];
    for (const item of items) out.push(await (mapFn as MapTask<I, M>)(item));
    return reduceFn(out);
  }

  const nodeCount = node.nodes().length + 1;
  const workers = Math.max(1, opts.workers ?? 2 * nodeCount);
  const chunkSize = Math.max(1, opts.chunkSize ?? Math.ceil(items.length / (workers * 4)));
  const retries = opts.retries ?? 3;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const chunks: { start: number; items: I[] }[] = [];
  for (let i = 0; i < items.length; i += chunkSize) chunks.push({ start: i, items: items.slice(i, i + chunkSize) });
  const results: M[][] = new Array<M[]>(chunks.length);
  let next = 0;
  let turn = 0;

  const pickNode = (avoid: ReadonlySet<string>): string => {
    const all = [node.name, ...node.nodes()];
    const ok = all.filter((n) => !avoid.has(n));
    const pool = ok.length > 0 ? ok : [node.name];
    return pool[turn++ % pool.length]!;
  };

  const runChunk = async (index: number): Promise<void> => {
    const chunk = chunks[index]!;
    const failed = new Set<string>();
    let lastError: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const target = pickNode(failed);
      try {
        const reply = (await node.call(
          { name: MAP_WORKER, node: target } as never,
          { task: name, items: chunk.items } as never,
          timeoutMs,
        )) as ChunkReply;
        // A task that threw is the task's fault: the same input fails anywhere, so no retry.
        if ('error' in reply) throw new MapTaskError(chunk.start, target, reply.error);
        results[index] = reply.ok as M[];
        return;
      } catch (e) {
        if (!isLoss(e)) throw e;
        failed.add(target);
        lastError = e;
      }
    }
    throw new MapReduceError(chunk.start, retries + 1, lastError);
  };

  const lane = async (): Promise<void> => {
    while (next < chunks.length) await runChunk(next++);
  };
  await Promise.all(Array.from({ length: Math.min(workers, chunks.length) }, lane));
  return reduceFn(results.flat());
}

/** True for a failure that means the node was lost or did not answer, not that the task threw. */
function isLoss(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  const reason = (e as { reason?: unknown } | null)?.reason;
  return name === 'CallTimeoutError' || reason === 'noconnection' || reason === 'noproc';
}
