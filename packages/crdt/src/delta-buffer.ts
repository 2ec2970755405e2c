import type { ReplicatedCrdt } from './crdt.js';

/**
 * The deltas of local writes not yet acknowledged by every peer, numbered 1, 2, 3… Peers are
 * shipped the join of the deltas after the last one they were sent (a delta interval); what
 * every peer has acknowledged is freed, and the buffer never holds more than `capacity`
 * deltas: the oldest go first, and a peer that still needed them gets the full state instead.
 */
export class DeltaBuffer {
  private entries: { seq: number; delta: ReplicatedCrdt }[] = [];
  private topSeq = 0;
  private floorSeq = 0;

  constructor(readonly capacity: number) {}

  /** The number of the last delta pushed (0 before any). */
  get top(): number {
    return this.topSeq;
  }

  /** Deltas up to this number have been freed: a peer that has not acknowledged them needs the full state. */
  get floor(): number {
    return this.floorSeq;
  }

  /** Deltas held. */
  get length(): number {
    return this.entries.length;
  }

  /** Appends a delta; returns its number. Over capacity, the oldest half is dropped. */
  push(delta: ReplicatedCrdt): number {
    this.entries.push({ seq: ++this.topSeq, delta });
    if (this.entries.length > this.capacity) this.dropThrough(this.entries[this.entries.length - 1 - Math.floor(this.capacity / 2)]!.seq);
    return this.topSeq;
  }

  /** Frees every delta numbered `seq` or below. */
  dropThrough(seq: number): void {
    if (seq <= this.floorSeq) return;
    const s = Math.min(seq, this.topSeq);
    let i = 0;
    while (i < this.entries.length && this.entries[i]!.seq <= s) i++;
    if (i > 0) this.entries = this.entries.slice(i);
    this.floorSeq = s;
  }

  /** The join of the deltas numbered after `after` (which must be ≥ floor), as one delta group. */
  since(after: number, empty: () => ReplicatedCrdt): ReplicatedCrdt {
    const group = empty();
    for (const e of this.entries) if (e.seq > after) (group as { join(o: unknown): unknown }).join(e.delta);
    return group;
  }
}
