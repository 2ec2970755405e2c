import { randomInt } from 'node:crypto';
import type { Incoming } from './wire.js';

/** Retired incarnations remembered per node name. */
const RETIRED_KEPT = 8;

/** One peer as this node sees it. */
export interface Peer {
  readonly name: string;
  /** The incarnation it is known by (another one replaces it: a restarted node). */
  inc: number;
  up: boolean;
  /** When a message of this incarnation last arrived (performance.now). */
  lastHeard: number;
  /** This node's session towards the peer (new at each nodeup) and the last seq sent in it. */
  sendSession: number;
  sendSeq: number;
  /** The peer's session this node follows, null until its first message (seq 1) after a nodeup. */
  recvSession: number | null;
  recvSeq: number;
  /** Bytes of data published in the send session, and how many of them the peer acknowledged. */
  sentBytes: number;
  ackedBytes: number;
  /** Bytes of data taken in from the followed session, and how many of them were acknowledged. */
  recvBytes: number;
  recvAcked: number;
  /** When a reset was last sent, and for which session (rate limit: one per session per heartbeat). */
  resetAt: number;
  resetSession: number;
}

/** What presence decisions do to the world (the transport implements it). */
export interface PresenceActions {
  nodeUp(p: Peer): void;
  nodeDown(p: Peer, reason: unknown): void;
  /** Tell `p` its session `session` towards this node is dead (0: whichever). */
  sendReset(p: Peer, session: number): void;
  log(level: 'debug' | 'info' | 'warn', msg: string): void;
}

/**
 * Who is up, from what arrives: the presence protocol of the NATS transport.
 *
 * NATS carries messages at most once, so each direction of a pair is a session: a nodeup starts
 * one (a random id), its data messages are numbered 1, 2, …, and a receiver delivers only the
 * next number of the session it follows. A gap means something was lost: the receiver takes
 * the peer down ('noconnection') and sends a reset, which takes the sender down too — so a
 * frame lost is always seen as a nodedown on both sides, never silently. A new session from a
 * peer this node had up means the peer saw this node go down: it goes down and up here too
 * (nodedown then nodeup), so links and monitors broke on both sides. A node silent for
 * `missed` heartbeats is down; a goodbye takes it down with 'shutdown'; another incarnation is
 * a restarted node: its old self goes down first.
 */
export class Presence {
  readonly peers = new Map<string, Peer>();
  /**
   * Incarnations of each name that were replaced or said goodbye: a late message of theirs is
   * dropped (incarnations are random, not ordered: only this memory tells old from new). The
   * last RETIRED_KEPT per name are kept.
   */
  private readonly retired = new Map<string, number[]>();

  constructor(
    private readonly actions: PresenceActions,
    private readonly heartbeatMs: number,
    private readonly missed: number,
  ) {}

  /** The peer entry for a message from `from`/`inc`, or null when the message is from an older self. */
  private peerFor(from: string, inc: number, now: number): Peer | null {
    if (this.retired.get(from)?.includes(inc)) return null;
    let p = this.peers.get(from);
    if (p && p.inc !== inc) {
      this.retire(from, p.inc);
      if (p.up) this.down(p, 'noconnection');
      this.actions.log('info', `${from} restarted (incarnation ${p.inc} -> ${inc})`);
      p = undefined;
    }
    if (!p) {
      p = {
        name: from,
        inc,
        up: false,
        lastHeard: now,
        sendSession: 0,
        sendSeq: 0,
        recvSession: null,
        recvSeq: 0,
        sentBytes: 0,
        ackedBytes: 0,
        recvBytes: 0,
        recvAcked: 0,
        resetAt: -Infinity,
        resetSession: -1,
      };
      this.peers.set(from, p);
    }
    p.lastHeard = now;
    return p;
  }

  /** A heartbeat: the peer is alive; up if it was not. */
  heartbeat(m: Incoming, now: number): void {
    const p = this.peerFor(m.from, m.fromInc, now);
    if (p && !p.up) this.up(p, null);
  }

  /** A data message: true when its frames are to be delivered (in the session followed, next in order). */
  data(m: Incoming, now: number): boolean {
    const p = this.peerFor(m.from, m.fromInc, now);
    if (!p) return false;
    if (!p.up) {
      if (m.seq === 1) {
        this.up(p, m.session);
        return true;
      }
      this.reset(p, m.session, now);
      return false;
    }
    if (m.session === p.recvSession && m.seq === p.recvSeq + 1) {
      p.recvSeq = m.seq;
      return true;
    }
    if (m.seq === 1 && p.recvSession === null) {
      p.recvSession = m.session;
      p.recvSeq = 1;
      return true;
    }
    if (m.seq === 1) {
      // The peer started over: it saw this node go down, so this node sees it go down too.
      this.down(p, 'noconnection');
      this.up(p, m.session);
      return true;
    }
    // A gap: a message of this session lost, or the first of a new one (the peer went down).
    // Either way both sides must see a nodedown; a stale tail of a session this node already
    // dropped costs one more down and up, which is safe.
    const where = m.session === p.recvSession ? `#${m.seq} after #${p.recvSeq}` : `#${m.seq} of a session not followed`;
    this.actions.log('warn', `lost messages from ${p.name} (${where}); taking it down`);
    this.down(p, 'noconnection');
    this.reset(p, m.session, now);
    return false;
  }

  /** A reset: the session this node sends in is dead at the peer's end. */
  resetFrom(m: Incoming, now: number): void {
    const p = this.peerFor(m.from, m.fromInc, now);
    if (p?.up && (m.session === 0 || m.session === p.sendSession)) {
      this.actions.log('info', `${p.name} lost messages from this node or took it down; taking it down too`);
      this.down(p, 'noconnection');
    }
  }

  /** An acknowledgement: the peer took in this many bytes of this node's send session. */
  ack(m: Incoming, now: number): void {
    const p = this.peerFor(m.from, m.fromInc, now);
    if (p?.up && m.session === p.sendSession && m.seq <= p.sentBytes) p.ackedBytes = Math.max(p.ackedBytes, m.seq);
  }

  /** Takes `p` down because it fell too far behind; the reset makes it see this node down too. */
  slow(p: Peer, now: number): void {
    if (!p.up) return;
    this.down(p, 'noconnection');
    this.reset(p, 0, now);
  }

  /** A goodbye: the peer is stopping. */
  bye(m: Incoming, now: number): void {
    const p = this.peerFor(m.from, m.fromInc, now);
    if (!p) return;
    this.retire(p.name, p.inc);
    this.peers.delete(p.name);
    if (p.up) this.down(p, 'shutdown');
  }

  /** Every heartbeat period: peers silent too long go down. `late`: this node's own timer was late (its event loop busy): judge no one. */
  tick(now: number, late: boolean): void {
    if (late) {
      for (const p of this.peers.values()) p.lastHeard = Math.max(p.lastHeard, now - this.heartbeatMs);
      return;
    }
    const limit = this.missed * this.heartbeatMs;
    for (const p of [...this.peers.values()]) {
      if (now - p.lastHeard <= limit) continue;
      if (p.up) {
        this.actions.log('info', `${p.name} silent for ${Math.round(now - p.lastHeard)} ms: down`);
        this.down(p, 'noconnection');
        this.reset(p, 0, now);
      }
      // Forgotten once silent: it comes back as new (by heartbeat or a session's first message).
      this.peers.delete(p.name);
    }
  }

  /** Takes every peer down (the link to NATS is gone, or this node stops). */
  downAll(reason: unknown): void {
    for (const p of [...this.peers.values()]) if (p.up) this.down(p, reason);
  }

  /** Takes `name` down on request (`disconnect`): its next heartbeat brings it back. */
  disconnect(name: string, now: number): void {
    const p = this.peers.get(name);
    if (!p?.up) return;
    this.down(p, 'disconnect');
    this.reset(p, 0, now);
  }

  /** Up peers' names. */
  upNames(): string[] {
    const out: string[] = [];
    for (const p of this.peers.values()) if (p.up) out.push(p.name);
    return out;
  }

  private retire(name: string, inc: number): void {
    let list = this.retired.get(name);
    if (!list) this.retired.set(name, (list = []));
    list.push(inc);
    if (list.length > RETIRED_KEPT) list.shift();
  }

  private up(p: Peer, recvSession: number | null): void {
    p.up = true;
    p.sendSession = randomInt(1, 2 ** 47);
    p.sendSeq = 0;
    p.sentBytes = 0;
    p.ackedBytes = 0;
    p.recvBytes = 0;
    p.recvAcked = 0;
    p.recvSession = recvSession;
    p.recvSeq = recvSession === null ? 0 : 1;
    this.actions.nodeUp(p);
  }

  private down(p: Peer, reason: unknown): void {
    p.up = false;
    p.recvSession = null;
    this.actions.nodeDown(p, reason);
  }

  private reset(p: Peer, session: number, now: number): void {
    if (now - p.resetAt < this.heartbeatMs && session === p.resetSession) return;
    p.resetAt = now;
    p.resetSession = session;
    this.actions.sendReset(p, session);
  }
}
