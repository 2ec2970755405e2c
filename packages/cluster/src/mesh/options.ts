import { hostname } from 'node:os';
import { checkKnownOptions } from '@foundation/runtime';
import type { Strategy } from '../discovery/strategy.js';
import { MeshOptionsError } from './errors.js';

/** TLS material for `wss://`: this node's key and certificate, and the CA that signs its peers'. */
export interface MeshTlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  /** Trusted CA(s) for peers' certificates (default: Node's bundled roots). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Check peers' certificates when dialling (default true). */
  rejectUnauthorized?: boolean;
}

/** Where the mesh writes what happened to connections (refusals, drops, bad frames). */
export type MeshLogger = (level: 'debug' | 'info' | 'warn', msg: string) => void;

/** Options of `mesh()`. */
export interface MeshOptions {
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Address to listen on (default '127.0.0.1'). */
  host?: string;
  /** Host name peers use to reach this node (default `host`, or the machine's name when `host` is a wildcard). */
  advertiseHost?: string;
  /** The shared secret every node of the cluster holds; never sent on the wire. */
  cookie: string;
  /** Ways to find peers; none by default. */
  discovery?: Strategy[];
  /** Listen and dial with TLS (`wss://`). */
  tls?: MeshTlsOptions;
  /** Heartbeat period in ms (default 1000); a peer silent for 4 ticks is down. */
  tickMs?: number;
  /**
   * Largest encoded frame sent or accepted, in bytes (default 8 MiB, least 1 KiB).
   *
   * Sending: a frame that could pass 1 KiB encoded is encoded at `send`, so one over the limit
   * fails there (`send` returns false: a dead letter, and a warning) — except an exit or down
   * signal, which goes with its reason shortened to fit (the error's name and the start of its
   * message, or a short description): a link or monitor fires exactly once, always. Smaller frames (the most)
   * are batched: a turn's frames for a peer are encoded together as one array (records of up to
   * 256 KiB), and every one of them is under 1 KiB, so under any peer's limit.
   *
   * Receiving: a frame that travels alone over the limit closes the connection as a bad frame; a
   * batch record is accepted up to the limit or 256 KiB, whichever is larger (the frames inside
   * are not measured one by one: an honest peer only batches frames under 1 KiB).
   */
  maxFrameBytes?: number;
  /**
   * Bound on the bytes queued for one peer (default 32 MiB): in this node's outbox and in the
   * socket's buffer.
   *
   * The rule, Erlang's: if a message from one node to another arrives, every earlier one between
   * them arrived. So no frame is ever dropped from the middle of the stream: a send that would pass
   * the bound (unless nothing is queued: a lone large frame always goes) fails, nothing more is
   * sent on that connection, and it is closed (CloseCode.slowPeer) with what it had queued.
   * Every link and monitor across it sees `'noconnection'`, nodedown fires on both sides, and
   * the redialer reconnects: a slow peer costs a reconnect, never a silent gap.
   *
   * A frame is counted when it is sent, before the end-of-turn batch is encoded: a frame encoded
   * at `send` (one that could pass 1 KiB) by its exact size, a small one by an upper bound of its
   * encoded size (9 bytes a number, 3 a string's character, 48 a pid: several times what it
   * takes inside a batch, about what its queued copy holds in memory); once written, by the
   * socket's buffered bytes. So a turn queues fewer tiny frames than the bound would hold encoded.
   */
  maxBufferedBytes?: number;
  /** Where to log (default: warnings to console.warn, the rest dropped). */
  logger?: MeshLogger;
}

/** Options after defaults and validation. */
export interface ResolvedMeshOptions {
  port: number;
  host: string;
  advertiseHost: string;
  cookie: string;
  discovery: Strategy[];
  tls: MeshTlsOptions | undefined;
  tickMs: number;
  maxFrameBytes: number;
  maxBufferedBytes: number;
  logger: MeshLogger;
  /** A handshake not finished after this long is dropped. */
  handshakeTimeoutMs: number;
  /** Reconnect backoff: first delay, cap, and how long a lost peer is redialled before giving up. */
  backoffMinMs: number;
  backoffMaxMs: number;
  redialForMs: number;
}

const defaultLogger: MeshLogger = (level, msg) => {
  if (level === 'warn') console.warn(`[mesh] ${msg}`);
};

const KNOWN = new Set([
  'port',
  'host',
  'advertiseHost',
  'cookie',
  'discovery',
  'tls',
  'tickMs',
  'maxFrameBytes',
  'maxBufferedBytes',
  'logger',
]);

function int(o: Record<string, unknown>, field: string, dflt: number, min: number, max: number): number {
  const v = o[field];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new MeshOptionsError(field, `an integer from ${min} to ${max}`, v);
  }
  return v;
}

function pem(v: unknown): boolean {
  return typeof v === 'string' || Buffer.isBuffer(v);
}

function checkTls(v: unknown): MeshTlsOptions | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null) throw new MeshOptionsError('tls', 'an object { key, cert, ca? }', v);
  const t = v as Record<string, unknown>;
  checkKnownOptions('mesh option tls', t, ['key', 'cert', 'ca', 'rejectUnauthorized']);
  if (!pem(t.key)) throw new MeshOptionsError('tls.key', 'a PEM string or Buffer', t.key);
  if (!pem(t.cert)) throw new MeshOptionsError('tls.cert', 'a PEM string or Buffer', t.cert);
  if (t.ca !== undefined && !pem(t.ca) && !(Array.isArray(t.ca) && t.ca.every(pem))) {
    throw new MeshOptionsError('tls.ca', 'a PEM string or Buffer, or an array of them', t.ca);
  }
  if (t.rejectUnauthorized !== undefined && typeof t.rejectUnauthorized !== 'boolean') {
    throw new MeshOptionsError('tls.rejectUnauthorized', 'a boolean', t.rejectUnauthorized);
  }
  return t as unknown as MeshTlsOptions;
}

function checkStrategy(s: unknown, i: number): Strategy {
  const o = s as Partial<Strategy> | null;
  if (typeof o !== 'object' || o === null || typeof o.name !== 'string' || typeof o.start !== 'function' || typeof o.stop !== 'function') {
    throw new MeshOptionsError(`discovery[${i}]`, 'a Strategy { name, start(ctx), stop() }', s);
  }
  return o as Strategy;
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);

/** Applies defaults and checks every field of `mesh()`'s options, naming the first wrong one. */
export function resolveMeshOptions(opts: unknown): ResolvedMeshOptions {
  if (typeof opts !== 'object' || opts === null) throw new MeshOptionsError('options', 'an object with at least { cookie }', opts);
  const o = opts as Record<string, unknown>;
  checkKnownOptions('mesh', o, KNOWN);
  if (typeof o.cookie !== 'string' || o.cookie.length === 0) throw new MeshOptionsError('cookie', 'a non-empty string', o.cookie);
  const host = o.host ?? '127.0.0.1';
  if (typeof host !== 'string') throw new MeshOptionsError('host', 'a host name or IP address', host);
  const adv = o.advertiseHost ?? (WILDCARD.has(host) ? hostname() : host);
  if (typeof adv !== 'string' || adv.length === 0) throw new MeshOptionsError('advertiseHost', 'a host name or IP address', adv);
  const discovery = o.discovery ?? [];
  if (!Array.isArray(discovery)) throw new MeshOptionsError('discovery', 'an array of strategies', discovery);
  if (o.logger !== undefined && typeof o.logger !== 'function') throw new MeshOptionsError('logger', 'a function (level, msg)', o.logger);
  const tickMs = int(o, 'tickMs', 1000, 10, 3_600_000);
  return {
    port: int(o, 'port', 0, 0, 65535),
    host,
    advertiseHost: adv,
    cookie: o.cookie,
    discovery: discovery.map(checkStrategy),
    tls: checkTls(o.tls),
    tickMs,
    maxFrameBytes: int(o, 'maxFrameBytes', 8 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    maxBufferedBytes: int(o, 'maxBufferedBytes', 32 * 1024 * 1024, 1024, 2 ** 40),
    logger: (o.logger as MeshLogger | undefined) ?? defaultLogger,
    handshakeTimeoutMs: Math.max(4 * tickMs, 2000),
    backoffMinMs: Math.min(100, tickMs),
    backoffMaxMs: Math.max(5000, 5 * tickMs),
    redialForMs: Math.max(60_000, 60 * tickMs),
  };
}
