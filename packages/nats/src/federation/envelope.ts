import { decode, encode } from '@foundation/runtime';
import { TOKEN } from '../options.js';

/** Where a federated message goes in its cluster: a name registered on the gateway node, or `{ name, node }`. */
export type ClusterTarget = string | { name: string; node: string };

/** A message between clusters, as it travels from gateway to gateway. */
export interface Envelope {
  kind: 'send' | 'call';
  from: string;
  to: string;
  target: ClusterTarget;
  msg: unknown;
  /** Gateways passed so far (a route longer than the number of clusters is a loop: dropped). */
  hops: number;
  /** A call's time left, in ms, when it left. */
  timeoutMs: number;
}

/** The answer to a federated call: the value, or why it failed (a CallExitError's reason, 'timeout', 'unreachable'). */
export type Answer = { ok: true; value: unknown } | { ok: false; reason: unknown };

/** A cluster's gateway announcing itself on `fed.presence`. */
export interface Announce {
  cluster: string;
  gateway: string;
  nodes: string[];
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isName = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 1024;

/** True when `t` is a ClusterTarget. */
export function isClusterTarget(t: unknown): t is ClusterTarget {
  return isName(t) || (isObj(t) && isName(t.name) && isName(t.node));
}

export const encodeEnvelope = (e: Envelope): Uint8Array => encode(e);
export const encodeAnswer = (a: Answer): Uint8Array => encode(a);
export const encodeAnnounce = (a: Announce): Uint8Array => encode(a);

function decodeSafe(bytes: Uint8Array): unknown {
  try {
    return decode(bytes);
  } catch {
    return undefined;
  }
}

/** Parses an envelope from the wire, or null when it is not one. */
export function parseEnvelope(bytes: Uint8Array): Envelope | null {
  const e = decodeSafe(bytes);
  if (!isObj(e) || (e.kind !== 'send' && e.kind !== 'call')) return null;
  if (typeof e.from !== 'string' || !TOKEN.test(e.from) || typeof e.to !== 'string' || !TOKEN.test(e.to)) return null;
  if (!isClusterTarget(e.target) || !('msg' in e)) return null;
  if (!Number.isSafeInteger(e.hops) || (e.hops as number) < 0 || typeof e.timeoutMs !== 'number' || !(e.timeoutMs > 0)) return null;
  return e as unknown as Envelope;
}

/** Parses a call's answer, or null when it is not one. */
export function parseAnswer(bytes: Uint8Array): Answer | null {
  const a = decodeSafe(bytes);
  if (!isObj(a) || typeof a.ok !== 'boolean') return null;
  if (a.ok ? !('value' in a) : !('reason' in a)) return null;
  return a as unknown as Answer;
}

/** Parses an announce, or null when it is not one. */
export function parseAnnounce(bytes: Uint8Array): Announce | null {
  const a = decodeSafe(bytes);
  if (!isObj(a) || typeof a.cluster !== 'string' || !TOKEN.test(a.cluster) || !isName(a.gateway)) return null;
  if (!Array.isArray(a.nodes) || !a.nodes.every(isName)) return null;
  return a as unknown as Announce;
}
