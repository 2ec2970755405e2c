import { vi } from 'vitest';
import WebSocket from 'ws';
import { Actor, Node, encode, isDown, isExit, noReply, type DownMessage, type ExitMessage, type Pid, type Ref } from '@foundation/runtime';
import { mesh, type MeshOptions, type MeshTransport, type Strategy } from '../src/index.js';
import type { Connection } from '../src/mesh/connection.js';
import { Handshake } from '../src/mesh/handshake.js';
import { REC_FRAME, REC_HEADER, instanceId } from '../src/mesh/protocol.js';
import { parseHandshake } from '../src/mesh/wire.js';

export const COOKIE = 'test-cookie';

/** Log lines of one mesh, for assertions on what was refused and why. */
export class LogLines {
  readonly lines: string[] = [];
  readonly logger = (level: string, msg: string) => {
    this.lines.push(`${level} ${msg}`);
  };
  has(re: RegExp): boolean {
    return this.lines.some((l) => re.test(l));
  }
  count(re: RegExp): number {
    return this.lines.filter((l) => re.test(l)).length;
  }
}

const started: Node[] = [];
/** Starts a node on a mesh (loopback, any port); stopped by `stopAll`. */
export async function startNode(
  name: string,
  opts: Partial<MeshOptions> = {},
  log = new LogLines(),
): Promise<{ node: Node; log: LogLines }> {
  const node = await Node.start({ name, transport: mesh({ cookie: COOKIE, logger: log.logger, ...opts }) });
  started.push(node);
  return { node, log };
}

export async function stopAll(): Promise<void> {
  await Promise.all(started.splice(0).map((n) => n.stop()));
}

/** A strategy that reports a fixed list once: the test's own, independent of staticPeers. */
export function seeds(urls: string[]): Strategy {
  return {
    name: 'test-seeds',
    start: (ctx) => {
      for (const u of urls) ctx.found(u);
    },
    stop: () => {},
  };
}

export const until = (fn: () => unknown, timeout = 5000) => vi.waitFor(fn, { interval: 2, timeout });

export async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

export const downFor =
  (ref: Ref) =>
  (m: unknown): m is DownMessage =>
    isDown(m) && m.ref.equals(ref);
export const exitFrom =
  (pid: Pid) =>
  (m: unknown): m is ExitMessage =>
    isExit(m) && m.from.equals(pid);

type Cmd = 'hold' | 'self' | { link: Pid } | unknown;

/** Answers calls with `{ echo, self }` (holds 'hold' forever, links on `{ link }`), reports casts and sends to `reportTo`. */
export class Echo extends Actor<Cmd, unknown, Pid | undefined> {
  reportTo: Pid | undefined;
  override init(reportTo?: Pid) {
    this.reportTo = reportTo;
  }
  override handleCall(msg: Cmd) {
    if (msg === 'hold') return noReply;
    if (typeof msg === 'object' && msg !== null && 'link' in msg) return this.link((msg as { link: Pid }).link);
    return { echo: msg, self: this.self };
  }
  override handleCast(msg: unknown) {
    if (msg instanceof Error) throw msg;
    if (this.reportTo) this.send(this.reportTo, ['cast', msg]);
  }
  override handleInfo(msg: unknown) {
    if (this.reportTo) this.send(this.reportTo, ['info', msg]);
  }
}

/** Resolves with the close code and reason of a raw socket. */
export function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** A raw WebSocket to a mesh endpoint, collecting what it receives. */
export async function rawClient(
  url: string,
): Promise<{ ws: WebSocket; next: () => Promise<Buffer>; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('error', () => {});
  const queue: Buffer[] = [];
  const waiting: Array<(b: Buffer) => void> = [];
  ws.on('message', (data) => {
    const w = waiting.shift();
    if (w) w(data as Buffer);
    else queue.push(data as Buffer);
  });
  const closed = closeOf(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise<Buffer>((r) => waiting.push(r)));
  return { ws, next, closed };
}

/** A raw peer's handshake was refused: the close code and reason. */
export class RefusedError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`refused (${code}): ${reason}`);
  }
}

/** The identity a raw peer presents (a fresh instance id unless given). */
export interface RawIdentity {
  inc?: number;
  instance?: Uint8Array;
  url?: string;
}

/**
 * A raw client that completes the handshake as node `name` (holding `cookie`): what a
 * misbehaving peer looks like once it is in.
 */
export async function rawPeer(url: string, name: string, cookie = COOKIE, id: RawIdentity = {}) {
  const c = await rawClient(url);
  const ch = parseHandshake(await c.next(), 'challenge');
  if (!ch.ok) throw new Error(`expected a challenge: ${ch.reason}`);
  const hs = new Handshake({ name, inc: id.inc ?? 1, instance: id.instance ?? instanceId(), url: id.url ?? 'ws://127.0.0.1:1' }, cookie);
  c.ws.send(encode(hs.hello(ch.value)));
  const answer = await Promise.race([c.next(), c.closed]);
  if (!Buffer.isBuffer(answer)) throw new RefusedError(answer.code, answer.reason);
  const w = parseHandshake(answer, 'welcome');
  if (!w.ok || !hs.checkWelcome(w.value)) throw new Error('expected a valid welcome');
  return c;
}

/** One batch holding `payload` as a single record of `kind` (a frame by default). */
export function record(payload: Uint8Array, kind = REC_FRAME): Buffer {
  const b = Buffer.alloc(REC_HEADER + payload.length);
  b[0] = kind;
  b.writeUInt32BE(payload.length, 1);
  b.set(payload, REC_HEADER);
  return b;
}

/** The mesh under `node` (tests reach into it to cut or pause a connection, as a network would). */
export function meshOf(node: Node): MeshTransport {
  return (node as unknown as { k: { transport: MeshTransport } }).k.transport;
}

/** `node`'s live connection to `peer`. */
export function connectionTo(node: Node, peer: string): Connection {
  const c = meshOf(node).peers.up.get(peer);
  if (!c) throw new Error(`${node.name} is not connected to ${peer}`);
  return c;
}
