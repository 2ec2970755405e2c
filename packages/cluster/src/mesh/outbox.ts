import { encodeValues } from '@foundation/runtime';
import { FRAME_FIELDS } from '@foundation/runtime';
import { BATCH_TARGET_BYTES, MAX_FRAMES_RECORD, REC_FRAMES, REC_HEADER } from './protocol.js';

/** A record encoded when it was queued: a frame that could not be snapshotted, or a control message. */
class Encoded {
  constructor(
    readonly kind: number,
    readonly payload: Uint8Array,
  ) {}
}

/**
 * What is queued for one peer until the end of the event-loop turn, in send order: runs of
 * flat frame snapshots (see runtime/src/snapshot.ts), each the value list of one REC_FRAMES record, and
 * records encoded when queued. A run is closed when its frames' bounds would pass `maxRecord`
 * (MAX_FRAMES_RECORD), so its encoding fits one record. The flush encodes each run with one
 * `encode` call, then packs the records into as few WebSocket messages as fit
 * BATCH_TARGET_BYTES: [kind u8][length u32 BE][payload] each.
 */
export class Outbox {
  private segs: Array<unknown[] | Encoded> = [];
  /** The open run (the last of `segs`), or null. */
  private run: unknown[] | null = null;
  private runBound = 0;
  private readonly runLimit: number;
  /** Bytes queued: records' sizes (headers included) and snapshots' bounds. */
  bytes = 0;
  /** Frames and records queued. */
  length = 0;

  /**
   * @param dropped told about a frame dropped because its encoding came out larger than `maxRecord`;
   * @param maxRecord the longest REC_FRAMES record to write (MAX_FRAMES_RECORD; smaller in tests).
   */
  constructor(
    private readonly dropped: (tag: unknown, bytes: number) => void,
    private readonly maxRecord = MAX_FRAMES_RECORD,
  ) {
    // A run's bounds plus the array header (≤ 5 bytes) never pass maxRecord.
    this.runLimit = maxRecord - 8;
  }

  /** Queues the flat snapshot `flat[0..n)` (tag, then fields) whose encoding takes at most `bound` bytes (≤ the run limit). */
  pushFrame(flat: unknown[], n: number, bound: number): void {
    let run = this.run;
    if (run === null || this.runBound + bound > this.runLimit) {
      run = this.run = [];
      this.segs.push(run);
      this.runBound = 0;
    }
    for (let i = 0; i < n; i++) run.push(flat[i]);
    this.runBound += bound;
    this.bytes += bound;
    this.length++;
  }

  /** Queues an encoded record. */
  pushRecord(kind: number, payload: Uint8Array): void {
    this.segs.push(new Encoded(kind, payload));
    this.run = null;
    this.bytes += REC_HEADER + payload.length;
    this.length++;
  }

  clear(): void {
    this.segs = [];
    this.run = null;
    this.runBound = 0;
    this.bytes = 0;
    this.length = 0;
  }

  /** Empties the outbox into batches, in order; each is one WebSocket message. */
  drain(): Buffer[] {
    const segs = this.segs;
    this.clear();
    const kinds: number[] = [];
    const payloads: Uint8Array[] = [];
    for (const seg of segs) {
      if (seg instanceof Encoded) {
        kinds.push(seg.kind);
        payloads.push(seg.payload);
      } else this.encodeRun(seg, kinds, payloads);
    }
    return pack(kinds, payloads);
  }

  /** Encodes a run as one REC_FRAMES record; splits it (at a frame) should the bounds have been wrong. */
  private encodeRun(run: unknown[], kinds: number[], payloads: Uint8Array[]): void {
    const bytes = encodeValues(run);
    if (bytes.length <= this.maxRecord) {
      kinds.push(REC_FRAMES);
      payloads.push(bytes);
      return;
    }
    // Frame starts: each tag is followed by its fields.
    const starts: number[] = [];
    for (let i = 0; i < run.length; i += 1 + FRAME_FIELDS[run[i] as string]!.length) starts.push(i);
    if (starts.length === 1) return this.dropped(run[0], bytes.length);
    const mid = starts[starts.length >> 1]!;
    this.encodeRun(run.slice(0, mid), kinds, payloads);
    this.encodeRun(run.slice(mid), kinds, payloads);
  }
}

/** Packs records into messages of up to BATCH_TARGET_BYTES (a larger single record goes alone). */
function pack(kinds: number[], payloads: Uint8Array[]): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < payloads.length) {
    let size = 0;
    let j = i;
    while (j < payloads.length) {
      const rec = REC_HEADER + payloads[j]!.length;
      if (j > i && size + rec > BATCH_TARGET_BYTES) break;
      size += rec;
      j++;
      if (size >= BATCH_TARGET_BYTES) break;
    }
    const buf = Buffer.allocUnsafe(size);
    let at = 0;
    for (let r = i; r < j; r++) {
      const p = payloads[r]!;
      buf[at] = kinds[r]!;
      buf.writeUInt32BE(p.length, at + 1);
      buf.set(p, at + REC_HEADER);
      at += REC_HEADER + p.length;
    }
    out.push(buf);
    i = j;
  }
  return out;
}

/** One record read out of a batch. */
export interface Rec {
  kind: number;
  payload: Uint8Array;
}

/**
 * Splits a received batch into records; a string saying what is wrong when the batch is
 * malformed (a truncated header or payload, or a record longer than `maxRecord`, or for a
 * REC_FRAMES record `maxFramesRecord`).
 */
export function splitBatch(buf: Buffer, maxRecord: number, maxFramesRecord = Math.max(maxRecord, MAX_FRAMES_RECORD)): Rec[] | string {
  const recs: Rec[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < REC_HEADER) return 'a truncated record header';
    const kind = buf[at]!;
    const len = buf.readUInt32BE(at + 1);
    const limit = kind === REC_FRAMES ? maxFramesRecord : maxRecord;
    if (len > limit) return `a record of ${len} bytes (limit ${limit})`;
    if (buf.length - at - REC_HEADER < len) return 'a truncated record';
    recs.push({ kind, payload: buf.subarray(at + REC_HEADER, at + REC_HEADER + len) });
    at += REC_HEADER + len;
  }
  if (recs.length === 0) return 'an empty batch';
  return recs;
}
