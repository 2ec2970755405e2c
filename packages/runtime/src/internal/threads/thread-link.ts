import type { MessagePort } from 'node:worker_threads';
import { decode, encode } from '../../codec.js';
import { FRAME_FIELDS, flattenFrame, unflattenFrame } from '../../frame-layout.js';
import type { Frame } from '../../transport.js';

/** A frame for another node that a worker scheduler hands to the main thread (it owns the transport). */
export interface RelayFrame {
  readonly t: 'relay';
  readonly node: string;
  readonly frame: Frame;
}

/** What crosses between two schedulers of one node. */
export type ThreadFrame = Frame | RelayFrame;

/** Control messages between schedulers (structured-cloned, in order with the frames). */
export type Control =
  | { readonly ctl: 'poke' }
  | { readonly ctl: 'ready'; readonly scheduler: number }
  | { readonly ctl: 'node'; readonly name: string; readonly up: boolean; readonly reason?: unknown }
  | { readonly ctl: 'name'; readonly name: string; readonly pid: Uint8Array | null; readonly was?: Uint8Array }
  | { readonly ctl: 'schedulerDown'; readonly scheduler: number; readonly reason: unknown }
  | { readonly ctl: 'relink'; readonly scheduler: number; readonly port: MessagePort }
  | { readonly ctl: 'stop' };

/**
 * One direction-pair of a MessagePort between two schedulers. Frames are queued and sent as
 * one encoded batch per event-loop turn (one postMessage for many frames), so order between
 * the two holds and the cost per message stays small.
 */
export class ThreadLink {
  private queue: ThreadFrame[] = [];
  private scheduled = false;
  alive = true;
  private readonly flushFn = () => this.flush();

  constructor(
    readonly port: MessagePort,
    onFrame: (f: ThreadFrame) => void,
    onControl: (c: Control) => void,
    /** A worker's links keep its thread alive until it is told to stop; the main thread's do not hold the process. */
    keepAlive: boolean,
    /** Runs after a batch was handled (the scheduler runs the work it made, without another turn). */
    afterBatch: () => void = () => {},
  ) {
    port.on('message', (data: unknown) => {
      if (data instanceof Uint8Array) {
        const flat = decode(data) as unknown[];
        for (let i = 0; i < flat.length; ) {
          if (flat[i] === 'relay') {
            onFrame({ t: 'relay', node: flat[i + 1] as string, frame: flat[i + 2] as Frame });
            i += 3;
          } else {
            const f = unflattenFrame(flat, i)!;
            onFrame(f);
            i += 1 + FRAME_FIELDS[f.t]!.length;
          }
        }
        afterBatch();
      } else {
        onControl(data as Control);
      }
    });
    if (!keepAlive) port.unref();
  }

  send(frame: ThreadFrame): boolean {
    if (!this.alive) return false;
    // A long run of sends goes out in pieces, so that the other thread works meanwhile.
    if (this.queue.push(frame) >= FLUSH_FRAMES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushFn);
    }
    return true;
  }

  /** Sends a control message after the frames queued so far. */
  control(c: Control): void {
    if (!this.alive) return;
    this.flush();
    this.port.postMessage(c);
  }

  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0 || !this.alive) return;
    const batch = this.queue;
    this.queue = [];
    // encode() returns a view into the codec's shared buffer, and postMessage would clone the
    // whole buffer behind a view: post an owned copy of just these bytes, transferred.
    const bytes = new Uint8Array(encodeBatch(batch)); // a copy (Buffer#slice would share memory)
    this.port.postMessage(bytes, [bytes.buffer]);
  }

  close(): void {
    this.alive = false;
    this.queue = [];
    this.port.close();
  }
}

/** Frames queued for one thread before they are sent without waiting for the end of the turn. */
const FLUSH_FRAMES = 1024;

/**
 * Encodes frames flat (see frame-layout.ts); a relay goes as 'relay', node, frame. Every frame
 * is encodable: messages and replies are checked at send, exit reasons made encodable by
 * Kernel.route, the one way frames reach a link.
 */
function encodeBatch(batch: ThreadFrame[]): Uint8Array {
  const out: unknown[] = [];
  for (const f of batch) {
    if (f.t === 'relay') out.push('relay', f.node, f.frame);
    else flattenFrame(f, out);
  }
  return encode(out);
}
