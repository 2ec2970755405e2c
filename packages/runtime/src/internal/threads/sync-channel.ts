import { decode, encode } from '../../codec.js';
import { InvalidArgumentError, StoppedError } from '../../errors.js';

const enum State {
  Idle = 0,
  Request = 1,
  Response = 2,
}

/** Bytes of one request or answer (names and pids: small). */
const SLOT_BYTES = 64 * 1024;
const HEADER = 8;

/** Shared memory for the sync channel of a node with `n` schedulers: one slot per worker. */
export function syncMemory(n: number): SharedArrayBuffer {
  return new SharedArrayBuffer(n * (HEADER + SLOT_BYTES));
}

/**
 * Synchronous requests from a worker scheduler to the main thread, for the name operations
 * whose API returns at once on a worker (claim, release, a lookup its replica misses). The
 * worker blocks (Atomics.wait) until the main thread answers from its event loop, woken
 * there by `poke`. Only workers ever wait, and only for the main thread, which never waits
 * for anyone: no deadlock, and the thread that owns the network never freezes.
 */
export class SyncChannel {
  constructor(
    private readonly sab: SharedArrayBuffer,
    private readonly n: number,
    private readonly timeoutMs = 30_000,
  ) {}

  private state(worker: number): Int32Array {
    return new Int32Array(this.sab, worker * (HEADER + SLOT_BYTES), 2);
  }

  private data(worker: number): Uint8Array {
    return new Uint8Array(this.sab, worker * (HEADER + SLOT_BYTES) + HEADER, SLOT_BYTES);
  }

  /** Worker `me`: sends `request` to the main thread (`poke` wakes it) and blocks until its answer. */
  request(me: number, request: unknown, poke: () => void): unknown {
    const st = this.state(me);
    const bytes = encode(request);
    if (bytes.length > SLOT_BYTES) {
      throw new InvalidArgumentError('name request', `under ${SLOT_BYTES} bytes encoded`, `${bytes.length} bytes`);
    }
    this.data(me).set(bytes);
    st[1] = bytes.length;
    Atomics.store(st, 0, State.Request);
    poke();
    const deadline = Date.now() + this.timeoutMs;
    while (Atomics.load(st, 0) !== State.Response) {
      const left = deadline - Date.now();
      if (left <= 0) {
        Atomics.store(st, 0, State.Idle);
        throw new StoppedError(`the main thread answering scheduler ${me} (no answer in ${this.timeoutMs} ms)`);
      }
      Atomics.wait(st, 0, State.Request, left);
    }
    const answer = decode(this.data(me).slice(0, st[1])) as { ok: unknown } | { error: Error };
    Atomics.store(st, 0, State.Idle);
    if ('error' in answer) throw answer.error;
    return answer.ok;
  }

  /** Main thread: answers every request waiting, with what `handle` returns or throws. */
  serve(handle: (from: number, request: unknown) => unknown): void {
    for (let from = 1; from < this.n; from++) {
      const st = this.state(from);
      if (Atomics.load(st, 0) !== State.Request) continue;
      const req = decode(this.data(from).slice(0, st[1]));
      let answer: { ok: unknown } | { error: unknown };
      try {
        answer = { ok: handle(from, req) };
      } catch (e) {
        answer = { error: e };
      }
      const bytes = encode(answer);
      this.data(from).set(bytes.subarray(0, SLOT_BYTES));
      st[1] = bytes.length;
      Atomics.store(st, 0, State.Response);
      Atomics.notify(st, 0);
    }
  }
}
