import {
  PROTOCOL_VERSION,
  nonce,
  proof,
  proofMatches,
  type Challenge,
  type Hello,
  type PeerInfo,
  type Welcome,
} from './protocol.js';

/** This node, as the handshake presents it. */
export interface LocalIdentity {
  name: string;
  inc: number;
  url: string;
}

/**
 * One side's state through the three-message handshake (see protocol.ts): the nonces, and the
 * peer's identity once known. Building and checking messages lives here; deciding whether to
 * accept a peer (duplicates, simultaneous dials) is the mesh's job.
 */
export class Handshake {
  readonly nonce = nonce();
  /** The peer's challenge (dialer side) or hello (acceptor side), once received. */
  peer: { name: string; inc: number; url: string; nonce: Uint8Array } | null = null;

  constructor(
    private readonly self: LocalIdentity,
    private readonly cookie: string,
  ) {}

  /** Acceptor: the first message on a new inbound connection. */
  challenge(): Challenge {
    const s = this.self;
    return { h: 'challenge', v: PROTOCOL_VERSION, name: s.name, inc: s.inc, url: s.url, nonce: this.nonce };
  }

  /** Dialer: notes who answered (before the mesh decides whether to go on). */
  challenged(ch: Challenge): void {
    this.peer = { name: ch.name, inc: ch.inc, url: ch.url, nonce: ch.nonce };
  }

  /** Dialer: answers a challenge, proving the cookie. */
  hello(ch: Challenge): Hello {
    this.challenged(ch);
    const s = this.self;
    const p = proof(this.cookie, {
      role: 'dialer',
      dialer: { name: s.name, inc: s.inc, nonce: this.nonce },
      acceptor: { name: ch.name, inc: ch.inc, nonce: ch.nonce },
    });
    return { h: 'hello', v: PROTOCOL_VERSION, name: s.name, inc: s.inc, url: s.url, nonce: this.nonce, proof: p };
  }

  /** Acceptor: true when the dialer's proof shows it holds the cookie. */
  checkHello(h: Hello): boolean {
    this.peer = { name: h.name, inc: h.inc, url: h.url, nonce: h.nonce };
    const s = this.self;
    const want = proof(this.cookie, {
      role: 'dialer',
      dialer: { name: h.name, inc: h.inc, nonce: h.nonce },
      acceptor: { name: s.name, inc: s.inc, nonce: this.nonce },
    });
    return proofMatches(want, h.proof);
  }

  /** Acceptor: the accepting answer, proving the cookie in turn, with this node's peers. */
  welcome(peers: PeerInfo[]): Welcome {
    const s = this.self;
    const d = this.peer!;
    const p = proof(this.cookie, {
      role: 'acceptor',
      dialer: { name: d.name, inc: d.inc, nonce: d.nonce },
      acceptor: { name: s.name, inc: s.inc, nonce: this.nonce },
    });
    return { h: 'welcome', v: PROTOCOL_VERSION, proof: p, peers };
  }

  /** Dialer: true when the acceptor's proof shows it holds the cookie. */
  checkWelcome(w: Welcome): boolean {
    const s = this.self;
    const a = this.peer!;
    const want = proof(this.cookie, {
      role: 'acceptor',
      dialer: { name: s.name, inc: s.inc, nonce: this.nonce },
      acceptor: { name: a.name, inc: a.inc, nonce: a.nonce },
    });
    return proofMatches(want, w.proof);
  }
}
