import { FrameTooLargeError, Snapshotter, encode, shortReason, type Frame } from '@foundation/runtime';
import type { Connection } from './connection.js';
import { CloseCode, REC_FRAME, REC_HEADER } from './protocol.js';

/** Frames whose encoding could pass this many bytes are encoded at send, not snapshotted. */
export const SNAPSHOT_MAX_BYTES = 1024;

/** Message lengths tried, longest first, when an exit reason is shortened to fit maxFrameBytes. */
const REASON_CHARS = [1000, 200, 40, 0];

/**
 * What happens to a frame handed to the mesh for a connected peer, in send order:
 *
 * - A small plain frame is snapshotted (see runtime/src/snapshot.ts), any other encoded at once: one over
 *   maxFrameBytes is refused with FrameTooLargeError, thrown to the sender (a send or cast
 *   throws, a call rejects, a reply crashes the replier so its caller's call fails at once),
 *   except an exit or down signal, whose reason is shortened (runtime's `shortReason`: the
 *   error's name and the start of its message) until it fits — a link or monitor fires exactly
 *   once, always.
 * - A demonitor waits for the next frame or heartbeat to the peer instead of asking for a flush.
 * - Bytes queued for the peer (the outbox, and the socket's buffer) are bounded by
 *   maxBufferedBytes. A frame that would pass the bound (unless nothing is queued) is not sent,
 *   and the connection is dropped (CloseCode.slowPeer) with everything queued: every link and
 *   monitor across it sees 'noconnection' and the redialer reconnects. Dropping one frame and
 *   sending the next would break Erlang's guarantee that a message arriving means every earlier
 *   one between the pair arrived.
 */
export class SendPolicy {
  private readonly snapshots = new Snapshotter(SNAPSHOT_MAX_BYTES);

  constructor(
    private readonly maxFrameBytes: number,
    private readonly maxBufferedBytes: number,
    private readonly log: (level: 'warn', msg: string) => void,
  ) {}

  /** Queues `frame` on `c` (the connection to `node`); false when it was not sent, FrameTooLargeError when it never can be (see above). */
  send(c: Connection, node: string, frame: Frame): boolean {
    if (c.doomed) return false;
    const snaps = this.snapshots;
    let bytes: Uint8Array | null = null;
    let size: number;
    if (snaps.takeFrame(frame)) size = snaps.bound;
    else {
      bytes = encode(frame);
      if (bytes.length > this.maxFrameBytes) {
        bytes = this.oversized(c, node, frame, bytes.length);
        if (bytes === null) return false;
      }
      size = bytes.length + REC_HEADER;
    }
    if (!this.room(c, size)) return false;
    // A demonitor changes nothing the peer must see soon (a DOWN crossing it is dropped here):
    // it waits for the next frame. Sent alone, it cost a write and a wake-up of the peer after
    // every remote call, on the way of the caller's next one.
    const lazy = frame.t === 'demonitor';
    if (bytes === null) c.pushFrame(snaps.flat, snaps.flatLength, size, lazy);
    else c.push(REC_FRAME, bytes, lazy);
    return true;
  }

  /** A frame encoded over maxFrameBytes: a signal shortened to fit, anything else refused (thrown). */
  private oversized(c: Connection, node: string, frame: Frame, length: number): Uint8Array | null {
    const max = this.maxFrameBytes;
    if (frame.t !== 'exit' && frame.t !== 'down') throw new FrameTooLargeError(frame.t, length, max);
    for (const chars of REASON_CHARS) {
      const bytes = encode({ ...frame, reason: shortReason(frame.reason, chars) });
      if (bytes.length <= max) {
        this.log(
          'warn',
          `a '${frame.t}' signal to ${node} of ${length} bytes is over maxFrameBytes (${max}): sent with its reason shortened to ${bytes.length} bytes`,
        );
        return bytes;
      }
    }
    // Not even the shortest reason fits (long names in a tiny limit): the peer must learn anyway.
    this.doom(c, `a '${frame.t}' signal does not fit maxFrameBytes (${max}) even with its reason shortened`);
    return null;
  }

  /** True when `size` more bytes fit the bound; otherwise the connection is doomed. */
  private room(c: Connection, size: number): boolean {
    const bound = this.maxBufferedBytes;
    if (c.outbox.bytes + c.backlog + size <= bound) return true;
    // The backlog seen at the last flush only shrinks as the socket drains: look again.
    c.backlog = c.ws.bufferedAmount;
    const queued = c.outbox.bytes + c.backlog;
    if (queued + size <= bound || queued === 0) return true;
    this.doom(
      c,
      `too slow: ${queued} bytes queued and ${size} more to send, over maxBufferedBytes (${bound}); dropping the connection rather than a frame`,
    );
    return false;
  }

  /**
   * Nothing more is sent on `c`, and it closes at the end of this turn (CloseCode.slowPeer):
   * not inside the runtime's send, whose caller would see nodedown fire in the middle of it.
   */
  private doom(c: Connection, reason: string): void {
    c.doomed = true;
    setImmediate(c.guard('the slow-peer close', () => c.close(CloseCode.slowPeer, reason)));
  }
}
