import { HashRing } from '@foundation/cluster/hash-ring';

/**
 * @internal Which nodes run a partitioned cache, as this node's cache process has met them, and
 * where each key lives: rendezvous hashing (the cluster's HashRing) over those members, the
 * owner first and then `replicas` backups. Shared by the cache process (which changes it) and
 * this node's client (which routes by it); both run on this node's main thread.
 */
export class Membership {
  private ring: HashRing;
  /** Until when entries may still be moving after a change (ms since the epoch): clients ask around on a miss. */
  graceUntil = 0;

  constructor(
    readonly self: string,
    readonly replicas: number,
  ) {
    this.ring = new HashRing([self]);
  }

  /** The owner of `k` and its backups, owner first (every member, when `replicas` is Infinity: the replicated adapter). */
  owners(k: string): string[] {
    return this.ring.owners(k, Math.min(1 + this.replicas, Math.max(1, this.ring.size)));
  }

  /** Where each key goes once `name` has left: the owners of `k` on the ring without it. */
  ownersWithout(name: string): (k: string) => string[] {
    const ring = new HashRing(this.ring.members().filter((m) => m !== name));
    return (k) => (ring.size === 0 ? [] : ring.owners(k, Math.min(1 + this.replicas, ring.size)));
  }

  /** The member names, sorted. */
  members(): string[] {
    return this.ring.members();
  }

  has(name: string): boolean {
    return this.ring.has(name);
  }

  /** Changes the members. False when nothing changed. */
  change(add: string | undefined, remove: string | undefined): boolean {
    if ((add === undefined || this.ring.has(add)) && (remove === undefined || !this.ring.has(remove))) return false;
    if (add !== undefined) this.ring.add(add);
    if (remove !== undefined) this.ring.remove(remove);
    return true;
  }
}
