import { FRAME_FIELDS, decode, decodeValues, encodeValues, unflattenFrame, type Frame } from '@foundation/runtime';
import { isFrame } from '@foundation/cluster';
import { TOKEN } from './options.js';

/*
 * One NATS message is one list of values in the runtime's batch codec (encodeValues):
 *   [WIRE_VERSION, kind, from, fromInc, toInc, session, seq, ...items]
 * `items` (data only) are frames flat (tag, then FRAME_FIELDS' values) as the mesh sends them,
 * or ENCODED followed by the bytes of a frame the runtime's `encode` wrote at send (one that
 * could not be snapshotted).
 */

/** The version of this layout; a message of another is dropped (and logged once). */
export const WIRE_VERSION = 1;
/** Marks an item encoded at send: the next item is its bytes. */
export const ENCODED = '$enc';
/** Values before the items. */
export const HEADER_VALUES = 7;

/** What a message is for. */
export const enum Kind {
  /** On the presence subject: this node is alive (also its announce on joining). */
  Heartbeat = 0,
  /** On the receiver's subject: frames of the session `session`, numbered `seq` from 1. */
  Data = 1,
  /** On the receiver's subject: your session `session` towards me is dead (0: whichever). */
  Reset = 2,
  /** On the receiver's subject: I am stopping. */
  Bye = 3,
  /** On the receiver's subject: of your session `session` I took in `seq` bytes so far. */
  Ack = 4,
}

/** A message from a peer, parsed: its frames checked one by one. */
export interface Incoming {
  kind: Kind;
  from: string;
  fromInc: number;
  toInc: number;
  session: number;
  seq: number;
  frames: Frame[];
  /** What was wrong with the rest of the items when they were not all frames (they were dropped). */
  bad: string | null;
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** Encodes one message (items: flat frames and encoded ones, see above). */
export function encodeMessage(
  kind: Kind,
  from: string,
  fromInc: number,
  toInc: number,
  session: number,
  seq: number,
  items: readonly unknown[] = [],
): Uint8Array {
  return encodeValues([WIRE_VERSION, kind, from, fromInc, toInc, session, seq, ...items]);
}

/**
 * Parses a message from the wire into typed values, or a string saying why it is not one of
 * ours (the caller drops it). Items that are not well-formed frames (cluster's isFrame) end the
 * frames there: `bad` says why, the frames before them are kept.
 */
export function parseMessage(bytes: Uint8Array): Incoming | string {
  let v: unknown[];
  try {
    v = decodeValues(bytes);
  } catch (e) {
    return `undecodable (${(e as Error)?.message ?? 'a throw'})`;
  }
  if (!Array.isArray(v) || v.length < HEADER_VALUES) return 'not a message of the Foundation NATS transport';
  const [version, kind, from, fromInc, toInc, session, seq] = v;
  if (version !== WIRE_VERSION) return `wire version ${String(version)} (this node speaks ${WIRE_VERSION})`;
  if (kind !== Kind.Heartbeat && kind !== Kind.Data && kind !== Kind.Reset && kind !== Kind.Bye && kind !== Kind.Ack)
    return `an unknown kind ${String(kind)}`;
  if (typeof from !== 'string' || !TOKEN.test(from)) return 'no valid sender name';
  if (!isInt(fromInc) || !isInt(toInc) || !isInt(session) || !isInt(seq)) return 'a malformed header';
  const frames: Frame[] = [];
  let bad: string | null = null;
  let i = HEADER_VALUES;
  while (i < v.length) {
    let f: unknown;
    if (v[i] === ENCODED) {
      const b = v[i + 1];
      if (!(b instanceof Uint8Array)) {
        bad = 'an encoded frame without its bytes';
        break;
      }
      try {
        f = decode(b);
      } catch (e) {
        bad = `an undecodable frame (${(e as Error)?.message ?? 'a throw'})`;
        break;
      }
      i += 2;
    } else {
      f = unflattenFrame(v, i);
      if (f === undefined) {
        bad = `an unknown frame tag or missing fields at item ${i - HEADER_VALUES}`;
        break;
      }
      i += 1 + FRAME_FIELDS[(f as Frame).t]!.length;
    }
    if (!isFrame(f)) {
      bad = `a malformed '${String((f as { t?: unknown })?.t)}' frame`;
      break;
    }
    frames.push(f);
  }
  return { kind, from, fromInc, toInc, session, seq, frames, bad };
}
