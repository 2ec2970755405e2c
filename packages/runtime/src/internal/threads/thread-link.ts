import type { MessagePort } from 'node:worker_threads';
import { Pid, Ref } from '../../pid.js';
import { encode } from '../../codec.js';
import { decodeValues, decodeValuesLatin1, encodeValuesLatin1 } from '../../frame-codec.js';
import { PreEncoded } from '../../frame-writer.js';
import { NOT_COPIED, Snapshotter } from '../../snapshot.js';
import { describeValue } from '../../errors.js';
import { guarded, warn } from '../warn.js';
import { FRAME_FIELDS, flattenFrame, unflattenFrame } from '../../frame-layout.js';
import type { ProcessInfo } from '../../process-info.js';
import type { Frame } from '../../transport.js';
import type { Overflow } from '../spawn.js';

/** A frame for another node that a worker scheduler hands to the main thread (it owns the transport). */
export interface RelayFrame {
  readonly t: 'relay';
  readonly node: string;
  readonly frame: Frame;
}

/** What a spawned process is started with on its scheduler (its name comes from the main thread's table). */
export interface ArrivalOptions {
  readonly link?: boolean;
  readonly trapExit?: boolean;
  readonly mailbox?: { capacity: number; overflow?: Overflow };
}

/** A process the sender allocated a pid for on the receiving scheduler: start it there. */
export interface SpawnFrame {
  readonly t: 'spawn';
  readonly pid: Pid;
  readonly parent: Pid;
  readonly cls: string;
  readonly args: unknown;
  readonly opts: ArrivalOptions;
}

/** What crosses between two schedulers of one node. */
export type ThreadFrame = Frame | RelayFrame | SpawnFrame;

/** A question one scheduler asks another without waiting for it (answered by `answer`). */
export type Question = { readonly info: Pid } | 'processes';

/** Control messages between schedulers, in order with the frames. */
export type Control =
  /** A worker has a synchronous request waiting (see sync-channel.ts). */
  | { readonly ctl: 'poke' }
  | { readonly ctl: 'ready'; readonly scheduler: number }
  | { readonly ctl: 'node'; readonly name: string; readonly up: boolean; readonly reason?: unknown }
  /** A name now held by `pid`, or (pid null) no longer held by `was`; from the main thread, with the table's new version. */
  | { readonly ctl: 'name'; readonly name: string; readonly pid: Pid | null; readonly was?: Pid; readonly version?: number }
  /** To the scheduler whose own name change made it: the table's new version (it has the change already). */
  | { readonly ctl: 'names'; readonly version: number }
  /**
   * A scheduler thread died; `since[t]` is the first pid seq its restart allocates for scheduler t,
   * `names` the name table's version once the dead thread's names are gone.
   */
  | {
      readonly ctl: 'schedulerDown';
      readonly scheduler: number;
      readonly reason: unknown;
      readonly since: readonly number[];
      readonly names: number;
    }
  /** First on a link to a restarted scheduler: the sender's pids for it below `seq` went to the thread that died. */
  | { readonly ctl: 'since'; readonly seq: number }
  | { readonly ctl: 'ask'; readonly id: number; readonly q: Question }
  | { readonly ctl: 'answer'; readonly id: number; readonly value: ProcessInfo | Pid[] | null }
  | { readonly ctl: 'stop' };

/** Main to a worker: the port to a restarted scheduler (the one message not encoded: it transfers a port). */
export interface Relink {
  readonly relink: number;
  readonly port: MessagePort;
}

/** Where a link hands what arrives, with the index of the scheduler at its other end. */
export interface LinkHandlers {
  frame(f: ThreadFrame, from: number): void;
  control(c: Control, from: number): void;
  relink?(r: Relink): void;
  /** After a batch was handled (the scheduler runs the work it made, without another turn). */
  afterBatch(): void;
  /** The link's queue was empty and now holds a frame (the scheduler decides when it leaves). */
  queued?(): void;
}

/**
 * Bytes of `value` encoded, in a buffer of their own. encode() returns a view into the codec's
 * shared buffer, and postMessage clones the whole buffer behind a view (megabytes after any
 * large encode): whatever the threads layer posts as bytes is a copy like this one (a batch
 * goes as its own bytes or as a string of them, see ThreadLink.flush).
 */
export function encodeOwned(value: unknown): Uint8Array {
  return new Uint8Array(encode(value)); // a copy (Buffer#slice would share memory)
}

/**
 * One direction-pair of a MessagePort between two schedulers. Frames and control messages
 * are queued and sent as one encoded batch (one postMessage for many frames), so order between
 * the two holds and the cost per message stays small. The scheduler flushes the link between
 * turns and after a drain (see SchedulerPeer); what is queued outside a drain leaves by
 * microtask, before the event loop runs anything else. While the other scheduler restarts the
 * link holds what is sent, and sends it on the new port.
 */
export class ThreadLink {
  /** What waits to be sent, laid out flat (see `layOut`; a control as 'ctl', control), frames as copied at send. */
  private queue: unknown[] = [];
  /** Frames in `queue`. */
  private frames = 0;
  /** Copies what a frame carries when it is sent (OTP copies at send): see `copyAtSend`. */
  private readonly copier = new Snapshotter(Infinity);
  private scheduled = false;
  alive = true;
  private port: MessagePort | null = null;
  /** The microtask's flush (at most one pending: `scheduled`). */
  private readonly flushFn = guarded("a thread link's flush", () => {
    this.scheduled = false;
    this.flush();
  });

  constructor(
    port: MessagePort,
    /** The scheduler at the other end. */
    readonly peer: number,
    private readonly on: LinkHandlers,
    /** A worker's link to the main thread keeps its thread alive until it is told to stop; others do not hold the process. */
    private readonly keepAlive: boolean,
  ) {
    this.attach(port);
  }

  private attach(port: MessagePort): void {
    this.port = port;
    port.on('message', (data: unknown) => {
      if (typeof data === 'string' || data instanceof Uint8Array) this.receive(data);
      else if (this.on.relink) this.on.relink(data as Relink);
    });
    if (!this.keepAlive) port.unref();
  }

  /**
   * Handles one batch from the other scheduler. Each frame is handled on its own: one whose
   * handling throws (a bug, never the sender's doing: both ends are this runtime) is dropped
   * and reported, and the rest of the batch still arrives, in order — this runs in the port's
   * callback, where a throw would be the whole process's uncaught exception.
   */
  private receive(data: Uint8Array | string): void {
    let flat: unknown[];
    try {
      flat = typeof data === 'string' ? decodeValuesLatin1(data) : decodeValues(data);
    } catch (e) {
      warn('FOUNDATION_THREAD_BATCH', `a batch from scheduler ${this.peer} could not be decoded and was dropped: ${describeValue(e)}`);
      return;
    }
    for (let i = 0; i < flat.length;) {
      const t = flat[i];
      const width = t === 'relay' ? 3 : t === 'spawn' ? 6 : t === 'ctl' ? 2 : 1 + (FRAME_FIELDS[t as Frame['t']]?.length ?? -1);
      if (width === 0) {
        warn(
          'FOUNDATION_THREAD_FRAME',
          `a batch from scheduler ${this.peer} holds an unknown tag ${describeValue(t)}: the rest of it was dropped`,
        );
        return;
      }
      try {
        this.handle(flat, i);
      } catch (e) {
        warn(
          'FOUNDATION_THREAD_FRAME',
          `handling a '${String(t)}' frame from scheduler ${this.peer} threw; the frame was dropped: ${describeValue(e)}`,
        );
      }
      i += width;
    }
    try {
      this.on.afterBatch();
    } catch (e) {
      warn('FOUNDATION_TIMER_THREW', `the end of a batch from scheduler ${this.peer} threw and was dropped: ${describeValue(e)}`);
    }
  }

  /** Hands the frame starting at `flat[i]` to its handler. */
  private handle(flat: unknown[], i: number): void {
    const t = flat[i];
    if (t === 'relay') this.on.frame({ t, node: flat[i + 1] as string, frame: flat[i + 2] as Frame }, this.peer);
    else if (t === 'spawn') {
      const [pid, parent, cls, args, opts] = flat.slice(i + 1, i + 6) as [Pid, Pid, string, unknown, ArrivalOptions];
      this.on.frame({ t, pid, parent, cls, args, opts }, this.peer);
    } else if (t === 'ctl') this.on.control(flat[i + 1] as Control, this.peer);
    else this.on.frame(unflattenFrame(flat, i)!, this.peer);
  }

  send(frame: ThreadFrame): boolean {
    if (!this.alive) return false;
    this.copyAtSend(frame);
    const n = ++this.frames;
    // A long run of sends goes out in pieces, so that the other thread works meanwhile.
    if (n >= FLUSH_FRAMES) this.flush();
    else if (n === 1) {
      // A microtask runs after the current drain, or before any other callback outside one.
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(this.flushFn);
      }
      this.on.queued?.();
    }
    return true;
  }

  /**
   * The frame as it is now, laid out flat: a message mutated after its send (later in the same
   * turn, before the flush) must not arrive mutated. Plain trees are copied (pids and refs are
   * immutable and kept); anything else — a Map, a class instance, shared or cyclic structure —
   * is encoded now and travels as those bytes.
   */
  private copyAtSend(frame: ThreadFrame): void {
    const q = this.queue;
    const start = q.length;
    layOut(frame, q);
    for (let i = start + 1; i < q.length; i++) {
      const x = q[i];
      if (typeof x !== 'object' || x === null || x instanceof Pid || x instanceof Ref) continue;
      const copy = this.copier.copy(x);
      q[i] = copy === NOT_COPIED ? new PreEncoded(encode(x)) : copy;
    }
  }

  /** Sends a control message now, after the frames queued so far. */
  control(c: Control): void {
    if (!this.alive) return;
    this.queue.push('ctl', c);
    this.flush();
  }

  /** Main only: hands the worker at the other end its port to a restarted scheduler. */
  relink(r: Relink): void {
    this.flush();
    this.port?.postMessage(r, [r.port]);
  }

  flush(): void {
    if (this.queue.length === 0 || !this.alive || this.port === null) return;
    const batch = this.queue;
    this.queue = [];
    this.frames = 0;
    const view = encodeValuesLatin1(batch, STRING_BATCH_BYTES);
    if (typeof view === 'string') {
      this.port.postMessage(view);
      return;
    }
    const bytes = new Uint8Array(view); // a copy: posting the view would clone the codec's whole buffer
    this.port.postMessage(bytes, [bytes.buffer]);
  }

  /** The other scheduler's thread died: keep what is sent until `rebind` gives the new one's port. */
  hold(): void {
    this.port?.close();
    this.port = null;
  }

  /** The restarted scheduler's port: `first` goes before everything held meanwhile. */
  rebind(port: MessagePort, first: Control): void {
    this.port?.close();
    this.queue.unshift('ctl', first);
    this.attach(port);
    this.flush();
  }

  close(): void {
    this.alive = false;
    this.queue = [];
    this.frames = 0;
    this.port?.close();
    this.port = null;
  }
}

/**
 * Batches of up to this many bytes are posted as a latin1 string of their bytes: a string costs
 * a fraction of a transferred buffer to post and to receive (about 0.5 µs against 2 µs each
 * way), which is most of a small round trip's overhead. Larger ones transfer their own bytes.
 */
const STRING_BATCH_BYTES = 8192;

/** Frames queued for one thread before they are sent without waiting for the end of the turn. */
const FLUSH_FRAMES = 1024;

/**
 * Lays one frame out flat onto `out` (see frame-layout.ts): a relay as 'relay', node, frame; a
 * spawn as 'spawn' and its fields (a control goes as 'ctl', control). Every frame is encodable:
 * messages, replies and spawn arguments are checked at send, exit reasons made encodable by
 * Kernel.route (and by the threads layer for the reasons it sends itself).
 */
function layOut(f: ThreadFrame, out: unknown[]): void {
  if (f.t === 'relay') out.push('relay', f.node, f.frame);
  else if (f.t === 'spawn') out.push('spawn', f.pid, f.parent, f.cls, f.args, f.opts);
  else flattenFrame(f, out);
}
