/** A way to find peers (libcluster's strategies): the mesh starts each one and dials what it finds. */
export interface Strategy {
  readonly name: string;
  /** Begin discovering; call ctx.found(url) for every peer URL seen, ctx.lost(url) for one no longer listed. */
  start(ctx: StrategyContext): void | Promise<void>;
  stop(): void | Promise<void>;
}

/** What the mesh gives a strategy: who this node is, and where to report what it sees. */
export interface StrategyContext {
  /** This node: its name and the ws:// or wss:// URL it listens on. */
  readonly self: { readonly name: string; readonly url: string };
  /**
   * A peer URL this strategy lists now. Repeats are fine (the mesh dedups); the mesh dials it
   * until it connects, or until `lost(url)`.
   */
  found(url: string): void;
  /**
   * A URL this strategy reported found and no longer lists (a pod gone from DNS or from the
   * API, an mDNS goodbye or an announcement not renewed in time): the mesh stops redialling it,
   * unless a peer still names it or it dropped a moment ago. A live connection to it is left to
   * the heartbeat. Repeats are fine; `found(url)` after `lost(url)` wants it again. A strategy
   * that cannot tell (a failed poll) reports nothing lost: a transient failure forgets no one.
   */
  lost(url: string): void;
  log(msg: string): void;
}
