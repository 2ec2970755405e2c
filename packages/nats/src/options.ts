import { checkKnownOptions } from '@foundation/runtime';
import { NatsOptionsError } from './errors.js';

/** TLS towards nats-server: PEM strings (or file paths) of the CA, and this client's cert and key for mutual TLS. */
export interface NatsTlsOptions {
  ca?: string;
  caFile?: string;
  cert?: string;
  certFile?: string;
  key?: string;
  keyFile?: string;
}

/** Where the transport writes what happened (peers up and down, bad frames, the NATS link). */
export type NatsLogger = (level: 'debug' | 'info' | 'warn', msg: string) => void;

/**
 * Options of `nats()`. Credentials take the place of the mesh's cookie: a node may join the
 * cluster when nats-server lets it publish and subscribe on `<cluster>.>`.
 */
export interface NatsOptions {
  /** nats-server URL(s), e.g. `'nats://127.0.0.1:4222'`. */
  servers: string | string[];
  /** The cluster's name: the subject prefix every node of it shares (default 'foundation'). Letters, digits, '_' and '-'. */
  cluster?: string;
  /** User and password (nats-server `authorization { user, password }`). */
  user?: string;
  pass?: string;
  /** A token (nats-server `authorization { token }`). */
  token?: string;
  /** An nkey seed (`SU...`), for nats-server `authorization { users: [{ nkey }] }`. */
  nkeySeed?: string;
  /** TLS towards the server. */
  tls?: NatsTlsOptions;
  /** Presence period in ms (default 1000): each node announces itself this often. */
  heartbeatMs?: number;
  /** A peer silent for this many heartbeats is down with 'noconnection' (default 4). */
  missedHeartbeats?: number;
  /** How long `connect(url)` waits for the named node to appear, in ms (default 5000). */
  connectTimeoutMs?: number;
  /** Largest encoded frame, in bytes (default: the server's max_payload less 4 KiB). */
  maxFrameBytes?: number;
  /**
   * Most bytes sent to one peer and not yet acknowledged by it (default 32 MiB, as the mesh):
   * past it the peer is taken down ('noconnection') rather than frames dropped from the middle.
   */
  maxBufferedBytes?: number;
  /** Where to log (default: warnings to stderr). */
  logger?: NatsLogger;
}

/** NatsOptions with defaults filled in and checked. */
export interface ResolvedNatsOptions {
  servers: string[];
  cluster: string;
  user: string | undefined;
  pass: string | undefined;
  token: string | undefined;
  nkeySeed: string | undefined;
  tls: NatsTlsOptions | undefined;
  heartbeatMs: number;
  missedHeartbeats: number;
  connectTimeoutMs: number;
  maxFrameBytes: number | undefined;
  maxBufferedBytes: number;
  logger: NatsLogger;
}

const KNOWN = [
  'servers',
  'cluster',
  'user',
  'pass',
  'token',
  'nkeySeed',
  'tls',
  'heartbeatMs',
  'missedHeartbeats',
  'connectTimeoutMs',
  'maxFrameBytes',
  'maxBufferedBytes',
  'logger',
];
const TLS_KNOWN = ['ca', 'caFile', 'cert', 'certFile', 'key', 'keyFile'];
/** A subject token: what may sit between two dots of a NATS subject. */
export const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

const defaultLogger: NatsLogger = (level, msg) => {
  if (level === 'warn') process.stderr.write(`[foundation/nats] ${msg}\n`);
};

function int(field: string, v: unknown, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new NatsOptionsError(field, `an integer ≥ ${min}`, v);
  return v;
}

function str(field: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0) throw new NatsOptionsError(field, 'a non-empty string', v);
  return v;
}

/** Checks `opts` (UnknownOptionError for a field not in NatsOptions, NatsOptionsError for a bad value) and fills in defaults. */
export function resolveNatsOptions(opts: NatsOptions): ResolvedNatsOptions {
  checkKnownOptions('nats', opts, KNOWN);
  if (opts === undefined) throw new NatsOptionsError('servers', 'a nats:// URL or a list of them', undefined);
  const servers = typeof opts.servers === 'string' ? [opts.servers] : opts.servers;
  if (!Array.isArray(servers) || servers.length === 0 || !servers.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new NatsOptionsError('servers', 'a nats:// URL or a non-empty list of them', opts.servers);
  }
  const cluster = opts.cluster ?? 'foundation';
  if (typeof cluster !== 'string' || !TOKEN.test(cluster)) {
    throw new NatsOptionsError('cluster', "1 to 128 letters, digits, '_' or '-'", opts.cluster);
  }
  const user = str('user', opts.user);
  const pass = str('pass', opts.pass);
  if ((user === undefined) !== (pass === undefined)) throw new NatsOptionsError('pass', 'given with user (both or neither)', pass);
  const token = str('token', opts.token);
  const nkeySeed = str('nkeySeed', opts.nkeySeed);
  if ([user, token, nkeySeed].filter((x) => x !== undefined).length > 1) {
    throw new NatsOptionsError('user/token/nkeySeed', 'one way of authenticating at most', {
      user,
      token: token && '…',
      nkeySeed: nkeySeed && '…',
    });
  }
  if (nkeySeed !== undefined && !nkeySeed.startsWith('SU'))
    throw new NatsOptionsError('nkeySeed', "a user nkey seed (starting 'SU')", '<a seed not starting SU>');
  if (opts.tls !== undefined) {
    checkKnownOptions('nats tls', opts.tls, TLS_KNOWN);
    for (const k of TLS_KNOWN) str(`tls.${k}`, (opts.tls as Record<string, unknown>)[k]);
  }
  if (opts.logger !== undefined && typeof opts.logger !== 'function') throw new NatsOptionsError('logger', 'a function', opts.logger);
  const maxFrameBytes = opts.maxFrameBytes === undefined ? undefined : int('maxFrameBytes', opts.maxFrameBytes, 0, 1024);
  return {
    servers,
    cluster,
    user,
    pass,
    token,
    nkeySeed,
    tls: opts.tls,
    heartbeatMs: int('heartbeatMs', opts.heartbeatMs, 1000, 10),
    missedHeartbeats: int('missedHeartbeats', opts.missedHeartbeats, 4, 2),
    connectTimeoutMs: int('connectTimeoutMs', opts.connectTimeoutMs, 5000, 0),
    maxFrameBytes,
    maxBufferedBytes: int('maxBufferedBytes', opts.maxBufferedBytes, 32 * 1024 * 1024, 1024),
    logger: opts.logger ?? defaultLogger,
  };
}
