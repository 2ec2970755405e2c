import type WebSocket from 'ws';
import { FRAME_FIELDS, decode, decodeValues, encode, unflattenFrame, type Frame } from '@foundation/runtime';
import { Handshake, type LocalIdentity } from './handshake.js';
import { Outbox, splitBatch } from './outbox.js';
import { isFrame } from './frame-guard.js';
import { CloseCode, REC_CONTROL, REC_FRAME, REC_FRAMES } from './protocol.js';
import {
  brief,
  parseControl,
  parseHandshake,
  type Challenge,
  type Control,
  type Hello,
  type Parsed,
  type PeerInfo,
  type Welcome,
} from './wire.js';

/** What the mesh decides about a peer met in a handshake: go on, or close with a code and reason. */
export type Verdict = { ok: true } | { ok: false; code: CloseCode; reason: string };

/** What a Connection asks of the mesh that owns it. */
export interface ConnectionOwner {
  readonly self: LocalIdentity;
  readonly cookie: string;
  readonly maxFrameBytes: number;
  /** Dialer side: a challenge arrived from `ch.name`; may we go on? */
  onChallenge(c: Connection, ch: Challenge): Verdict;
  /** Acceptor side: a hello with a valid proof arrived; may we accept? */
  onHello(c: Connection, h: Hello): Verdict;
  /** Dialer side: the acceptor's proof checked out; may we go up? */
  onWelcome(c: Connection, w: Welcome): Verdict;
  /** The handshake is done (either side); `peers` are what the peer knows. */
  onUp(c: Connection, peers: PeerInfo[]): void;
  onFrame(c: Connection, f: Frame): void;
  /** Every frame of one WebSocket message has been handed over. */
  onBatchEnd(): void;
  /** A queued frame came out larger than maxFrameBytes when encoded at the flush: dropped. */
  onDropped(c: Connection, tag: unknown, bytes: number): void;
  onControl(c: Connection, m: Control): void;
  /** Called once per connection, whoever closed it. */
  onClosed(c: Connection, code: number, reason: string, byUs: boolean): void;
  /** The connected peers, for the welcome (all but `exclude`). */
  peerList(exclude: string): PeerInfo[];
  /** Asks for a flush of `c`'s outbox once the code running now is done (see MeshTransport.schedule). */
  schedule(c: Connection): void;
  log(level: 'debug' | 'info' | 'warn', msg: string): void;
}

type Stage = 'handshake' | 'up' | 'closed';

/**
 * One WebSocket to one peer, from the first byte to the close: the handshake, then batched
 * records both ways. Closing is idempotent and reported to the owner exactly once, with one
 * log line saying why. Every callback (socket events, the handshake timer) is guarded: a throw
 * in this node's own code closes this connection (CloseCode.internal), logged once, and the
 * node goes on serving its other peers.
 */
export class Connection {
  stage: Stage = 'handshake';
  readonly hs: Handshake;
  readonly outbox: Outbox;
  /** Set while this connection waits in the owner's flush set. */
  scheduled = false;
  /** When something last arrived (ms, performance.now). */
  lastRecv = performance.now();
  /** The socket's buffered bytes when last looked at (at a flush, or at a send near the bound). */
  backlog = 0;
  /** Set once a send passed maxBufferedBytes: nothing more goes on this connection, which closes. */
  doomed = false;
  private hsTimer: NodeJS.Timeout | null;
  /** A protocol violation ws found in what the peer sent, reported with the close. */
  private protocolError: string | null = null;

  constructor(
    readonly ws: WebSocket,
    /** 'out' when this node dialled. */
    readonly dir: 'in' | 'out',
    /** Where we dialled (out), or the peer's address (in), for logs. */
    readonly where: string,
    private readonly owner: ConnectionOwner,
    handshakeTimeoutMs: number,
  ) {
    this.hs = new Handshake(owner.self, owner.cookie);
    this.outbox = new Outbox((tag, bytes) => owner.onDropped(this, tag, bytes));
    this.hsTimer = setTimeout(
      this.guard('the handshake timer', () => this.close(CloseCode.handshakeTimeout, `no handshake within ${handshakeTimeoutMs} ms`)),
      handshakeTimeoutMs,
    );
    this.hsTimer.unref();
    ws.on(
      'message',
      this.guard('the message handler', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary)),
    );
    ws.on(
      'error',
      this.guard('the error handler', (e: Error & { code?: string }) => {
        // ws names protocol violations (an oversized or malformed message) WS_ERR_*: the peer's fault.
        if (typeof e?.code === 'string' && e.code.startsWith('WS_ERR_')) this.protocolError = String(e.message);
        else owner.log('debug', `${this.label()}: socket error: ${e?.message}`);
      }),
    );
    ws.on(
      'close',
      this.guard('the close handler', (code: number, reason: Buffer) => this.onSocketClose(code, reason.toString())),
    );
    if (dir === 'in') this.guard('the challenge', () => this.sendRaw(encode(this.hs.challenge())))();
  }

  /**
   * `fn` for a callback: a throw from it closes this connection with CloseCode.internal (one
   * log line, with the stack) instead of reaching the event loop as an uncaught exception.
   */
  guard<A extends unknown[]>(where: string, fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        fn(...args);
      } catch (e) {
        try {
          this.crashed(where, e);
        } catch {
          // Even the report failed (a value whose getters throw?): end the socket, say nothing more.
          terminate(this.ws);
        }
      }
    };
  }

  /** This node's own code threw while handling this connection: end the connection, not the process. */
  crashed(where: string, e: unknown): void {
    let what = `${where} threw`;
    let stack: string | undefined;
    try {
      what = `${where} threw: ${e instanceof Error ? String(e.message) : brief(e)}`;
      stack = e instanceof Error ? String(e.stack) : undefined;
    } catch {
      // An error whose message or stack getter throws: logged without them.
    }
    if (this.stage === 'closed') {
      this.owner.log('warn', `${this.label()}: after the close, ${what}${stack ? `\n${stack}` : ''}`);
      return;
    }
    try {
      this.close(CloseCode.internal, `internal error: ${what}`, 'warn', stack);
    } catch (e2) {
      this.owner.log('warn', `${this.label()}: closing after an internal error failed too: ${(e2 as Error)?.message ?? brief(e2)}`);
      terminate(this.ws);
    }
  }

  /** The peer's name once known (after its challenge or hello). */
  get peerName(): string | undefined {
    return this.hs.peer?.name;
  }

  label(): string {
    const p = this.hs.peer;
    return p ? `${p.name} (${this.where})` : this.where;
  }

  /** Queues an encoded record; the owner flushes it soon (see MeshTransport.schedule). */
  push(kind: number, payload: Uint8Array, lazy = false): void {
    this.outbox.pushRecord(kind, payload);
    if (!this.scheduled && !lazy) this.owner.schedule(this);
  }

  /**
   * Queues a flat frame snapshot (see runtime/src/snapshot.ts) whose encoding takes at most `bound` bytes.
   * A `lazy` one asks for no flush of its own: it leaves with the next frame or heartbeat.
   */
  pushFrame(flat: unknown[], n: number, bound: number, lazy = false): void {
    this.outbox.pushFrame(flat, n, bound);
    if (!this.scheduled && !lazy) this.owner.schedule(this);
  }

  sendControl(m: Control): void {
    if (this.stage === 'up') this.push(REC_CONTROL, encode(m));
  }

  /** Writes the queued records as batches. */
  flush(): void {
    if (this.stage !== 'up' || this.outbox.length === 0) return;
    for (const batch of this.outbox.drain()) this.ws.send(batch);
    this.backlog = this.ws.bufferedAmount;
  }

  /** Bytes waiting for this peer: queued here and in the socket. */
  pendingBytes(): number {
    return this.outbox.bytes + this.ws.bufferedAmount;
  }

  /**
   * Closes the connection with `code` and `reason` (sent to the peer, logged once here) and
   * tells the owner. Queued records are written first when the close is clean.
   */
  close(code: CloseCode, reason: string, level?: 'debug' | 'info' | 'warn', detail?: string): void {
    if (this.stage === 'closed') return;
    if (code === CloseCode.goodbye || code === CloseCode.disconnect) this.flush();
    this.finish();
    this.owner.log(level ?? levelFor(code), `${this.label()}: closing (${code}): ${reason}${detail ? `\n${detail}` : ''}`);
    try {
      // A close reason is at most 123 bytes of UTF-8.
      this.ws.close(
        code,
        Buffer.from(reason)
          .subarray(0, 120)
          .toString()
          .replace(/\uFFFD$/, ''),
      );
    } catch {
      terminate(this.ws);
    }
    // A peer that never answers the close does not keep its socket for ws's 30 s.
    setTimeout(() => terminate(this.ws), 2000).unref();
    this.owner.onClosed(this, code, reason, true);
  }

  private finish(): void {
    this.stage = 'closed';
    this.outbox.clear();
    if (this.hsTimer) clearTimeout(this.hsTimer);
    this.hsTimer = null;
  }

  private onSocketClose(code: number, reason: string): void {
    if (this.stage === 'closed') return;
    const wasUp = this.stage === 'up';
    this.finish();
    const text = this.protocolError
      ? `bad frame: ${this.protocolError}`
      : reason || (code === 1006 ? 'connection lost' : 'no reason given');
    const level = this.protocolError || wasUp || (code !== CloseCode.superseded && code !== 1006) ? levelFor(code) : 'debug';
    this.owner.log(level, `${this.label()}: closed by peer or network (${code}): ${text}`);
    this.owner.onClosed(this, code, text, false);
  }

  private sendRaw(bytes: Uint8Array): void {
    this.ws.send(bytes);
  }

  private bad(what: string): void {
    this.close(CloseCode.badFrame, `bad frame: ${what}`);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.stage === 'closed') return;
    this.lastRecv = performance.now();
    if (!isBinary) return this.bad('a text message');
    if (this.stage === 'up') return this.onBatch(data);
    if (this.dir === 'out') this.onDialerMessage(data);
    else this.onAcceptorMessage(data);
  }

  private challengedOnce = false;

  private onDialerMessage(data: Buffer): void {
    if (!this.challengedOnce) {
      this.challengedOnce = true;
      const ch = this.parsed(parseHandshake(data, 'challenge'));
      if (ch === null) return;
      this.hs.challenged(ch);
      const verdict = this.owner.onChallenge(this, ch);
      if (!verdict.ok) return this.close(verdict.code, verdict.reason);
      this.sendRaw(encode(this.hs.hello(ch)));
      return;
    }
    const w = this.parsed(parseHandshake(data, 'welcome'));
    if (w === null) return;
    if (!this.hs.checkWelcome(w)) return this.close(CloseCode.cookie, 'the peer failed its cookie proof (a different cookie?)');
    const verdict = this.owner.onWelcome(this, w);
    if (!verdict.ok) return this.close(verdict.code, verdict.reason);
    this.goUp(w.peers);
  }

  private onAcceptorMessage(data: Buffer): void {
    if (this.hs.peer !== null) return this.bad('a second hello');
    const h = this.parsed(parseHandshake(data, 'hello'));
    if (h === null) return;
    if (!this.hs.checkHello(h)) return this.close(CloseCode.cookie, `node '${h.name}' failed its cookie proof (a different cookie?)`);
    const verdict = this.owner.onHello(this, h);
    if (!verdict.ok) return this.close(verdict.code, verdict.reason);
    this.sendRaw(encode(this.hs.welcome(this.owner.peerList(h.name))));
    this.goUp([]);
  }

  /** The value, or null once the connection is closed with the rejection's code and reason. */
  private parsed<T>(p: Parsed<T>): T | null {
    if (p.ok) return p.value;
    this.close(p.code, p.reason);
    return null;
  }

  private goUp(peers: PeerInfo[]): void {
    if (this.hsTimer) clearTimeout(this.hsTimer);
    this.hsTimer = null;
    this.stage = 'up';
    this.lastRecv = performance.now();
    this.owner.onUp(this, peers);
  }

  private onBatch(data: Buffer): void {
    const recs = splitBatch(data, this.owner.maxFrameBytes);
    if (typeof recs === 'string') return this.bad(recs);
    for (const rec of recs) {
      if (this.stage !== 'up') return;
      if (rec.kind === REC_CONTROL) {
        const c = this.parsed(parseControl(rec.payload));
        if (c === null) return;
        this.owner.onControl(this, c);
        continue;
      }
      let m: unknown;
      try {
        // A frames record is a batch of the runtime's frame codec; a single frame is msgpack.
        m = rec.kind === REC_FRAMES ? decodeValues(rec.payload) : decode(rec.payload);
      } catch {
        return this.bad(rec.kind === REC_FRAMES ? 'a frames record that is not a batch of frames' : 'a record that is not msgpack');
      }
      if (rec.kind === REC_FRAMES) {
        if (!Array.isArray(m) || m.length === 0) return this.bad('a frames record that is not a non-empty array');
        let i = 0;
        while (i < m.length) {
          if (this.stage !== 'up') return;
          const f = unflattenFrame(m, i);
          if (f === undefined) return this.bad(`a frame of the wrong shape (t: ${describeTag({ t: m[i] as unknown })})`);
          if (!isFrame(f)) return this.bad(`a frame of the wrong shape (t: ${describeTag(f)})`);
          i += 1 + FRAME_FIELDS[f.t]!.length;
          this.owner.onFrame(this, f);
        }
      } else if (rec.kind === REC_FRAME) {
        if (!isFrame(m)) return this.bad(`a frame of the wrong shape (t: ${describeTag(m)})`);
        this.owner.onFrame(this, m);
      } else {
        return this.bad(`a record of unknown kind ${rec.kind}`);
      }
    }
    this.owner.onBatchEnd();
  }
}

function describeTag(m: unknown): string {
  const t = typeof m === 'object' && m !== null ? (m as { t?: unknown }).t : undefined;
  return typeof t === 'string' ? JSON.stringify(t.slice(0, 20)) : typeof t;
}

function terminate(ws: WebSocket): void {
  try {
    ws.terminate();
  } catch {
    // Already gone: nothing left to end.
  }
}

function levelFor(code: number): 'debug' | 'info' | 'warn' {
  if (code === CloseCode.superseded) return 'debug';
  if (code === CloseCode.goodbye || code === CloseCode.disconnect) return 'info';
  return 'warn';
}
