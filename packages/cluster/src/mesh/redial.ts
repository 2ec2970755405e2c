import type { Clock } from '@foundation/runtime';

/** Why a URL is wanted: discovery lists it, and/or something wants it until a deadline. */
export interface RedialReasons {
  /** Discovery listed it and has not reported it lost. */
  readonly discovered: boolean;
  /** Until when (on the Redialer's clock) a dropped connection or a peer's gossip wants it; -Infinity if nothing does. */
  readonly until: number;
}

interface Entry {
  attempt: number;
  discovered: boolean;
  until: number;
  timer: unknown;
}

/** Node's timers, unref'd: a pending redial never keeps the process alive. */
const unrefClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * URLs the mesh wants to be connected to, each redialled with exponential backoff (with
 * jitter) until a connection to it is up, or until no reason to want it is left. The reasons
 * are kept per URL: discovery lists it (until discovery reports it lost), and a dropped peer
 * or a URL heard from a peer (each for a while). Every entry leaves the table by one of: its
 * connection is up (`drop`), its last reason ends (`lost`, or a failed dial past the
 * deadline), or `stop`.
 */
export class Redialer {
  private readonly wanted = new Map<string, Entry>();
  private stopped = false;
  private readonly clock: Clock;
  private readonly log: (msg: string) => void;

  constructor(
    private readonly dial: (url: string) => void,
    private readonly minMs: number,
    private readonly maxMs: number,
    opts: { readonly clock?: Clock; readonly log?: (msg: string) => void } = {},
  ) {
    this.clock = opts.clock ?? unrefClock;
    this.log = opts.log ?? (() => {});
  }

  /** Discovery lists `url`: wanted until `lost(url)` (or connected); dials at once unless already wanted. */
  found(url: string): void {
    this.add(url, true, -Infinity);
  }

  /** Wanted for `forMs` (a peer that dropped, a URL a peer named); dials at once unless already wanted. */
  want(url: string, forMs: number): void {
    this.add(url, false, this.clock.now() + forMs);
  }

  /**
   * Discovery no longer lists `url`: stop redialling it unless a deadline still wants it.
   * True when that was its last reason (the entry and its timer are gone).
   */
  lost(url: string): boolean {
    const w = this.wanted.get(url);
    if (!w) return false;
    w.discovered = false;
    if (this.clock.now() < w.until) return false;
    this.drop(url);
    return true;
  }

  /** True while `url` is wanted. */
  has(url: string): boolean {
    return this.wanted.has(url);
  }

  /** Why `url` is wanted, or undefined when it is not. */
  reasons(url: string): RedialReasons | undefined {
    const w = this.wanted.get(url);
    return w && { discovered: w.discovered, until: w.until };
  }

  /** How many URLs are wanted. */
  get size(): number {
    return this.wanted.size;
  }

  /** Connected (or never to be dialled again): forget `url`. */
  drop(url: string): void {
    const w = this.wanted.get(url);
    if (!w) return;
    if (w.timer !== null) this.clock.clearTimeout(w.timer);
    this.wanted.delete(url);
  }

  /** A dial of `url` failed: schedule the next one, or give up when no reason is left. */
  failed(url: string): void {
    const w = this.wanted.get(url);
    if (!w || w.timer !== null || this.stopped) return;
    if (!w.discovered && this.clock.now() >= w.until) {
      this.wanted.delete(url);
      return;
    }
    const base = Math.min(this.maxMs, this.minMs * 2 ** Math.min(w.attempt++, 20));
    const delay = base / 2 + Math.random() * (base / 2);
    w.timer = this.clock.setTimeout(() => {
      w.timer = null;
      if (this.wanted.get(url) === w) this.tryDial(url);
    }, delay);
  }

  stop(): void {
    this.stopped = true;
    for (const url of [...this.wanted.keys()]) this.drop(url);
  }

  /** Adds a reason to want `url`; a URL new to the table is dialled at once (its reasons set first). */
  private add(url: string, discovered: boolean, until: number): void {
    if (this.stopped) return;
    const w = this.wanted.get(url);
    if (w) {
      w.discovered ||= discovered;
      w.until = Math.max(w.until, until);
      return;
    }
    this.wanted.set(url, { attempt: 0, discovered, until, timer: null });
    this.tryDial(url);
  }

  /** A dial that throws ends that URL's redialling, never the caller or a timer. */
  private tryDial(url: string): void {
    try {
      this.dial(url);
    } catch (e) {
      this.drop(url);
      this.log(`dialling ${url} threw; not redialling it: ${(e as Error)?.stack ?? String(e)}`);
    }
  }
}
