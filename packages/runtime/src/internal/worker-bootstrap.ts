import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { InvalidArgumentError } from '../errors.js';

/*
 * Starting worker threads that run our modules, from TypeScript source (under vitest or tsx)
 * as well as from dist (plain node). On Node 20, tsx hooks only the main thread, and a .ts
 * worker entry fails with "Unknown file extension" even with `--import tsx` in execArgv. So a
 * worker that runs from source starts from a small eval'd bootstrap that registers tsx's ESM
 * hooks inside the worker and then imports the entry; from dist the entry is started as is.
 * See TOOLCHAIN.md, "TypeScript worker threads on Node 20".
 */

/** The export condition that resolves our packages to their TypeScript source. */
export const SOURCE_CONDITION = '@foundation/source';

const TYPESCRIPT = /\.[cm]?ts$/;

/** True when `url` names a TypeScript module (.ts, .mts, .cts). */
export function isTypeScriptUrl(url: string | URL): boolean {
  return TYPESCRIPT.test(new URL(url).pathname);
}

/** True when the runtime itself runs from its TypeScript source (vitest, tsx), not from dist. */
export const runningFromSource: boolean = isTypeScriptUrl(import.meta.url);

/**
 * The module `baseName` next to the caller: `baseName.ts` when the caller runs from source,
 * `baseName.js` when it runs from dist. Call it as `siblingModule(import.meta.url, 'worker')`.
 */
export function siblingModule(importMetaUrl: string, baseName: string): URL {
  if (typeof importMetaUrl !== 'string' || !URL.canParse(importMetaUrl)) {
    throw new InvalidArgumentError('importMetaUrl', 'a URL (import.meta.url)', importMetaUrl);
  }
  if (typeof baseName !== 'string' || baseName === '' || /\.[cm]?[jt]s$/.test(baseName)) {
    throw new InvalidArgumentError('baseName', 'a module name without extension', baseName);
  }
  return new URL(`./${baseName}${isTypeScriptUrl(importMetaUrl) ? '.ts' : '.js'}`, importMetaUrl);
}

/** True when `execArgv` passes `--conditions=name` (in any of node's spellings). */
export function hasCondition(execArgv: readonly string[], name: string): boolean {
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (a === `--conditions=${name}` || a === `-C=${name}`) return true;
    if ((a === '--conditions' || a === '-C') && execArgv[i + 1] === name) return true;
  }
  return false;
}

/**
 * The execArgv for a worker that runs from source: the parent's, plus the source condition
 * if the parent was resolved some other way (vitest resolves it inside its module runner,
 * which a worker does not have). `undefined` means "inherit the parent's", node's default.
 */
export function workerExecArgv(fromSource: boolean): string[] | undefined {
  if (!fromSource || hasCondition(process.execArgv, SOURCE_CONDITION)) return undefined;
  return [...process.execArgv, `--conditions=${SOURCE_CONDITION}`];
}

/**
 * The URL of tsx's ESM API (`register()`), looked up from `entry` first (its package may
 * have tsx when the runtime does not), then from the runtime.
 */
export function resolveTsx(entry: URL): string {
  for (const from of [entry.href, import.meta.url]) {
    let cjs: string;
    try {
      cjs = createRequire(from).resolve('tsx/esm/api');
    } catch {
      continue;
    }
    // require.resolve finds the CommonJS build, whose register() points its hooks at a path
    // that does not exist when called from a worker; the ESM build sits next to it.
    const esm = cjs.replace(/\.cjs$/, '.mjs');
    return pathToFileURL(existsSync(esm) ? esm : cjs).href;
  }
  throw new InvalidArgumentError('entry', 'a JavaScript module, or TypeScript with tsx installed', entry.href);
}

/** Options of `startWorker`, passed on to `new Worker`. */
export interface StartWorkerOptions {
  /** A name for the thread, shown in debuggers and in `threadName`. */
  name?: string;
  transferList?: WorkerOptions['transferList'];
  env?: WorkerOptions['env'];
  resourceLimits?: WorkerOptions['resourceLimits'];
}

/**
 * Starts a worker thread that runs the ES module `entry` (a file: URL of a .ts or .js module)
 * with `workerData`. From source, the worker registers tsx and imports the entry; from dist
 * it is a plain `new Worker(entry)`. Either way the worker resolves our packages the same way
 * as its parent. A failure to load the entry arrives as the worker's 'error' event.
 */
export function startWorker(entry: URL, workerData: unknown, opts: StartWorkerOptions = {}): Worker {
  if (!(entry instanceof URL) || entry.protocol !== 'file:') {
    throw new InvalidArgumentError('entry', 'a file: URL', entry);
  }
  if (opts.name !== undefined && typeof opts.name !== 'string') {
    throw new InvalidArgumentError('opts.name', 'a string', opts.name);
  }
  const fromSource = runningFromSource || isTypeScriptUrl(entry);
  const options: WorkerOptions = {
    workerData,
    // The runtime's own mode decides how our packages resolve in the worker, not the entry's:
    // a .ts entry started by the runtime from dist still gets the dist runtime.
    execArgv: workerExecArgv(runningFromSource),
    ...(opts.name !== undefined && { name: opts.name }),
    ...(opts.transferList !== undefined && { transferList: opts.transferList }),
    ...(opts.env !== undefined && { env: opts.env }),
    ...(opts.resourceLimits !== undefined && { resourceLimits: opts.resourceLimits }),
  };
  if (!fromSource) return new Worker(entry, options);
  return new Worker(bootstrapCode(resolveTsx(entry), entry), { ...options, eval: true });
}

// Runs as a CommonJS script inside the worker. A failed import is rethrown outside the
// promise, so that it becomes the worker's 'error' event rather than an unhandled rejection.
function bootstrapCode(tsxApiUrl: string, entry: URL): string {
  return (
    `import(${JSON.stringify(tsxApiUrl)})` +
    `.then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })` +
    `.catch((error) => { process.nextTick(() => { throw error; }); });`
  );
}
