import type { Clock } from '@foundation/runtime';
import { errorText } from './options.js';

/** Where the peer table reports to: the strategy's context, and a way to ask the network again. */
export interface PeerEvents {
  found(url: string): void;
  lost(url: string): void;
  log(msg: string): void;
  /** Sends a query for the service: peers that are still there answer it. */
  ask(): void;
}

/** A TTL is data from the network: capped so a timer never overflows (RFC 6762 §10 uses 75 minutes). */
export const MAX_TTL_SECONDS = 4500;
/** At most this many peers are remembered: more instances than this on one LAN is a flood, not a cluster. */
export const MAX_PEERS = 4096;
/** As RFC 6762 §5.2 asks: query again at 80 % and 90 % of a record's lifetime before it ends. */
const REFRESH_AT = [0.8, 0.9] as const;

interface Peer {
  url: string;
  /** The record's lifetime in ms, and which of its refresh points comes next. */
  lifeMs: number;
  phase: number;
  timer: unknown;
}

/**
 * The peers an mDNS node has heard of, by service instance name: each is reported found when
 * heard, and lost on its goodbye (TTL 0) or when its record's TTL passes without it being heard
 * again. One timer per peer; every entry leaves by a goodbye, its expiry, or `clear()`.
 */
export class MdnsPeers {
  private readonly peers = new Map<string, Peer>();
  private full = false;

  constructor(
    private readonly clock: Clock,
    private readonly events: PeerEvents,
  ) {}

  /** A record of `instance` with `url` and `ttlSeconds` was heard (TTL 0 is a goodbye). */
  heard(instance: string, url: string, ttlSeconds: number): void {
    if (ttlSeconds <= 0) return this.goodbye(instance);
    let p = this.peers.get(instance);
    if (p && p.url !== url) {
      // The instance moved (a node restarted on another address): its old URL is gone.
      this.forget(instance);
      p = undefined;
    }
    if (!p) {
      if (this.peers.size >= MAX_PEERS) {
        if (!this.full) this.events.log(`mdns: more than ${MAX_PEERS} peers heard; ignoring new ones until some leave`);
        this.full = true;
        return;
      }
      p = { url, lifeMs: 0, phase: 0, timer: null };
      this.peers.set(instance, p);
    }
    if (p.timer !== null) this.clock.clearTimeout(p.timer);
    p.lifeMs = Math.min(ttlSeconds, MAX_TTL_SECONDS) * 1000;
    p.phase = 0;
    this.arm(instance, p);
    this.events.found(url);
  }

  /** `instance` said goodbye: report it lost at once. */
  goodbye(instance: string): void {
    this.forget(instance);
  }

  /** How many peers are remembered. */
  get size(): number {
    return this.peers.size;
  }

  /** Forgets every peer without reporting any lost (the strategy is stopping). */
  clear(): void {
    for (const p of this.peers.values()) if (p.timer !== null) this.clock.clearTimeout(p.timer);
    this.peers.clear();
    this.full = false;
  }

  private arm(instance: string, p: Peer): void {
    const at = p.phase < REFRESH_AT.length ? REFRESH_AT[p.phase]! : 1;
    const prev = p.phase === 0 ? 0 : REFRESH_AT[p.phase - 1]!;
    p.timer = this.clock.setTimeout(
      () => {
        p.timer = null;
        if (this.peers.get(instance) !== p) return;
        try {
          if (p.phase < REFRESH_AT.length) {
            p.phase++;
            this.arm(instance, p);
            this.events.ask();
          } else this.forget(instance);
        } catch (e) {
          // A throw ends this peer's timer, never the process: forget it without a report.
          if (p.timer !== null) this.clock.clearTimeout(p.timer);
          if (this.peers.get(instance) === p) this.peers.delete(instance);
          this.events.log(`mdns: the expiry timer of ${instance} failed: ${errorText(e)}`);
        }
      },
      (at - prev) * p.lifeMs,
    );
    // A peer's expiry alone must not keep the process alive (Node's handles have unref; others may not).
    (p.timer as { unref?: () => void } | null)?.unref?.();
  }

  /** Removes `instance` and reports its URL lost, unless another instance still lists that URL. */
  private forget(instance: string): void {
    const p = this.peers.get(instance);
    if (!p) return;
    if (p.timer !== null) this.clock.clearTimeout(p.timer);
    this.peers.delete(instance);
    if (this.peers.size < MAX_PEERS) this.full = false;
    for (const other of this.peers.values()) if (other.url === p.url) return;
    this.events.lost(p.url);
  }
}
