/*
 * The mesh's wire protocol, in one place.
 *
 * Every WebSocket message is binary. Before the handshake each message is one msgpack value
 * (a HandshakeMessage). The acceptor speaks first:
 *
 *   acceptor → dialer   { h: 'challenge', v, name, inc, url, nonce }
 *   dialer → acceptor   { h: 'hello', v, name, inc, url, nonce, proof }     proof = HMAC(cookie, 'dialer', …)
 *   acceptor → dialer   { h: 'welcome', v, proof, peers }                    proof = HMAC(cookie, 'acceptor', …)
 *
 * Both proofs cover both nonces, both names and both incarnations, so neither side can replay
 * an old handshake and the cookie itself never travels. A refusal is a WebSocket close with one
 * of the CloseCode values below and a reason text.
 *
 * After the handshake each message is a batch of records: [kind u8][length u32 BE][payload].
 * Kind 1 is one runtime Frame (msgpack, the runtime's codec); kind 2 a Control message; kind 3
 * several Frames as one msgpack array (one `encode` per batch: most frames travel this way, see
 * snapshot.ts), flat: each frame as its tag then its fields in FRAME_FIELDS order, e.g.
 * ['msg', to, kind, msg, 'msg', to, kind, msg, 'link', from, to]. A kind 1 or 2 record may be
 * as long as the receiver's maxFrameBytes; a kind 3 record as long as that or MAX_FRAMES_RECORD,
 * whichever is larger (whatever either side's maxFrameBytes: a sender only batches frames that
 * encode under 1 KiB, the least maxFrameBytes there is). Frames are delivered in record order,
 * and in array order within a kind-3 record.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The protocol version this build speaks. */
export const PROTOCOL_VERSION = 2;

/** Record kinds inside a batch. */
export const REC_FRAME = 1;
export const REC_CONTROL = 2;
export const REC_FRAMES = 3;
/** The fields of each Frame variant, in the order a REC_FRAMES record lists them after the tag. */
export { FRAME_FIELDS } from '@foundation/runtime';
/** Bytes of a record header. */
export const REC_HEADER = 5;
/** A sender starts a new WebSocket message once a batch reaches this size (a larger single frame goes alone). */
export const BATCH_TARGET_BYTES = 256 * 1024;
/** Longest kind-3 record a sender writes; every receiver accepts it. */
export const MAX_FRAMES_RECORD = BATCH_TARGET_BYTES - REC_HEADER;
/** Largest handshake message accepted. */
export const MAX_HANDSHAKE_BYTES = 8 * 1024;

/** WebSocket close codes the mesh uses, with what each means. */
export const CloseCode = {
  /** The peer stopped cleanly: not redialled until discovered again. */
  goodbye: 1000,
  /** `disconnect(name)`: not redialled until discovered again. */
  disconnect: 4001,
  /** Unknown protocol version. */
  version: 4002,
  /** The cookie proof failed. */
  cookie: 4003,
  /** A node with that name is already connected (or it is this node's own name). */
  duplicate: 4004,
  /** A malformed, oversized or unexpected message. */
  badFrame: 4005,
  /** The handshake did not finish in time. */
  handshakeTimeout: 4006,
  /** No message for 4 ticks. */
  heartbeat: 4007,
  /** Another connection for the same pair won (simultaneous dial, or already connected): not an error. */
  superseded: 4008,
  /** The peer's outbound buffer passed twice its bound. */
  slowPeer: 4009,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes after which the peer is not redialled. */
export const CLEAN_CLOSES: ReadonlySet<number> = new Set([CloseCode.goodbye, CloseCode.disconnect]);

const NAME_RE = /^[A-Za-z0-9_@-]{1,255}$/;

/** A peer as gossiped: its name and the URL it listens on. */
export interface PeerInfo {
  name: string;
  url: string;
}

export interface Challenge {
  h: 'challenge';
  v: number;
  name: string;
  inc: number;
  url: string;
  nonce: Uint8Array;
}
export interface Hello {
  h: 'hello';
  v: number;
  name: string;
  inc: number;
  url: string;
  nonce: Uint8Array;
  proof: Uint8Array;
}
export interface Welcome {
  h: 'welcome';
  v: number;
  proof: Uint8Array;
  peers: PeerInfo[];
}
/** The three handshake messages: a closed union. */
export type HandshakeMessage = Challenge | Hello | Welcome;

/** Control records after the handshake: a closed union. */
export type Control = { c: 'ping' } | { c: 'peers'; peers: PeerInfo[] };

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isBytes = (x: unknown, n: number): x is Uint8Array => x instanceof Uint8Array && x.length === n;
const isInc = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isUrl = (x: unknown): x is string => typeof x === 'string' && x.length <= 2048 && /^wss?:\/\//.test(x);

/** A well-formed node name. */
export const isNodeName = (x: unknown): x is string => typeof x === 'string' && NAME_RE.test(x);

export const NONCE_BYTES = 16;
export const PROOF_BYTES = 32;

/** A version field is read before anything else, so that an unknown version is named as such. */
export function versionOf(m: unknown): unknown {
  return isObj(m) ? m.v : undefined;
}

export function isChallenge(m: unknown): m is Challenge {
  return isObj(m) && m.h === 'challenge' && m.v === PROTOCOL_VERSION && isNodeName(m.name) && isInc(m.inc) && isUrl(m.url) && isBytes(m.nonce, NONCE_BYTES);
}

export function isHello(m: unknown): m is Hello {
  return (
    isObj(m) && m.h === 'hello' && m.v === PROTOCOL_VERSION && isNodeName(m.name) && isInc(m.inc) && isUrl(m.url) &&
    isBytes(m.nonce, NONCE_BYTES) && isBytes(m.proof, PROOF_BYTES)
  );
}

export function isPeerInfo(x: unknown): x is PeerInfo {
  return isObj(x) && isNodeName(x.name) && isUrl(x.url);
}

function isPeerList(x: unknown): x is PeerInfo[] {
  return Array.isArray(x) && x.length <= 10_000 && x.every(isPeerInfo);
}

export function isWelcome(m: unknown): m is Welcome {
  return isObj(m) && m.h === 'welcome' && m.v === PROTOCOL_VERSION && isBytes(m.proof, PROOF_BYTES) && isPeerList(m.peers);
}

export function isControl(m: unknown): m is Control {
  if (!isObj(m)) return false;
  if (m.c === 'ping') return true;
  return m.c === 'peers' && isPeerList(m.peers);
}

/** A fresh random nonce. */
export function nonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

/** What one side of the handshake proves: it holds the cookie, for this very exchange. */
export interface ProofInput {
  role: 'dialer' | 'acceptor';
  dialer: { name: string; inc: number; nonce: Uint8Array };
  acceptor: { name: string; inc: number; nonce: Uint8Array };
}

/** HMAC-SHA256 keyed by the cookie over the role, both nonces, names and incarnations. */
export function proof(cookie: string, p: ProofInput): Uint8Array {
  const h = createHmac('sha256', cookie);
  h.update(`foundation-mesh/${PROTOCOL_VERSION}/${p.role}\0`);
  h.update(`${p.dialer.name}\0${p.dialer.inc}\0${p.acceptor.name}\0${p.acceptor.inc}\0`);
  h.update(p.dialer.nonce);
  h.update(p.acceptor.nonce);
  return new Uint8Array(h.digest());
}

/** Constant-time comparison of a received proof with the expected one. */
export function proofMatches(expected: Uint8Array, given: Uint8Array): boolean {
  return expected.length === given.length && timingSafeEqual(expected, given);
}
