/** @internal
 * The byte layout of a frame batch, shared by frame-writer.ts and frame-reader.ts (see frame-codec.ts).
 */
export const T_UNDEFINED = 0x80;
export const T_NULL = 0x81;
export const T_FALSE = 0x82;
export const T_TRUE = 0x83;
export const T_INT32 = 0x84;
export const T_FLOAT64 = 0x85;
export const T_STRING = 0x86;
export const T_ARRAY = 0x87;
export const T_OBJECT = 0x88;
export const T_PID = 0x89;
export const T_REF = 0x8a;
export const T_BLOB = 0x8b;
export const T_ISTRING = 0x8c;
export const T_IDREF = 0x8d;

/** Bytes of a chunk batches are written into (see Writer.encode). */
export const CHUNK = 64 * 1024;
/** Objects (plain objects, arrays, pids, refs) one value may hold and still be written as a tree. */
export const MAX_OBJECTS = 64;
/** Deepest tree written as one; deeper goes as a blob (msgpackr carries up to ~1,000 levels). */
export const MAX_DEPTH = 32;
/** Strings interned per batch (node names and keys); later ones are written inline. */
export const MAX_INTERNED = 32;
/** Longest string value (not a key or node name) interned: frame tags, short words. */
export const MAX_INTERNED_VALUE = 16;
/** Pids and refs remembered per batch (a frame's target, a caller: the same objects frame after frame). */
export const MAX_IDS = 16;
/** Longest string interned. */
export const MAX_INTERNED_LENGTH = 64;

/** @internal A batch that is not what `encodeValues` writes: truncated, an unknown tag, too deep... */
export class BadBatchError extends Error {
  override name = 'BadBatchError';
}
