import {
  Actor,
  MailboxFullError,
  NoProcessError,
  UnknownNameError,
  isDown,
  isNodeDown,
  isNodeUp,
  type DownMessage,
  type Pid,
  type Ref,
} from '@foundation/runtime';
import type { GroupEvent } from '../events.js';
import { GroupTable, diff, subtract } from './pg-table.js';
import { isScopeMessage, scopeActorName, type GroupList, type ScopeMessage } from './pg-protocol.js';

/** What the scope actor is started with. */
export interface ScopeArgs {
  readonly scope: string;
  readonly table: GroupTable;
}

/** Local writes and subscriptions, as calls (ordered by the actor). `group: null` is the whole scope. */
export type ScopeCall =
  | { readonly op: 'join'; readonly group: string; readonly pids: readonly Pid[] }
  | { readonly op: 'leave'; readonly group: string; readonly pids: readonly Pid[] }
  | { readonly op: 'monitor'; readonly group: string | null; readonly pid: Pid }
  | { readonly op: 'demonitor'; readonly group: string | null; readonly pid: Pid };

/** A call's outcome: refusals travel as values (a throwing handler would crash the scope). */
export type ScopeReply = { readonly ok: unknown } | { readonly error: Error };

interface LocalMember {
  readonly pid: Pid;
  readonly ref: Ref;
  /** Joins per group. */
  readonly groups: Map<string, number>;
}

interface Peer {
  /** The peer scope actor. */
  readonly pid: Pid;
  readonly ref: Ref;
  /** Its node's memberships as last heard. */
  readonly groups: Map<string, readonly Pid[]>;
}

interface Subscriber {
  readonly pid: Pid;
  readonly ref: Ref;
  /** Groups watched; `null` for the whole scope. */
  readonly groups: Set<string | null>;
}

/**
 * One node's actor of a pg scope (OTP pg's scope process). It owns this node's memberships —
 * monitors every local member, and tells the scope actors on other nodes of each change — and
 * keeps what those tell it of theirs. It finds them by name on nodeup (and at start), drops a
 * node's members on nodedown or when that node's scope actor exits. No consensus: each node is
 * the only writer of its own members, so views converge once messages flow.
 */
export class ScopeActor extends Actor<ScopeCall, ScopeReply, ScopeArgs> {
  private scope!: string;
  private table!: GroupTable;
  private readonly locals = new Map<string, LocalMember>();
  private readonly peers = new Map<string, Peer>();
  private readonly subs = new Map<string, Subscriber>();

  override init(args: ScopeArgs): void {
    this.scope = args.scope;
    this.table = args.table;
    // Trapping, so that a shutdown from the parent runs terminate.
    this.trapExit = true;
    // Node events as messages: they queue in order with the frames from that node.
    this.monitorNodes();
    for (const name of this.node.nodes()) this.discover(name);
  }

  override terminate(): void {
    this.table.clear();
  }

  override handleCall(msg: ScopeCall): ScopeReply | Promise<ScopeReply> {
    switch (msg.op) {
      case 'join':
        return this.join(msg.group, msg.pids);
      case 'leave':
        return { ok: this.leave(msg.group, msg.pids) };
      case 'monitor':
        this.subscribe(msg.group, msg.pid);
        return { ok: msg.group === null ? this.table.snapshot() : this.table.members(msg.group) };
      case 'demonitor':
        return { ok: this.unsubscribe(msg.group, msg.pid) };
    }
  }

  override handleInfo(msg: unknown): void {
    if (isDown(msg)) this.down(msg);
    else if (isNodeUp(msg)) this.discover(msg.nodeup);
    else if (isNodeDown(msg)) this.dropPeer(msg.nodedown);
    else if (isScopeMessage(msg, this.scope)) this.remote(msg);
  }

  // ---- this node's members

  private async join(group: string, pids: readonly Pid[]): Promise<ScopeReply> {
    // Pids of other schedulers are asked about without blocking; this scope waits meanwhile.
    const infos = await Promise.all(pids.map((pid) => this.node.processInfo(pid)));
    const dead = pids.find((_, i) => infos[i] === undefined);
    if (dead) return { error: new NoProcessError(dead.toString()) };
    for (const pid of pids) {
      let m = this.locals.get(pid.key);
      if (!m) this.locals.set(pid.key, (m = { pid, ref: this.monitor(pid), groups: new Map() }));
      m.groups.set(group, (m.groups.get(group) ?? 0) + 1);
    }
    this.table.setLocal(group, [...this.table.localMembers(group), ...pids]);
    this.broadcast({ pg: 'join', scope: this.scope, from: this.self, group, pids });
    this.notify(group, { scope: this.scope, group, joined: pids });
    return { ok: undefined };
  }

  private leave(group: string, pids: readonly Pid[]): boolean {
    const [kept, removed] = subtract(this.table.localMembers(group), pids);
    if (removed.length === 0) return false;
    for (const pid of removed) {
      const m = this.locals.get(pid.key)!;
      const n = m.groups.get(group)! - 1;
      if (n > 0) m.groups.set(group, n);
      else m.groups.delete(group);
      if (m.groups.size === 0) {
        this.demonitor(m.ref);
        this.locals.delete(pid.key);
      }
    }
    this.localLeft(group, kept, removed);
    return true;
  }

  private localLeft(group: string, kept: readonly Pid[], removed: readonly Pid[]): void {
    this.table.setLocal(group, kept);
    this.broadcast({ pg: 'leave', scope: this.scope, from: this.self, group, pids: removed });
    this.notify(group, { scope: this.scope, group, left: removed });
  }

  private down(msg: DownMessage): void {
    const m = this.locals.get(msg.pid.key);
    if (m?.ref.equals(msg.ref)) {
      this.locals.delete(msg.pid.key);
      for (const group of m.groups.keys()) {
        const all = this.table.localMembers(group);
        const kept = all.filter((p) => !p.equals(msg.pid));
        this.localLeft(
          group,
          kept,
          all.filter((p) => p.equals(msg.pid)),
        );
      }
    }
    const peer = this.peers.get(msg.pid.node);
    if (peer?.ref.equals(msg.ref)) this.dropPeer(msg.pid.node);
    const sub = this.subs.get(msg.pid.key);
    if (sub?.ref.equals(msg.ref)) this.subs.delete(msg.pid.key);
  }

  // ---- other nodes' members

  private discover(node: string): void {
    this.send({ name: scopeActorName(this.scope), node }, { pg: 'discover', scope: this.scope, from: this.self } satisfies ScopeMessage);
  }

  private remote(msg: ScopeMessage): void {
    const node = msg.from.node;
    if (node === this.node.name) return;
    switch (msg.pg) {
      case 'discover': {
        const isNew = !this.peers.get(node)?.pid.equals(msg.from);
        this.peerOf(msg.from);
        this.send(msg.from, { pg: 'sync', scope: this.scope, from: this.self, groups: this.table.localGroups() } satisfies ScopeMessage);
        // A new peer may not know us yet (its discover can have gone before we ran): introduce ourselves.
        if (isNew) this.send(msg.from, { pg: 'discover', scope: this.scope, from: this.self } satisfies ScopeMessage);
        return;
      }
      case 'sync':
        this.sync(this.peerOf(msg.from), node, msg.groups);
        return;
      case 'join': {
        const peer = this.knownPeer(msg.from);
        if (!peer) return;
        this.setPeerGroup(peer, node, msg.group, [...(peer.groups.get(msg.group) ?? []), ...msg.pids]);
        this.notify(msg.group, { scope: this.scope, group: msg.group, joined: msg.pids });
        return;
      }
      case 'leave': {
        const peer = this.knownPeer(msg.from);
        if (!peer) return;
        const [kept, removed] = subtract(peer.groups.get(msg.group) ?? [], msg.pids);
        if (removed.length === 0) return;
        this.setPeerGroup(peer, node, msg.group, kept);
        this.notify(msg.group, { scope: this.scope, group: msg.group, left: removed });
        return;
      }
    }
  }

  /** The peer entry for a scope actor, made (and monitored) when new; a restarted peer replaces the old one. */
  private peerOf(pid: Pid): Peer {
    const old = this.peers.get(pid.node);
    if (old?.pid.equals(pid)) return old;
    if (old) this.dropPeer(pid.node);
    const peer: Peer = { pid, ref: this.monitor(pid), groups: new Map() };
    this.peers.set(pid.node, peer);
    return peer;
  }

  /** Updates from a scope actor we have not discovered (or already dropped) are stale: its sync will follow. */
  private knownPeer(pid: Pid): Peer | undefined {
    const peer = this.peers.get(pid.node);
    return peer?.pid.equals(pid) ? peer : undefined;
  }

  /** A sync is the peer's whole membership: it replaces what we had for its node. */
  private sync(peer: Peer, node: string, groups: GroupList): void {
    const next = new Map<string, readonly Pid[]>(groups.filter(([, pids]) => pids.length > 0));
    for (const group of new Set([...peer.groups.keys(), ...next.keys()])) {
      const before = peer.groups.get(group) ?? [];
      const after = next.get(group) ?? [];
      const [joined, left] = diff(before, after);
      if (joined.length === 0 && left.length === 0) continue;
      this.setPeerGroup(peer, node, group, after);
      if (left.length > 0) this.notify(group, { scope: this.scope, group, left });
      if (joined.length > 0) this.notify(group, { scope: this.scope, group, joined });
    }
  }

  private setPeerGroup(peer: Peer, node: string, group: string, pids: readonly Pid[]): void {
    if (pids.length === 0) peer.groups.delete(group);
    else peer.groups.set(group, pids);
    this.table.setRemote(group, node, pids);
  }

  private dropPeer(node: string): void {
    const peer = this.peers.get(node);
    if (!peer) return;
    this.peers.delete(node);
    this.demonitor(peer.ref);
    for (const [group, pids] of peer.groups) {
      this.table.setRemote(group, node, []);
      this.notify(group, { scope: this.scope, group, left: pids });
    }
  }

  private broadcast(msg: ScopeMessage): void {
    for (const peer of this.peers.values()) this.send(peer.pid, msg);
  }

  // ---- monitors of groups

  private subscribe(group: string | null, pid: Pid): void {
    let sub = this.subs.get(pid.key);
    if (!sub) this.subs.set(pid.key, (sub = { pid, ref: this.monitor(pid), groups: new Set() }));
    sub.groups.add(group);
  }

  private unsubscribe(group: string | null, pid: Pid): boolean {
    const sub = this.subs.get(pid.key);
    if (!sub || !sub.groups.delete(group)) return false;
    if (sub.groups.size === 0) {
      this.demonitor(sub.ref);
      this.subs.delete(pid.key);
    }
    return true;
  }

  private notify(group: string, event: GroupEvent): void {
    for (const sub of this.subs.values()) {
      if (!sub.groups.has(group) && !sub.groups.has(null)) continue;
      try {
        this.send(sub.pid, event);
      } catch (e) {
        if (!UnknownNameError.is(e) && !MailboxFullError.is(e)) throw e;
      }
    }
  }
}
