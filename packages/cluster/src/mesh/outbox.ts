import { encode } from '@foundation/runtime';
import { BATCH_TARGET_BYTES, REC_FRAMES, REC_HEADER } from './protocol.js';

/** A record encoded when it was queued: a frame that could not be snapshotted, or a control message. */
class Encoded {
  constructor(
    readonly kind: number,
    readonly payload: Uint8Array,
  ) {}
}

/**
 * What is queued for one peer until the end of the event-loop turn: frame snapshots (see
 * snapshot.ts) and records encoded when queued, in send order. The flush encodes each run of
 * consecutive snapshots as one msgpack array (one REC_FRAMES record per `maxRecord` bytes of
 * their bounds), then packs the records into as few WebSocket messages as fit
 * BATCH_TARGET_BYTES: [kind u8][length u32 BE][payload] each.
 */
export class Outbox {
  private items: unknown[] = [];
  private bounds: number[] = [];
  /** Bytes queued: records' sizes (headers included) and snapshots' bounds. */
  bytes = 0;

  /**
   * @param maxRecord the largest record payload a peer accepts (its maxFrameBytes);
   * @param dropped told about a frame dropped because its encoding came out larger than that.
   */
  constructor(
    private readonly maxRecord: number,
    private readonly dropped: (frame: { t?: unknown }, bytes: number) => void,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** Queues a frame snapshot whose encoding takes at most `bound` bytes (bound ≤ maxRecord − 5). */
  pushSnapshot(frame: object, bound: number): void {
    this.items.push(frame);
    this.bounds.push(bound);
    this.bytes += bound;
  }

  /** Queues an encoded record. */
  pushRecord(kind: number, payload: Uint8Array): void {
    const size = REC_HEADER + payload.length;
    this.items.push(new Encoded(kind, payload));
    this.bounds.push(size);
    this.bytes += size;
  }

  clear(): void {
    this.items = [];
    this.bounds = [];
    this.bytes = 0;
  }

  /** Empties the outbox into batches, in order; each is one WebSocket message. */
  drain(): Buffer[] {
    const items = this.items;
    const bounds = this.bounds;
    this.clear();
    const kinds: number[] = [];
    const payloads: Uint8Array[] = [];
    // A run's bounds plus the array header (≤ 5 bytes) never pass maxRecord, nor the batch target.
    const runLimit = Math.min(this.maxRecord, BATCH_TARGET_BYTES - REC_HEADER) - 8;
    let i = 0;
    while (i < items.length) {
      const item = items[i];
      if (item instanceof Encoded) {
        kinds.push(item.kind);
        payloads.push(item.payload);
        i++;
        continue;
      }
      let j = i;
      let sum = 0;
      while (j < items.length && !(items[j] instanceof Encoded) && (j === i || sum + bounds[j]! <= runLimit)) sum += bounds[j++]!;
      this.encodeRun(items.slice(i, j), kinds, payloads);
      i = j;
    }
    return pack(kinds, payloads);
  }

  /** Encodes frames as one REC_FRAMES record; splits them should the bounds have been wrong. */
  private encodeRun(frames: unknown[], kinds: number[], payloads: Uint8Array[]): void {
    const bytes = encode(frames);
    if (bytes.length <= this.maxRecord) {
      kinds.push(REC_FRAMES);
      payloads.push(bytes);
    } else if (frames.length > 1) {
      const mid = frames.length >> 1;
      this.encodeRun(frames.slice(0, mid), kinds, payloads);
      this.encodeRun(frames.slice(mid), kinds, payloads);
    } else {
      this.dropped(frames[0] as { t?: unknown }, bytes.length);
    }
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
 * malformed (a truncated header or payload, or a record longer than `maxRecord`).
 */
export function splitBatch(buf: Buffer, maxRecord: number): Rec[] | string {
  const recs: Rec[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < REC_HEADER) return 'a truncated record header';
    const kind = buf[at]!;
    const len = buf.readUInt32BE(at + 1);
    if (len > maxRecord) return `a record of ${len} bytes (limit ${maxRecord})`;
    if (buf.length - at - REC_HEADER < len) return 'a truncated record';
    recs.push({ kind, payload: buf.subarray(at + REC_HEADER, at + REC_HEADER + len) });
    at += REC_HEADER + len;
  }
  if (recs.length === 0) return 'an empty batch';
  return recs;
}
