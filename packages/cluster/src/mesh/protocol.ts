/*
 * The mesh's wire protocol, in one place.
 *
 * Every WebSocket message is binary. Before the handshake each message is one msgpack value
 * (a HandshakeMessage). The acceptor speaks first:
 *
 *   acceptor → dialer   { h: 'challenge', v, name, inc, inst, url, nonce }
 *   dialer → acceptor   { h: 'hello', v, name, inc, inst, url, nonce, proof }   proof = HMAC(cookie, 'dialer', …)
 *   acceptor → dialer   { h: 'welcome', v, proof, peers }                        proof = HMAC(cookie, 'acceptor', …)
 *
 * `inc` is the node's incarnation (random per start), `inst` its instance id (16 random bytes
 * per start): a node refuses a peer claiming a name and incarnation it knows with another
 * instance id (two processes that would mint the same pids). Both proofs cover both nonces,
 * names, incarnations and instance ids, so neither side can replay an old handshake and the
 * cookie itself never travels. A refusal is a WebSocket close with one of the CloseCode values
 * below and a reason text. What a peer sends is parsed in wire.ts, and only there.
 *
 * Version 3 added `inst`; version 4 writes kind-3 records with the runtime's frame codec
 * (frame-codec.ts) instead of msgpack.
 *
 * After the handshake each message is a batch of records: [kind u8][length u32 BE][payload].
 * Kind 1 is one runtime Frame (msgpack, the runtime's codec); kind 2 a Control message; kind 3
 * several Frames as one batch of the runtime's frame codec (`encodeValues`, one call per batch:
 * most frames travel this way, see runtime/src/snapshot.ts), flat: each frame as its tag then its fields in FRAME_FIELDS order, e.g.
 * ['msg', to, kind, msg, 'msg', to, kind, msg, 'link', from, to]. A kind 1 or 2 record may be
 * as long as the receiver's maxFrameBytes; a kind 3 record as long as that or MAX_FRAMES_RECORD,
 * whichever is larger (whatever either side's maxFrameBytes: a sender only batches frames that
 * encode under 1 KiB, the least maxFrameBytes there is). Frames are delivered in record order,
 * and in array order within a kind-3 record.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The protocol version this build speaks. 5: a call ('msg' or 'named' of kind 2) carries its
 * caller's monitor of the callee, which the receiving node records; no 'monitor' frame precedes
 * it. A 'reply' says whether the callee dropped that record as it replied (`released`): then
 * no 'demonitor' frame follows it.
 */
export const PROTOCOL_VERSION = 5;

/** Record kinds inside a batch. */
export const REC_FRAME = 1;
export const REC_CONTROL = 2;
export const REC_FRAMES = 3;
/** The fields of each Frame variant, in the order a REC_FRAMES record lists them after the tag. */
/** Bytes of a record header. */
export const REC_HEADER = 5;
/** A sender starts a new WebSocket message once a batch reaches this size (a larger single frame goes alone). */
export const BATCH_TARGET_BYTES = 256 * 1024;
/** Longest kind-3 record a sender writes; every receiver accepts it. */
export const MAX_FRAMES_RECORD = BATCH_TARGET_BYTES - REC_HEADER;
/** Largest challenge or hello accepted. */
export const MAX_HANDSHAKE_BYTES = 8 * 1024;
/** Largest welcome accepted: it lists the acceptor's peers (up to MAX_PEERS). */
export const MAX_WELCOME_BYTES = 1024 * 1024;

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
  /** A malformed, oversized or unexpected message (the protocol-error code: see wire.ts). */
  badFrame: 4005,
  /** The handshake did not finish in time. */
  handshakeTimeout: 4006,
  /** No message for 4 ticks. */
  heartbeat: 4007,
  /** Another connection for the same pair won (simultaneous dial, or already connected): not an error. */
  superseded: 4008,
  /** The frames queued for the peer passed maxBufferedBytes: the connection is dropped rather than a frame. */
  slowPeer: 4009,
  /** This node's own code threw while handling the connection: that one connection is closed (the WebSocket "internal error"). */
  internal: 1011,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes after which the peer is not redialled. */
export const CLEAN_CLOSES: ReadonlySet<number> = new Set([CloseCode.goodbye, CloseCode.disconnect]);

/** A well-formed node name: what a peer's name must match. */
export const NODE_NAME_RE = /^[A-Za-z0-9_@-]{1,255}$/;

export const NONCE_BYTES = 16;
export const PROOF_BYTES = 32;
/** Bytes of a node's instance id (see LocalIdentity.instance). */
export const INSTANCE_BYTES = 16;
/** Longest peer URL accepted from the wire. */
export const MAX_URL_LENGTH = 2048;
/** Most peers one gossip or welcome may list. */
export const MAX_PEERS = 10_000;

/** A fresh random nonce. */
export function nonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

/** A fresh random instance id: drawn once per start of a node (see LocalIdentity.instance). */
export function instanceId(): Uint8Array {
  return new Uint8Array(randomBytes(INSTANCE_BYTES));
}

/** What one side of the handshake proves: it holds the cookie, for this very exchange. */
export interface ProofInput {
  role: 'dialer' | 'acceptor';
  dialer: ProofSide;
  acceptor: ProofSide;
}
/** One side's identity and nonce, as a proof covers them. */
export interface ProofSide {
  name: string;
  inc: number;
  instance: Uint8Array;
  nonce: Uint8Array;
}

/** HMAC-SHA256 keyed by the cookie over the role, both nonces, names, incarnations and instance ids. */
export function proof(cookie: string, p: ProofInput): Uint8Array {
  const h = createHmac('sha256', cookie);
  h.update(`foundation-mesh/${PROTOCOL_VERSION}/${p.role}\0`);
  h.update(`${p.dialer.name}\0${p.dialer.inc}\0${p.acceptor.name}\0${p.acceptor.inc}\0`);
  h.update(p.dialer.nonce);
  h.update(p.acceptor.nonce);
  h.update(p.dialer.instance);
  h.update(p.acceptor.instance);
  return new Uint8Array(h.digest());
}

/** Constant-time comparison of a received proof with the expected one. */
export function proofMatches(expected: Uint8Array, given: Uint8Array): boolean {
  return expected.length === given.length && timingSafeEqual(expected, given);
}
