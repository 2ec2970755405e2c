import type { Pid } from '@foundation/runtime';

const EMPTY: readonly Pid[] = Object.freeze([]);

/** One group: this node's members, each other node's, and the union (built on first read after a change). */
class GroupRow {
  local: readonly Pid[] = EMPTY;
  readonly remote = new Map<string, readonly Pid[]>();
  all: readonly Pid[] | null = null;

  get empty(): boolean {
    return this.local.length === 0 && this.remote.size === 0;
  }
}

/**
 * A scope's membership table: written only by the scope actor, read by anyone on its thread.
 * Arrays are replaced, never mutated, and frozen, so readers get consistent snapshots without
 * a copy. A pid appears once per join (OTP pg's rule: join twice, leave twice).
 */
export class GroupTable {
  private readonly rows = new Map<string, GroupRow>();

  members(group: string): readonly Pid[] {
    const row = this.rows.get(group);
    if (!row) return EMPTY;
    if (row.all === null) {
      const all: Pid[] = [...row.local];
      for (const pids of row.remote.values()) all.push(...pids);
      row.all = Object.freeze(all);
    }
    return row.all;
  }

  localMembers(group: string): readonly Pid[] {
    return this.rows.get(group)?.local ?? EMPTY;
  }

  /** Groups with at least one member on a node this one sees. */
  groups(): string[] {
    return [...this.rows.keys()];
  }

  /** This node's memberships, for a `sync`. */
  localGroups(): [string, readonly Pid[]][] {
    const out: [string, readonly Pid[]][] = [];
    for (const [group, row] of this.rows) if (row.local.length > 0) out.push([group, row.local]);
    return out;
  }

  /** Every group with its members, for a scope monitor's first view. */
  snapshot(): Map<string, readonly Pid[]> {
    const out = new Map<string, readonly Pid[]>();
    for (const group of this.rows.keys()) out.set(group, this.members(group));
    return out;
  }

  setLocal(group: string, pids: readonly Pid[]): void {
    const row = this.row(group);
    row.local = pids.length === 0 ? EMPTY : Object.freeze([...pids]);
    this.changed(group, row);
  }

  remote(group: string, node: string): readonly Pid[] {
    return this.rows.get(group)?.remote.get(node) ?? EMPTY;
  }

  setRemote(group: string, node: string, pids: readonly Pid[]): void {
    const row = this.row(group);
    if (pids.length === 0) row.remote.delete(node);
    else row.remote.set(node, Object.freeze([...pids]));
    this.changed(group, row);
  }

  clear(): void {
    this.rows.clear();
  }

  private row(group: string): GroupRow {
    let row = this.rows.get(group);
    if (!row) this.rows.set(group, (row = new GroupRow()));
    return row;
  }

  private changed(group: string, row: GroupRow): void {
    row.all = null;
    if (row.empty) this.rows.delete(group);
  }
}

/**
 * `from` minus `minus`, one occurrence per listed pid: [kept (in `from`'s order, the earliest
 * occurrences taken out), removed (in `minus`'s order)]. Linear: counts by pid key, not a
 * search of `from` per pid (a group of n members left by n pids was O(n²)).
 */
export function subtract(from: readonly Pid[], minus: readonly Pid[]): [Pid[], Pid[]] {
  const available = new Map<string, number>();
  for (const pid of from) available.set(pid.key, (available.get(pid.key) ?? 0) + 1);
  const removed: Pid[] = [];
  const owed = new Map<string, number>();
  for (const pid of minus) {
    const n = available.get(pid.key) ?? 0;
    if (n === 0) continue;
    available.set(pid.key, n - 1);
    owed.set(pid.key, (owed.get(pid.key) ?? 0) + 1);
    removed.push(pid);
  }
  if (removed.length === 0) return [[...from], removed];
  const kept: Pid[] = [];
  for (const pid of from) {
    const n = owed.get(pid.key) ?? 0;
    if (n > 0) owed.set(pid.key, n - 1);
    else kept.push(pid);
  }
  return [kept, removed];
}

/** What changed between two member lists (as multisets): [joined, left]. */
export function diff(before: readonly Pid[], after: readonly Pid[]): [Pid[], Pid[]] {
  const [, kept] = subtract(after, before); // occurrences of `after` also in `before`
  const [joined] = subtract(after, kept);
  const [left] = subtract(before, kept);
  return [joined, left];
}
