import type { Connection, Verdict } from './connection.js';
import type { LocalIdentity, PeerIdentity } from './handshake.js';
import { PeerIdentities } from './identities.js';
import { CloseCode } from './protocol.js';
import type { Challenge, Hello, PeerInfo } from './wire.js';

const OK: Verdict = { ok: true };
const refuse = (code: CloseCode, reason: string): Verdict => ({ ok: false, code, reason });

/**
 * Who this node is connected to, dialling and accepting, and the arbitration between them: at
 * most one connection per peer name, one dial per URL, the smaller name's dial winning a
 * simultaneous dial, duplicates (a second node with a known name, or a second process with a
 * known name and incarnation) refused. Every table has its removal path: a connection leaves
 * when it closes; URL aliases live while their node is up; identities are forgotten a while
 * after their node went down (see PeerIdentities).
 */
export class PeerTable {
  /** Connected peers by name: at most one connection each. */
  readonly up = new Map<string, Connection>();
  /** Every connection not yet closed. */
  readonly conns = new Set<Connection>();
  /** Outbound handshakes by peer name (known from its challenge). */
  private readonly dialing = new Map<string, Connection>();
  /** Outbound handshakes by the URL dialled. */
  private readonly dialsByUrl = new Map<string, Connection>();
  /** URLs known to lead to a node that is up (advertised ones and the ones dialled), and the reverse. */
  private readonly aliases = new Map<string, string>();
  private readonly aliasesOf = new Map<string, Set<string>>();
  /** URLs that lead to this node itself (its own, and other spellings found by dialling them). */
  private readonly selfUrls = new Set<string>();
  private readonly identities: PeerIdentities;

  /** @param forgetAfterMs how long a node's identity is remembered after it went down. */
  constructor(
    private readonly self: () => LocalIdentity,
    forgetAfterMs: number,
  ) {
    this.identities = new PeerIdentities(forgetAfterMs);
  }

  /** `url` leads to this node (its own, or a spelling found to). */
  addSelfUrl(url: string): void {
    this.selfUrls.add(url);
  }

  /** True when `url` is known to lead to this node. */
  isSelf(url: string): boolean {
    return this.selfUrls.has(url);
  }

  /** True when `url` is known to lead to a node connected now. */
  leadsToConnected(url: string): boolean {
    const name = this.aliases.get(url);
    return name !== undefined && this.up.has(name);
  }

  /** True when `name` is connected or being dialled. */
  isKnown(name: string): boolean {
    return this.up.has(name) || this.dialing.has(name);
  }

  /** True while a dial of `url` is in its handshake. */
  isDialling(url: string): boolean {
    return this.dialsByUrl.has(url);
  }

  /** A dial of `url` started on `c`. */
  addDial(url: string, c: Connection): void {
    this.conns.add(c);
    this.dialsByUrl.set(url, c);
  }

  /** An inbound connection started. */
  addAccepted(c: Connection): void {
    this.conns.add(c);
  }

  /** The dialer's side: may we go on with the node that answered at this URL? */
  challenge(c: Connection, ch: Challenge): Verdict {
    const self = this.self();
    if (ch.name === self.name) {
      if (ch.inc === self.inc) {
        this.selfUrls.add(c.where);
        return refuse(CloseCode.superseded, 'this URL leads to this node itself');
      }
      return refuse(CloseCode.duplicate, `the node at this URL is named '${ch.name}' too (duplicate node name)`);
    }
    const taken = this.connected(ch.name, ch.inc);
    if (taken) return taken;
    if (this.dialing.has(ch.name)) return refuse(CloseCode.superseded, `another dial to '${ch.name}' is in progress`);
    this.dialing.set(ch.name, c);
    return OK;
  }

  /** The acceptor's side, after the dialer proved the cookie: accept it? */
  hello(h: Hello): Verdict {
    const self = this.self();
    if (h.name === self.name) return refuse(CloseCode.duplicate, `node name '${h.name}' is this node's own (duplicate node name)`);
    const clash = this.identities.conflict(h.name, h.inc, h.inst);
    if (clash) return refuse(CloseCode.duplicate, clash);
    const taken = this.connected(h.name, h.inc);
    if (taken) return taken;
    const mine = this.dialing.get(h.name);
    if (mine) {
      // Both dialled at once: the dial made by the node with the smaller name wins, on both sides.
      if (self.name < h.name) return refuse(CloseCode.superseded, `simultaneous dial: '${self.name}' dials '${h.name}'`);
      this.dialing.delete(h.name);
      mine.close(CloseCode.superseded, `simultaneous dial: '${h.name}' dials '${self.name}'`);
    }
    return OK;
  }

  /** The dialer's side, after the acceptor proved the cookie: go up? */
  welcome(c: Connection): Verdict {
    const peer = c.hs.peer!;
    const clash = this.identities.conflict(peer.name, peer.inc, peer.instance);
    if (clash) return refuse(CloseCode.duplicate, clash);
    if (this.dialing.get(peer.name) !== c || this.up.has(peer.name))
      return refuse(CloseCode.superseded, `already connected to '${peer.name}'`);
    this.dialing.delete(peer.name);
    return OK;
  }

  /** `c`'s handshake is done: it is the connection to its peer. */
  wentUp(c: Connection): PeerIdentity {
    const peer = c.hs.peer!;
    this.up.set(peer.name, c);
    this.identities.up(peer.name, peer.inc, peer.instance);
    this.alias(peer.url, peer.name);
    if (c.dir === 'out') {
      this.dialsByUrl.delete(c.where);
      this.alias(c.where, peer.name);
    }
    return peer;
  }

  /** Notes that `url` leads to the node `name`. */
  alias(url: string, name: string): void {
    const old = this.aliases.get(url);
    if (old === name) return;
    if (old !== undefined) this.aliasesOf.get(old)?.delete(url);
    this.aliases.set(url, name);
    let set = this.aliasesOf.get(name);
    if (!set) this.aliasesOf.set(name, (set = new Set()));
    set.add(url);
  }

  /** `c` closed: forgets it; the peer it connected (when it was up) is returned, now down. */
  closed(c: Connection): PeerIdentity | null {
    this.conns.delete(c);
    if (c.dir === 'out' && this.dialsByUrl.get(c.where) === c) this.dialsByUrl.delete(c.where);
    const peer = c.hs.peer;
    if (!peer) return null;
    if (this.dialing.get(peer.name) === c) this.dialing.delete(peer.name);
    if (this.up.get(peer.name) !== c) return null;
    this.up.delete(peer.name);
    this.dropAliases(peer.name);
    this.identities.down(peer.name, performance.now());
    return peer;
  }

  /** The connected peers, for a welcome or a gossip (all but `exclude`). */
  peerList(exclude: string): PeerInfo[] {
    const out: PeerInfo[] = [];
    for (const [name, c] of this.up) if (name !== exclude) out.push({ name, url: c.hs.peer!.url });
    return out;
  }

  /** Drops what is no longer useful: aliases of nodes not up, identities of nodes long gone. */
  prune(now: number): void {
    for (const name of [...this.aliasesOf.keys()]) if (!this.up.has(name)) this.dropAliases(name);
    this.identities.prune(now);
  }

  /** Sizes of the tables that follow peers coming and going (for tests: they must not only grow). */
  sizes(): { aliases: number; identities: number; conns: number } {
    return { aliases: this.aliases.size, identities: this.identities.size, conns: this.conns.size };
  }

  /** A refusal when `name` is connected already (the same node, or another one with its name). */
  private connected(name: string, inc: number): Verdict | null {
    const cur = this.up.get(name);
    if (!cur) return null;
    const curInc = cur.hs.peer!.inc;
    if (curInc === inc) return refuse(CloseCode.superseded, `already connected to '${name}'`);
    return refuse(
      CloseCode.duplicate,
      `a node named '${name}' is already connected (incarnation ${curInc}, this one ${inc}): duplicate node name`,
    );
  }

  private dropAliases(name: string): void {
    const set = this.aliasesOf.get(name);
    if (!set) return;
    for (const url of set) if (this.aliases.get(url) === name) this.aliases.delete(url);
    this.aliasesOf.delete(name);
  }
}
