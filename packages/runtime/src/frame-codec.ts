import { CHUNK } from './frame-format.js';
import { Reader } from './frame-reader.js';
import { Writer } from './frame-writer.js';

/** @internal
 * The codec of flat frame batches (frame-layout.ts) between schedulers and between nodes.
 *
 * A batch is mostly the runtime's own envelope (tags, pids, refs, kinds) around small user
 * payloads of plain trees. msgpackr with structured cloning costs several µs per call frame
 * for that: it tracks every object for shared references and turns every Pid and Ref into an
 * array through an extension. Here each top-level value is written in a small format of our
 * own when it is a plain tree (primitives, plain objects, arrays, Pid, Ref; each object met
 * once, at most MAX_OBJECTS of them, at most MAX_DEPTH deep); anything else (Map, Set, Date,
 * BigInt, typed arrays, errors, shared or cyclic references, large trees) goes as a msgpackr
 * blob of that value alone, which keeps every structured-clone semantic. The layout is in
 * frame-format.ts, the writer in frame-writer.ts, the reader in frame-reader.ts. Strings that tend to
 * repeat within a batch (node names, object keys) are written once and referenced after.
 *
 * Layout: [count uvarint] then `count` values. A value is one byte `b`:
 *   b < 0x80: the integer b;
 *   0x80 undefined, 0x81 null, 0x82 false, 0x83 true,
 *   0x84 int32 LE, 0x85 float64 LE, 0x86 string (uvarint byte length, UTF-8),
 *   0x87 array (uvarint length, values), 0x88 object (uvarint length, then interned key and value each),
 *   0x89 Pid (interned node, uvarint id, uvarint incarnation), 0x8a Ref (likewise),
 *   0x8b msgpackr blob (uvarint length, bytes), 0x8c an interned string (short ones),
 *   0x8d a Pid or Ref object met before in the batch: its index (one byte) in the batch's table
 *   of the first MAX_IDS pids and refs written.
 * An interned string is a uvarint n: n odd, the string at index n >> 1 of this batch's table;
 * n even, n / 2 UTF-8 bytes follow, and the string takes the table's next index when it is at
 * most MAX_INTERNED_LENGTH characters long and the table holds fewer than MAX_INTERNED.
 */

export { BadBatchError } from './frame-format.js';

const writer = new Writer();
let writing = false;
const reader = new Reader();

/** @internal Encodes `values[from..to)` as one batch (see above): a view of the writer's chunk, never written again. */
export function encodeValues(values: readonly unknown[], from = 0, to = values.length): Uint8Array {
  // A getter in a payload that encodes a batch itself gets a writer of its own.
  if (writing) return new Writer().encode(values, from, to);
  writing = true;
  try {
    return writer.encode(values, from, to);
  } finally {
    writing = false;
  }
}

/** @internal Decodes a batch `encodeValues` wrote; BadBatchError (or a msgpackr error from a blob) when it is not one. Nothing decoded is a view of `bytes`. */
export function decodeValues(bytes: Uint8Array): unknown[] {
  return reader.decode(bytes);
}

/** @internal
 * `encodeValues`, but a batch of at most `maxString` bytes comes as a string of its bytes, one
 * character per byte (cheap to post to another thread); a larger one as a view, as `encodeValues` gives it.
 */
export function encodeValuesLatin1(values: readonly unknown[], maxString: number): string | Uint8Array {
  if (writing) return new Writer().encodeLatin1(values, maxString);
  writing = true;
  try {
    return writer.encodeLatin1(values, maxString);
  } finally {
    writing = false;
  }
}

let scratch = Buffer.allocUnsafeSlow(CHUNK);

/** @internal Decodes a batch given as `encodeValuesLatin1` wrote it, through a buffer reused from batch to batch. */
export function decodeValuesLatin1(s: string): unknown[] {
  if (s.length > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(s.length, 2 * scratch.length));
  const n = scratch.write(s, 0, s.length, 'latin1');
  return reader.decode(scratch, n);
}
