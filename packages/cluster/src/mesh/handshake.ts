import { PROTOCOL_VERSION, nonce, proof, proofMatches, type ProofSide } from './protocol.js';
import type { Challenge, Hello, PeerInfo, PeerUrl, Welcome } from './wire.js';

/** This node, as the handshake presents it. */
export interface LocalIdentity {
  name: string;
  /** The node's incarnation (random per start). */
  inc: number;
  /** 16 random bytes drawn per start: tells two processes apart that claim one name and incarnation. */
  instance: Uint8Array;
  url: string;
}

/** The peer met in a handshake, as it presented itself. */
export interface PeerIdentity {
  name: string;
  inc: number;
  instance: Uint8Array;
  url: PeerUrl;
  nonce: Uint8Array;
}

/**
 * One side's state through the three-message handshake (see protocol.ts): the nonces, and the
 * peer's identity once known. Building and checking messages lives here; deciding whether to
 * accept a peer (duplicates, simultaneous dials) is the peer table's job.
 */
export class Handshake {
  readonly nonce = nonce();
  /** The peer's challenge (dialer side) or hello (acceptor side), once received. */
  peer: PeerIdentity | null = null;

  constructor(
    private readonly self: LocalIdentity,
    private readonly cookie: string,
  ) {}

  /** Acceptor: the first message on a new inbound connection. */
  challenge(): Challenge {
    const s = this.self;
    return { h: 'challenge', v: PROTOCOL_VERSION, name: s.name, inc: s.inc, inst: s.instance, url: s.url as PeerUrl, nonce: this.nonce };
  }

  /** Dialer: notes who answered (before the mesh decides whether to go on). */
  challenged(ch: Challenge): void {
    this.peer = { name: ch.name, inc: ch.inc, instance: ch.inst, url: ch.url, nonce: ch.nonce };
  }

  /** Dialer: answers a challenge, proving the cookie. */
  hello(ch: Challenge): Hello {
    this.challenged(ch);
    const s = this.self;
    const p = proof(this.cookie, { role: 'dialer', dialer: this.mine(), acceptor: side(this.peer!) });
    return {
      h: 'hello',
      v: PROTOCOL_VERSION,
      name: s.name,
      inc: s.inc,
      inst: s.instance,
      url: s.url as PeerUrl,
      nonce: this.nonce,
      proof: p,
    };
  }

  /** Acceptor: true when the dialer's proof shows it holds the cookie. */
  checkHello(h: Hello): boolean {
    this.peer = { name: h.name, inc: h.inc, instance: h.inst, url: h.url, nonce: h.nonce };
    const want = proof(this.cookie, { role: 'dialer', dialer: side(this.peer), acceptor: this.mine() });
    return proofMatches(want, h.proof);
  }

  /** Acceptor: the accepting answer, proving the cookie in turn, with this node's peers. */
  welcome(peers: PeerInfo[]): Welcome {
    const p = proof(this.cookie, { role: 'acceptor', dialer: side(this.peer!), acceptor: this.mine() });
    return { h: 'welcome', v: PROTOCOL_VERSION, proof: p, peers };
  }

  /** Dialer: true when the acceptor's proof shows it holds the cookie. */
  checkWelcome(w: Welcome): boolean {
    const want = proof(this.cookie, { role: 'acceptor', dialer: this.mine(), acceptor: side(this.peer!) });
    return proofMatches(want, w.proof);
  }

  private mine(): ProofSide {
    const s = this.self;
    return { name: s.name, inc: s.inc, instance: s.instance, nonce: this.nonce };
  }
}

function side(p: PeerIdentity): ProofSide {
  return { name: p.name, inc: p.inc, instance: p.instance, nonce: p.nonce };
}
