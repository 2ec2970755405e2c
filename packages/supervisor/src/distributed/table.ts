import type { Pid } from '@foundation/runtime';
import { HashRing } from '@foundation/cluster/hash-ring';
import { HLC } from '@foundation/crdt';
import type { RestartType } from '../child-spec.js';
import type { CheckedOptions } from './options.js';
import type { MapKey, MapValue, MemberInfo, RunInfo, WireSpec } from './wire.js';

/** One child as `whichChildren` shows it: where it runs in this node's view (`node`/`pid` null while it runs nowhere). */
export interface DistributedChildInfo {
  readonly id: string;
  readonly node: string | null;
  readonly pid: Pid | null;
  readonly restart: RestartType;
  /** The actor class's defineActor name. */
  readonly cls: string;
}

/** `countChildren`: specs known, and instances running (in this node's view). */
export interface DistributedChildCounts {
  readonly specs: number;
  readonly active: number;
}

/** Winner first: the instance started last (greatest HLC start time, which also orders by node on a tie). */
const byWinner = (a: RunInfo, b: RunInfo) => HLC.compare(b.since, a.since);
const NONE: readonly RunInfo[] = Object.freeze([]);

/**
 * One member's view of a DistributedSupervisor, derived from its replica of the map by the
 * owner actor (its only writer) and read by the handle without a message: specs, where each
 * child runs, which nodes are members, and so where each child belongs.
 */
export class ChildTable {
  readonly specs = new Map<string, WireSpec>();
  /** Child id → node → the instance there (as replicated, connected or not). */
  readonly runs = new Map<string, Map<string, RunInfo>>();
  readonly members = new Map<string, MemberInfo>();
  /** Nodes this node is connected to (set by the owner on nodeup / nodedown). */
  connected = new Set<string>();
  /** Connected nodes whose member has spoken to this one since they connected (the owner keeps it). */
  readonly heard = new Set<string>();
  /** Connected nodes whose member's owner stopped (seen by a monitor): not members, whatever the map says. */
  readonly gone = new Set<string>();
  /** False once the owner stopped: the handle then refuses. */
  running = true;
  private ring: { key: string; ring: HashRing } | null = null;
  private warned = false;

  constructor(
    readonly self: string,
    readonly opts: CheckedOptions,
  ) {}

  /** Copies one entry of the map (undefined: removed) into the view. */
  put(key: MapKey, v: MapValue | undefined): void {
    switch (key[0]) {
      case 'spec':
        if (v === undefined) this.specs.delete(key[1]);
        else this.specs.set(key[1], v as WireSpec);
        return;
      case 'member':
        if (v === undefined) this.members.delete(key[1]);
        else this.members.set(key[1], v as MemberInfo);
        return;
      case 'run': {
        const [, id, node] = key;
        let m = this.runs.get(id);
        if (v === undefined) {
          if (!m?.delete(node)) return;
          if (m.size === 0) this.runs.delete(id);
        } else {
          if (!m) this.runs.set(id, (m = new Map<string, RunInfo>()));
          m.set(node, v as RunInfo);
        }
      }
    }
  }

  private allowed(node: string): boolean {
    return this.opts.members === 'auto' || this.opts.members.includes(node);
  }

  /** True when `node` is (or, for this node, can be) reached now, and its member has not stopped. */
  reachable(node: string): boolean {
    return node === this.self || (this.connected.has(node) && !this.gone.has(node));
  }

  /** The live members as this node sees them, sorted: itself and every connected node whose supervisor announced itself. */
  liveMembers(): string[] {
    const out = [this.self];
    for (const n of this.members.keys()) if (n !== this.self && this.connected.has(n) && !this.gone.has(n) && this.allowed(n)) out.push(n);
    return out.sort();
  }

  /** The members a quorum is counted against: the configured list, or every member ever announced and not withdrawn. */
  knownMembers(): string[] {
    if (this.opts.members !== 'auto') return [...this.opts.members];
    const out = new Set([this.self, ...this.members.keys()]);
    return [...out].sort();
  }

  /** False when `distribution: 'quorum'` and this side has no strict majority of the known members. */
  hasQuorum(): boolean {
    if (this.opts.distribution !== 'quorum') return true;
    return this.liveMembers().length * 2 > this.knownMembers().length;
  }

  /**
   * The member that should run `id` now, or undefined when this side may run nothing (no
   * quorum). `without` leaves a member out (this one, as it leaves).
   */
  placement(id: string, without?: string): string | undefined {
    if (!this.hasQuorum()) return undefined;
    const live = without === undefined ? this.liveMembers() : this.liveMembers().filter((m) => m !== without);
    if (live.length === 0) return undefined;
    const d = this.opts.distribution;
    if (typeof d === 'function') {
      let m: string | undefined;
      try {
        m = d(id, live);
      } catch (e) {
        // The caller's function runs inside the owner: its throw must not end the member.
        this.warn(`distribution(${JSON.stringify(id)}) threw, placing by the ring: ${String(e)}`);
        m = '';
      }
      if (m === undefined || live.includes(m)) return m;
      // A function answering a non-member would leave the child nowhere: the ring decides instead.
    }
    const key = live.join('\u0000');
    if (this.ring?.key !== key) this.ring = { key, ring: new HashRing(live) };
    return this.ring.ring.owner(id);
  }

  /** The instances of `id` on reachable nodes, the winner first. */
  liveRunners(id: string): readonly RunInfo[] {
    const m = this.runs.get(id);
    if (!m) return NONE;
    const out: RunInfo[] = [];
    for (const [node, r] of m) if (this.reachable(node)) out.push(r);
    return out.length > 1 ? out.sort(byWinner) : out;
  }

  /** The pid of the running instance of `id` (the winner, while a duplicate is being resolved). */
  whereis(id: string): Pid | undefined {
    // The hot read (every via-name send): the same winner as liveRunners, without allocating.
    const m = this.runs.get(id);
    if (!m) return undefined;
    let best: RunInfo | undefined;
    for (const [node, r] of m) if (this.reachable(node) && (best === undefined || byWinner(r, best) < 0)) best = r;
    return best?.pid;
  }

  /** Every child in this node's view, sorted by id. */
  children(): DistributedChildInfo[] {
    const out: DistributedChildInfo[] = [];
    for (const s of this.specs.values()) {
      const pid = this.whereis(s.id) ?? null;
      out.push({ id: s.id, node: pid?.node ?? null, pid, restart: s.restart, cls: s.cls });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  counts(): DistributedChildCounts {
    let active = 0;
    for (const id of this.specs.keys()) if (this.whereis(id)) active++;
    return { specs: this.specs.size, active };
  }

  private warn(msg: string): void {
    if (this.warned) return;
    this.warned = true;
    console.warn(`[DistributedSupervisor ${this.opts.name}] ${msg}`);
  }

  clear(): void {
    this.specs.clear();
    this.runs.clear();
    this.members.clear();
    this.running = false;
  }
}
