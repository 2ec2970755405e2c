import { BATCH_TARGET_BYTES, MAX_FRAMES_RECORD, REC_FRAMES, REC_HEADER } from './protocol.js';

/**
 * What is queued for one peer until the end of the event-loop turn, in send order: records,
 * each a control message or a run of frames encoded at send (the runtime's `encodeFrame`: one
 * batch each, sent back to back as one REC_FRAMES record). A run is closed when the next frame
 * would take it past `maxRecord` (MAX_FRAMES_RECORD); a frame larger than that goes as a run
 * of its own. The flush packs the records into as few WebSocket messages as fit
 * BATCH_TARGET_BYTES: [kind u8][length u32 BE][payload] each.
 */
export class Outbox {
  private kinds: number[] = [];
  /** Each record's payload: its bytes, or (REC_FRAMES) its frames' bytes in order. */
  private payloads: Array<Uint8Array | Uint8Array[]> = [];
  /** The open run (the last of `payloads`), or null. */
  private run: Uint8Array[] | null = null;
  private runBytes = 0;
  /** Bytes queued, record headers included. */
  bytes = 0;
  /** Frames and records queued. */
  length = 0;

  /** @param maxRecord the longest REC_FRAMES record to make of several frames (MAX_FRAMES_RECORD; smaller in tests). */
  constructor(private readonly maxRecord = MAX_FRAMES_RECORD) {}

  /** Queues one frame's encoding (see above). */
  pushFrame(frame: Uint8Array): void {
    const n = frame.length;
    let run = this.run;
    if (run === null || this.runBytes + n > this.maxRecord) {
      run = this.run = [];
      this.kinds.push(REC_FRAMES);
      this.payloads.push(run);
      this.runBytes = 0;
      this.bytes += REC_HEADER;
    }
    run.push(frame);
    this.runBytes += n;
    this.bytes += n;
    this.length++;
  }

  /** Queues an encoded record. */
  pushRecord(kind: number, payload: Uint8Array): void {
    this.kinds.push(kind);
    this.payloads.push(payload);
    this.run = null;
    this.bytes += REC_HEADER + payload.length;
    this.length++;
  }

  clear(): void {
    this.kinds = [];
    this.payloads = [];
    this.run = null;
    this.runBytes = 0;
    this.bytes = 0;
    this.length = 0;
  }

  /** Empties the outbox into batches, in order; each is one WebSocket message. */
  drain(): Buffer[] {
    const { kinds, payloads } = this;
    this.clear();
    return pack(kinds, payloads);
  }
}

const size = (p: Uint8Array | Uint8Array[]): number => {
  if (!Array.isArray(p)) return p.length;
  let n = 0;
  for (let i = 0; i < p.length; i++) n += p[i]!.length;
  return n;
};

/** Packs records into messages of up to BATCH_TARGET_BYTES (a larger single record goes alone). */
function pack(kinds: number[], payloads: Array<Uint8Array | Uint8Array[]>): Buffer[] {
  const out: Buffer[] = [];
  const sizes = payloads.map(size);
  let i = 0;
  while (i < payloads.length) {
    let total = 0;
    let j = i;
    while (j < payloads.length) {
      const rec = REC_HEADER + sizes[j]!;
      if (j > i && total + rec > BATCH_TARGET_BYTES) break;
      total += rec;
      j++;
      if (total >= BATCH_TARGET_BYTES) break;
    }
    const buf = Buffer.allocUnsafe(total);
    let at = 0;
    for (let r = i; r < j; r++) {
      const p = payloads[r]!;
      buf[at] = kinds[r]!;
      buf.writeUInt32BE(sizes[r]!, at + 1);
      at += REC_HEADER;
      if (Array.isArray(p)) {
        for (const piece of p) {
          buf.set(piece, at);
          at += piece.length;
        }
      } else {
        buf.set(p, at);
        at += p.length;
      }
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
