import { FrameTooLargeError, Snapshotter, encode, shortReason, type Frame } from '@foundation/runtime';
import { ENCODED } from './wire.js';

/** Frames whose encoding could pass this many bytes are encoded at send, not snapshotted (as the mesh does). */
export const SNAPSHOT_MAX_BYTES = 1024;
/** Message lengths tried, longest first, when an exit reason is shortened to fit maxFrameBytes. */
const REASON_CHARS = [1000, 200, 40, 0];

/** The items of one NATS message being filled, and a bound of their encoded size. */
export interface Batch {
  items: unknown[];
  bytes: number;
}

/**
 * Frames queued for one peer until the flush, in send order, cut into batches of at most
 * `batchBytes` (one NATS message each). A small plain frame is snapshotted at send (OTP copies
 * at send: a payload changed after `send` must not change what travels); any other is encoded
 * at once, and one over `maxFrameBytes` throws FrameTooLargeError to the sender — except an
 * exit or down signal, whose reason is shortened until it fits: a link or monitor fires once, always.
 */
export class PeerOutbox {
  batches: Batch[] = [];

  constructor(
    private readonly snaps: Snapshotter,
    private readonly batchBytes: number,
    private readonly maxFrameBytes: number,
    private readonly log: (msg: string) => void,
  ) {}

  /** Queues `frame` (see above); throws FrameTooLargeError for a message, call or reply that can never be sent. */
  push(frame: Frame, peer: string): void {
    const snaps = this.snaps;
    if (snaps.takeFrame(frame)) {
      const b = this.room(snaps.bound);
      for (let i = 0; i < snaps.flatLength; i++) b.items.push(snaps.flat[i]);
      b.bytes += snaps.bound;
      return;
    }
    let bytes = encode(frame);
    if (bytes.length > this.maxFrameBytes) bytes = this.oversized(frame, bytes.length, peer);
    const b = this.room(bytes.length + 16);
    b.items.push(ENCODED, bytes);
    b.bytes += bytes.length + 16;
  }

  /** True when nothing is queued. */
  get empty(): boolean {
    return this.batches.length === 0;
  }

  /** Takes the queued batches. */
  take(): Batch[] {
    const out = this.batches;
    this.batches = [];
    return out;
  }

  private room(bytes: number): Batch {
    const last = this.batches[this.batches.length - 1];
    if (last && (last.bytes + bytes <= this.batchBytes || last.items.length === 0)) return last;
    const b: Batch = { items: [], bytes: 0 };
    this.batches.push(b);
    return b;
  }

  private oversized(frame: Frame, length: number, peer: string): Uint8Array {
    const max = this.maxFrameBytes;
    if (frame.t !== 'exit' && frame.t !== 'down') throw new FrameTooLargeError(frame.t, length, max);
    for (const chars of REASON_CHARS) {
      const bytes = encode({ ...frame, reason: shortReason(frame.reason, chars) });
      if (bytes.length <= max) {
        this.log(
          `a '${frame.t}' signal to ${peer} of ${length} bytes is over maxFrameBytes (${max}): sent with its reason shortened to ${bytes.length} bytes`,
        );
        return bytes;
      }
    }
    // maxFrameBytes is at least 1 KiB: an exit with an empty reason always fits it.
    return encode({ ...frame, reason: 'reason too large' });
  }
}
