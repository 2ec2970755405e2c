import type { Connection } from './connection.js';
import type { PeerTable } from './peer-table.js';
import type { Redialer } from './redial.js';
import type { PeerInfo } from './wire.js';

/**
 * Full mesh by gossip: a node tells each peer it dialled which peers it has (the acceptor tells
 * in its welcome), and dials for a while every peer it hears of and is not connected to. The
 * peers arrive parsed (wire.ts): names checked, URLs in canonical spelling.
 */
export class Gossip {
  constructor(
    private readonly selfName: () => string,
    private readonly peers: PeerTable,
    private readonly redialer: Redialer,
    private readonly redialForMs: number,
  ) {}

  /** A connection this node dialled is up: tell the peer whom else this node knows. */
  announce(c: Connection): void {
    if (c.dir === 'out' && c.stage === 'up') c.sendControl({ c: 'peers', peers: this.peers.peerList(c.peerName!) });
  }

  /** Peers heard of from a peer: dial those not connected, for a while. */
  learn(peers: readonly PeerInfo[]): void {
    const self = this.selfName();
    for (const p of peers) {
      if (p.name === self || this.peers.isKnown(p.name)) continue;
      this.redialer.want(p.url, this.redialForMs);
    }
  }
}
