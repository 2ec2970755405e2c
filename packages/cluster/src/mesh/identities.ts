import { timingSafeEqual } from 'node:crypto';

interface Seen {
  inc: number;
  instance: Uint8Array;
  /** When the node went down (performance.now), or null while it is up. */
  goneAt: number | null;
}

/**
 * The identity each peer name last came up with: its incarnation and instance id. A node with a
 * known name and incarnation but another instance id is a second process that would mint the
 * same pids (a cloned VM, a copied state, a clock-derived incarnation): it is refused. One entry
 * per name, replaced by the next incarnation, and forgotten `keepMs` after the node went down
 * (by then every pid of it held here has heard 'noconnection', and it is no longer redialled).
 */
export class PeerIdentities {
  private readonly seen = new Map<string, Seen>();

  constructor(private readonly keepMs: number) {}

  /** Why a node presenting this identity must be refused, or null when it may connect. */
  conflict(name: string, inc: number, instance: Uint8Array): string | null {
    const s = this.seen.get(name);
    if (s === undefined || s.inc !== inc || sameBytes(s.instance, instance)) return null;
    return `a node named '${name}' with incarnation ${inc} came up before with another instance id: two processes claim one identity (duplicate node)`;
  }

  /** `name` is up with this identity. */
  up(name: string, inc: number, instance: Uint8Array): void {
    this.seen.set(name, { inc, instance, goneAt: null });
  }

  /** `name` went down. */
  down(name: string, now: number): void {
    const s = this.seen.get(name);
    if (s) s.goneAt = now;
  }

  /** Forgets the nodes gone for longer than `keepMs`. */
  prune(now: number): void {
    for (const [name, s] of this.seen) if (s.goneAt !== null && now - s.goneAt > this.keepMs) this.seen.delete(name);
  }

  /** Names remembered (for tests and stats). */
  get size(): number {
    return this.seen.size;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
