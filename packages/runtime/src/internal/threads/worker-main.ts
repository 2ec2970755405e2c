/*
 * The entry of a worker scheduler thread: loads the node's modules (where actor classes are
 * defined by name), starts this scheduler's kernel, and tells the main thread it is ready.
 */
import { workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { Node } from '../../node.js';
import type { WorkerInit } from './main.js';

const init = workerData as WorkerInit;
for (const m of init.modules) await import(m.startsWith('file:') ? m : pathToFileURL(m).href);
await Node.$startScheduler(init);
