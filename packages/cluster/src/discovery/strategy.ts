/** A way to find peers (libcluster's strategies): the mesh starts each one and dials what it finds. */
export interface Strategy {
  readonly name: string;
  /** Begin discovering; call ctx.found(url) for every peer URL seen (repeats are fine; the mesh dedups). */
  start(ctx: StrategyContext): void | Promise<void>;
  stop(): void | Promise<void>;
}
export interface StrategyContext {
  /** This node: its name and the ws:// or wss:// URL it listens on. */
  readonly self: { readonly name: string; readonly url: string };
  found(url: string): void;
  log(msg: string): void;
}
