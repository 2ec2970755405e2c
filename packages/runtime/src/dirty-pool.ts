import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { InvalidArgumentError, StoppedError } from './errors.js';
import { checkDuration } from './duration.js';
import { checkKnownOptions } from './known-options.js';
import { runningFromSource, workerExecArgv } from './internal/worker-bootstrap.js';

/*
 * The dirty pool: CPU-bound work that must not block a scheduler runs on a piscina pool of
 * worker threads, like BEAM's dirty schedulers. A task names a function by module URL and
 * export, so nothing but plain data crosses the thread boundary; input and result are copied
 * by structured clone (Map, Set, Date, typed arrays survive; a SharedArrayBuffer is shared).
 */

/** Options of a `DirtyPool`. */
export interface DirtyPoolOptions {
  /** How many threads at most; the default is the number of cores. Threads start on demand. */
  threads?: number;
  /** How long an idle thread lives before it exits, in ms; default 30,000. */
  idleTimeoutMs?: number;
}

/** What the worker (dirty-worker.mjs) is given. */
interface TaskRequest {
  moduleUrl: string;
  exportName: string;
  input: unknown;
}

/** What was thrown in the worker, as plain data (see dirty-worker.mjs). */
type ThrownRecord =
  | { kind: 'value'; value: unknown }
  | {
      kind: 'error';
      name: string;
      message: string;
      stack?: string;
      fields: Record<string, unknown>;
      cause?: ThrownRecord;
    };

/** What the worker answers. */
type TaskAnswer = { ok: true; value: unknown } | { ok: false; error: ThrownRecord };

const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

// Next to this module in src/ as in dist/ (the build copies it).
const WORKER_FILE = fileURLToPath(new URL('./dirty-worker.mjs', import.meta.url));

/**
 * A pool of threads for CPU-bound work. `run(moduleUrl, exportName, input)` calls the named
 * export of that module on a pool thread and resolves to its result; if the task throws, the
 * promise rejects with the task's error (same name, message, stack, cause and fields). Task
 * modules may be TypeScript when running from source.
 */
export class DirtyPool {
  readonly #piscina: Piscina<TaskRequest, TaskAnswer>;
  #destroyed: Promise<void> | null = null;

  constructor(opts: DirtyPoolOptions = {}) {
    checkKnownOptions('DirtyPool', opts, ['threads', 'idleTimeoutMs']);
    const threads = opts.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) {
      throw new InvalidArgumentError('threads', 'a positive integer', opts.threads);
    }
    const idleTimeoutMs = checkDuration('idleTimeoutMs', opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, { infinity: true });
    const execArgv = workerExecArgv(runningFromSource);
    this.#piscina = new Piscina<TaskRequest, TaskAnswer>({
      filename: WORKER_FILE,
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: idleTimeoutMs,
      ...(execArgv !== undefined && { execArgv }),
    });
  }

  /** How many threads the pool may use at once. */
  get threads(): number {
    return this.#piscina.maxThreads;
  }

  /**
   * Runs `exportName(input)` from the module at `moduleUrl` (a file: URL of a .js module, or
   * of a .ts module when running from source) on a pool thread. The function may be async.
   */
  async run(moduleUrl: string | URL, exportName: string, input: unknown): Promise<unknown> {
    const url = moduleUrl instanceof URL ? moduleUrl.href : moduleUrl;
    if (typeof url !== 'string' || !URL.canParse(url) || new URL(url).protocol !== 'file:') {
      throw new InvalidArgumentError('moduleUrl', 'a file: URL', moduleUrl);
    }
    if (typeof exportName !== 'string' || exportName === '') {
      throw new InvalidArgumentError('exportName', 'the name of an exported function', exportName);
    }
    if (this.#destroyed !== null) throw new StoppedError('the dirty pool');
    let answer: TaskAnswer;
    try {
      answer = await this.#piscina.run({ moduleUrl: url, exportName, input });
    } catch (e) {
      // piscina's own "Terminating worker thread" says less than this.
      if (this.#destroyed === null) throw e;
      const stopped = new StoppedError('the dirty pool');
      stopped.cause = e;
      throw stopped;
    }
    if (answer.ok) return answer.value;
    throw rebuild(answer.error);
  }

  /** Stops the threads; tasks still queued or running reject with a StoppedError. Idempotent. */
  destroy(): Promise<void> {
    this.#destroyed ??= this.#piscina.destroy();
    return this.#destroyed;
  }
}

// Like the codec's Error extension: an Error that carries the original name as an own
// non-enumerable property, so `SomeError.is(e)` and `e.name` behave as they did in the worker.
function rebuild(r: ThrownRecord): unknown {
  if (r.kind === 'value') return r.value;
  const e = new Error(r.message, r.cause === undefined ? undefined : { cause: rebuild(r.cause) });
  Object.assign(e, r.fields);
  Object.defineProperty(e, 'name', { value: r.name, enumerable: false, writable: true, configurable: true });
  if (r.stack !== undefined) e.stack = r.stack;
  return e;
}
