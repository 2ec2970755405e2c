/**
 * URLs the mesh wants to be connected to, each redialled with exponential backoff (with
 * jitter) until a connection to it is up, or until its deadline passes. Discovered URLs have
 * no deadline; peers that dropped, and URLs heard from peers, are tried for a while.
 */
export class Redialer {
  private readonly wanted = new Map<string, { attempt: number; until: number; timer: NodeJS.Timeout | null }>();
  private stopped = false;

  constructor(
    private readonly dial: (url: string) => void,
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {}

  /** Wants `url` (for `forMs`, or forever); dials at once unless a retry is already scheduled. */
  want(url: string, forMs = Infinity): void {
    if (this.stopped) return;
    const until = performance.now() + forMs;
    const w = this.wanted.get(url);
    if (w) {
      w.until = Math.max(w.until, until);
      return;
    }
    this.wanted.set(url, { attempt: 0, until, timer: null });
    this.dial(url);
  }

  /** True while `url` is wanted. */
  has(url: string): boolean {
    return this.wanted.has(url);
  }

  /** Connected (or never to be dialled again): forget `url`. */
  drop(url: string): void {
    const w = this.wanted.get(url);
    if (!w) return;
    if (w.timer) clearTimeout(w.timer);
    this.wanted.delete(url);
  }

  /** A dial of `url` failed: schedule the next one, or give up past the deadline. */
  failed(url: string): void {
    const w = this.wanted.get(url);
    if (!w || w.timer || this.stopped) return;
    const now = performance.now();
    if (now >= w.until) {
      this.wanted.delete(url);
      return;
    }
    const base = Math.min(this.maxMs, this.minMs * 2 ** Math.min(w.attempt++, 20));
    const delay = base / 2 + Math.random() * (base / 2);
    w.timer = setTimeout(() => {
      w.timer = null;
      if (this.wanted.get(url) === w) this.dial(url);
    }, delay);
    w.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    for (const url of [...this.wanted.keys()]) this.drop(url);
  }
}
