/** What a mailbox entry is: decides which callback of the actor it goes to. */
export const enum Kind {
  /** A plain send: `handleInfo`. */
  Info = 0,
  /** `handleCast`. */
  Cast = 1,
  /** `handleCall`; the payload is a CallEnvelope. */
  Call = 2,
  /** A trapped exit signal, `{ from, reason }`: `handleInfo`, or terminate when from the parent. */
  Exit = 3,
  /** A monitor's DOWN, or a node event for a process that monitors nodes: `handleInfo`; never dropped by a bounded mailbox. */
  Down = 4,
}

/** What `dropOldestUser` returns for a dropped send or cast. */
export const DROPPED: unique symbol = Symbol('dropped');

/**
 * The user-message queue of one actor: a growable ring buffer of (kind, payload) pairs, so an
 * enqueue allocates nothing. System signals do not live here (see ProcessExt.signals).
 */
export class Mailbox {
  private buf: unknown[];
  private kinds: Uint8Array;
  private head = 0;
  /** Number of queued messages. */
  length = 0;
  /** Of those, trapped EXITs and DOWNs (a bounded mailbox counts only the others). */
  system = 0;
  /** Messages taken out with `shift` (handled) so far: kept here, not on every process, as only actors with a mailbox have any. */
  handled = 0;

  constructor(initialCapacity = 4) {
    this.buf = new Array(initialCapacity);
    this.kinds = new Uint8Array(initialCapacity);
  }

  push(kind: Kind, payload: unknown): void {
    const cap = this.buf.length;
    if (this.length === cap) this.grow(cap);
    const i = (this.head + this.length) & (this.buf.length - 1);
    this.buf[i] = payload;
    this.kinds[i] = kind;
    this.length++;
    if (kind >= Kind.Exit) this.system++;
  }

  /** Kind of the oldest message; call before `shift`. */
  peekKind(): Kind {
    return this.kinds[this.head] as Kind;
  }

  /** Removes and returns the oldest message's payload. */
  shift(): unknown {
    const i = this.head;
    const payload = this.buf[i];
    if (this.kinds[i]! >= Kind.Exit) this.system--;
    this.buf[i] = undefined;
    this.head = (i + 1) & (this.buf.length - 1);
    this.length--;
    this.handled++;
    return payload;
  }

  /**
   * Removes the oldest user message (send, cast or call), leaving trapped EXITs and DOWNs in
   * place: a bounded mailbox never drops those. Returns the removed call's envelope (its caller
   * must be told), DROPPED for a send or cast, or null when only system messages are queued.
   */
  dropOldestUser(): unknown {
    const mask = this.buf.length - 1;
    let n = 0;
    while (n < this.length && this.kinds[(this.head + n) & mask]! >= Kind.Exit) n++;
    if (n === this.length) return null;
    const i = (this.head + n) & mask;
    const dropped = this.kinds[i] === Kind.Call ? this.buf[i] : DROPPED;
    // Move the n system messages ahead of it one slot up, over the dropped one.
    for (let j = n; j > 0; j--) {
      const to = (this.head + j) & mask;
      const from = (this.head + j - 1) & mask;
      this.buf[to] = this.buf[from];
      this.kinds[to] = this.kinds[from]!;
    }
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & mask;
    this.length--;
    return dropped;
  }

  /** Visits the queued messages oldest first, without removing them. */
  forEach(fn: (kind: Kind, payload: unknown) => void): void {
    const mask = this.buf.length - 1;
    for (let n = 0; n < this.length; n++) {
      const i = (this.head + n) & mask;
      fn(this.kinds[i] as Kind, this.buf[i]);
    }
  }

  private grow(cap: number): void {
    const buf = new Array(cap * 2);
    const kinds = new Uint8Array(cap * 2);
    for (let n = 0; n < this.length; n++) {
      const i = (this.head + n) & (cap - 1);
      buf[n] = this.buf[i];
      kinds[n] = this.kinds[i]!;
    }
    this.buf = buf;
    this.kinds = kinds;
    this.head = 0;
  }
}
