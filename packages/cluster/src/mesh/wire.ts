/*
 * The one boundary for what a peer sends outside frames: every handshake message (before and
 * after the cookie proof), every control record and every gossiped peer URL is parsed here into
 * a typed value, or rejected here with the close code and reason the connection ends with.
 * Nothing a peer sends reaches the rest of the mesh unparsed, and nothing here throws: a
 * decoder or schema failure of any kind is a rejection. (Runtime frames, the hot path, are
 * checked field by field by frame-guard.ts, without a schema library: millions a second.)
 */
import * as v from 'valibot';
import { decode } from '@foundation/runtime';
import {
  CloseCode,
  INSTANCE_BYTES,
  MAX_HANDSHAKE_BYTES,
  MAX_PEERS,
  MAX_WELCOME_BYTES,
  MAX_URL_LENGTH,
  NODE_NAME_RE,
  NONCE_BYTES,
  PROOF_BYTES,
  PROTOCOL_VERSION,
} from './protocol.js';
import { tryNormalizeUrl } from './url.js';

/** A peer URL that came from the wire, parsed and spelled canonically (see normalizeUrl). */
export type PeerUrl = string & v.Brand<'PeerUrl'>;

const NodeName = v.pipe(v.string(), v.regex(NODE_NAME_RE, 'a node name: 1 to 255 of A-Z a-z 0-9 _ @ -'));
const Incarnation = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const bytes = (n: number) =>
  v.pipe(
    v.custom<Uint8Array>((x) => x instanceof Uint8Array, 'bytes'),
    v.length(n, `${n} bytes`),
  );

/** A ws:// or wss:// URL, as the URL parser reads it, in canonical spelling. */
const PeerUrlSchema = v.pipe(
  v.string(),
  v.maxLength(MAX_URL_LENGTH),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const url = tryNormalizeUrl(dataset.value);
    if (url === null) {
      addIssue({ message: 'a ws:// or wss:// URL the URL parser accepts' });
      return NEVER;
    }
    return url as PeerUrl;
  }),
);

const PeerInfoSchema = v.strictObject({ name: NodeName, url: PeerUrlSchema });
const PeerListSchema = v.pipe(v.array(PeerInfoSchema), v.maxLength(MAX_PEERS));

/** Who a node says it is, in its challenge (acceptor) or hello (dialer). */
const identity = {
  v: v.literal(PROTOCOL_VERSION),
  name: NodeName,
  inc: Incarnation,
  inst: bytes(INSTANCE_BYTES),
  url: PeerUrlSchema,
  nonce: bytes(NONCE_BYTES),
};
const ChallengeSchema = v.strictObject({ h: v.literal('challenge'), ...identity });
const HelloSchema = v.strictObject({ h: v.literal('hello'), ...identity, proof: bytes(PROOF_BYTES) });
const WelcomeSchema = v.strictObject({
  h: v.literal('welcome'),
  v: v.literal(PROTOCOL_VERSION),
  proof: bytes(PROOF_BYTES),
  peers: PeerListSchema,
});
const ControlSchema = v.variant('c', [
  v.strictObject({ c: v.literal('ping') }),
  v.strictObject({ c: v.literal('peers'), peers: PeerListSchema }),
]);

/** A peer as gossiped: its name and the URL it listens on. */
export type PeerInfo = v.InferOutput<typeof PeerInfoSchema>;
/** Acceptor → dialer, first: who answered, and its nonce. */
export type Challenge = v.InferOutput<typeof ChallengeSchema>;
/** Dialer → acceptor: who dials, its nonce, and its cookie proof. */
export type Hello = v.InferOutput<typeof HelloSchema>;
/** Acceptor → dialer: its cookie proof, and the peers it is connected to. */
export type Welcome = v.InferOutput<typeof WelcomeSchema>;
/** The three handshake messages: a closed union. */
export type HandshakeMessage = Challenge | Hello | Welcome;
/** Control records after the handshake: a closed union. */
export type Control = v.InferOutput<typeof ControlSchema>;

const HANDSHAKE = { challenge: ChallengeSchema, hello: HelloSchema, welcome: WelcomeSchema } as const;
type HandshakeKind = keyof typeof HANDSHAKE;

/** A parsed value, or why the connection must close: the code and a short reason. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; code: CloseCode; reason: string };

const bad = (reason: string): { ok: false; code: CloseCode; reason: string } => ({
  ok: false,
  code: CloseCode.badFrame,
  reason: `bad frame: ${reason}`,
});

/**
 * Parses one handshake message (a whole WebSocket message) that must be a `kind`: its size,
 * its msgpack, its protocol version (an unknown one is named as such), then every field.
 */
export function parseHandshake<K extends HandshakeKind>(data: Uint8Array, kind: K): Parsed<v.InferOutput<(typeof HANDSHAKE)[K]>> {
  const limit = kind === 'welcome' ? MAX_WELCOME_BYTES : MAX_HANDSHAKE_BYTES;
  if (data.length > limit) return bad(`a handshake message of ${data.length} bytes (limit ${limit})`);
  const m = decodeOrNull(data);
  if (m === NOT_MSGPACK) return bad('a handshake message that is not msgpack');
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return bad(`expected a ${kind}, got ${brief(m)}`);
  const ver = (m as { v?: unknown }).v;
  if (ver !== PROTOCOL_VERSION) {
    return { ok: false, code: CloseCode.version, reason: `unknown protocol version ${brief(ver)} (this node speaks ${PROTOCOL_VERSION})` };
  }
  return check(HANDSHAKE[kind], m, `expected a ${kind}`);
}

/** Parses the payload of a control record. */
export function parseControl(payload: Uint8Array): Parsed<Control> {
  const m = decodeOrNull(payload);
  if (m === NOT_MSGPACK) return bad('a control record that is not msgpack');
  return check(ControlSchema, m, 'a control record of the wrong shape');
}

/** Parses a peer URL from elsewhere (a discovery strategy, a gossip): the canonical URL, or null. */
export function parsePeerUrl(url: unknown): PeerUrl | null {
  const r = v.safeParse(PeerUrlSchema, url);
  return r.success ? r.output : null;
}

function check<S extends v.GenericSchema>(schema: S, m: unknown, what: string): Parsed<v.InferOutput<S>> {
  let r: v.SafeParseResult<S>;
  try {
    r = v.safeParse(schema, m, { abortEarly: true });
  } catch (e) {
    // Not expected from valibot; a rejection all the same, never a throw into a socket callback.
    return bad(`${what} (the parser failed: ${brief((e as Error)?.message)})`);
  }
  if (r.success) return { ok: true, value: r.output };
  const issue = r.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  return bad(`${what}: ${path ? `${path}: ` : ''}${issue.message}`.slice(0, 300));
}

const NOT_MSGPACK = Symbol('not msgpack');

function decodeOrNull(data: Uint8Array): unknown {
  try {
    return decode(data);
  } catch {
    return NOT_MSGPACK;
  }
}

/** A few words about a value from the wire for a log line: bounded, and never a throw. */
export function brief(x: unknown): string {
  try {
    switch (typeof x) {
      case 'number':
      case 'boolean':
      case 'bigint':
        return String(x).slice(0, 40);
      case 'string':
        return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x);
      case 'undefined':
        return 'nothing';
      default:
        if (x === null) return 'null';
        if (Array.isArray(x)) return `an array of ${x.length}`;
        if (x instanceof Uint8Array) return `${x.length} bytes`;
        return `a ${typeof x === 'object' ? ((Object.getPrototypeOf(x) as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'null-prototype object') : typeof x}`.slice(
          0,
          60,
        );
    }
  } catch {
    return 'something unreadable';
  }
}
