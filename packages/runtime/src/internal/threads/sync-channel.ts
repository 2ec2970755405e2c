import { decode, encode } from '../../codec.js';
import { StoppedError } from '../../errors.js';

const enum State {
  Idle = 0,
  Request = 1,
  Response = 2,
  /** A part of a response too big for one slot; more follow. */
  Chunk = 3,
  /** The requester has copied a chunk out. */
  ChunkTaken = 4,
  /** The responder is working on the request. */
  Working = 5,
}

/** Bytes of one request or response chunk. */
const SLOT_BYTES = 256 * 1024;
const HEADER = 8;

/** Shared memory for the sync channels of `n` schedulers: a doorbell each, a slot per ordered pair. */
export function syncMemory(n: number): SharedArrayBuffer {
  return new SharedArrayBuffer(4 * n + n * n * (HEADER + SLOT_BYTES));
}

/**
 * Synchronous requests between the schedulers of one node, for the few operations whose API
 * returns at once (spawn on another scheduler, register, processInfo). The requester blocks
 * on its doorbell (Atomics.wait) and, while it waits, serves requests addressed to it, so two
 * schedulers asking each other at the same time cannot deadlock. A scheduler that is running
 * JavaScript answers when it next reaches its event loop: `poke` wakes it there.
 */
export class SyncChannel {
  private readonly bells: Int32Array;
  private serving = false;

  constructor(
    private readonly sab: SharedArrayBuffer,
    private readonly n: number,
    private readonly me: number,
    private readonly handle: (from: number, request: unknown) => unknown,
    private readonly poke: (to: number) => void,
    private readonly timeoutMs = 30_000,
  ) {
    this.bells = new Int32Array(sab, 0, n);
  }

  private state(from: number, to: number): Int32Array {
    return new Int32Array(this.sab, this.offset(from, to), 2);
  }

  private data(from: number, to: number): Uint8Array {
    return new Uint8Array(this.sab, this.offset(from, to) + HEADER, SLOT_BYTES);
  }

  private offset(from: number, to: number): number {
    return 4 * this.n + (from * this.n + to) * (HEADER + SLOT_BYTES);
  }

  private ring(who: number): void {
    Atomics.add(this.bells, who, 1);
    Atomics.notify(this.bells, who);
  }

  /** Waits until `done()` holds, serving others meanwhile; throws after the timeout. */
  private waitUntil(done: () => boolean, what: string): void {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const bell = Atomics.load(this.bells, this.me);
      if (done()) return;
      this.serve();
      if (done()) return;
      if (Date.now() > deadline) throw new StoppedError(`scheduler answering ${what} (no answer in ${this.timeoutMs} ms)`);
      Atomics.wait(this.bells, this.me, bell, 20);
    }
  }

  /** Sends `request` to scheduler `to` and blocks until its answer. */
  request(to: number, request: unknown): unknown {
    const st = this.state(this.me, to);
    const bytes = encode(request);
    if (bytes.length > SLOT_BYTES) throw new RangeError(`a scheduler request of ${bytes.length} bytes is over ${SLOT_BYTES}`);
    this.data(this.me, to).set(bytes);
    st[1] = bytes.length;
    Atomics.store(st, 0, State.Request);
    this.ring(to);
    this.poke(to);
    const parts: Uint8Array[] = [];
    for (;;) {
      this.waitUntil(() => {
        const s = Atomics.load(st, 0);
        return s === State.Response || s === State.Chunk;
      }, `request ${this.me}→${to}`);
      parts.push(this.data(this.me, to).slice(0, st[1]));
      if (Atomics.load(st, 0) === State.Response) break;
      Atomics.store(st, 0, State.ChunkTaken);
      this.ring(to);
    }
    Atomics.store(st, 0, State.Idle);
    const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const answer = decode(all) as { ok: unknown } | { error: Error };
    if ('error' in answer) throw answer.error;
    return answer.ok;
  }

  /** Answers every request waiting for this scheduler. */
  serve(): void {
    if (this.serving) return;
    this.serving = true;
    try {
      for (let from = 0; from < this.n; from++) {
        if (from === this.me) continue;
        const st = this.state(from, this.me);
        if (Atomics.compareExchange(st, 0, State.Request, State.Working) !== State.Request) continue;
        const req = decode(this.data(from, this.me).slice(0, st[1]));
        let answer: { ok: unknown } | { error: unknown };
        try {
          answer = { ok: this.handle(from, req) };
        } catch (e) {
          answer = { error: e };
        }
        this.answer(from, st, encode(answer));
      }
    } finally {
      this.serving = false;
    }
  }

  private answer(from: number, st: Int32Array, bytes: Uint8Array): void {
    const slot = this.data(from, this.me);
    for (let at = 0; ; at += SLOT_BYTES) {
      const part = bytes.subarray(at, at + SLOT_BYTES);
      slot.set(part);
      st[1] = part.length;
      const last = at + SLOT_BYTES >= bytes.length;
      Atomics.store(st, 0, last ? State.Response : State.Chunk);
      this.ring(from);
      if (last) return;
      this.serving = false; // others may be served while the requester copies the chunk
      this.waitUntil(() => Atomics.load(st, 0) === State.ChunkTaken, `chunk ${this.me}→${from}`);
      this.serving = true;
    }
  }
}
