import type { Clock } from '@foundation/runtime';
import type { Strategy, StrategyContext } from './strategy.js';
import { FailureLog, errorText } from './options.js';

/** One source a polling strategy reads: what it is called in the log, and how to read it. */
export interface PollSource {
  /** Names the source for the log, e.g. `dns: A lookup of peers.example.com`. */
  describe(): string;
  /** The peer URLs seen now; a throw is logged and the next poll happens as usual. */
  lookup(signal: AbortSignal): Promise<string[]>;
}

/**
 * A Strategy that polls: `open(ctx)` makes its source when it starts; the source is read at
 * once and then `intervalMs` after each read ends (slow reads never pile up). Peers found are
 * reported except this node itself; failures are logged once each (and the recovery once);
 * `stop()` clears the timer and aborts a read in flight.
 */
export function pollingStrategy(name: string, intervalMs: number, clock: Clock, open: (ctx: StrategyContext) => PollSource): Strategy {
  let timer: unknown;
  let abort: AbortController | undefined;
  let running = false;
  return {
    name,
    start(ctx: StrategyContext): void {
      if (running) return;
      running = true;
      const failures = new FailureLog(ctx.log);
      const source = open(ctx);
      const poll = async (): Promise<void> => {
        const ac = (abort = new AbortController());
        try {
          const urls = await source.lookup(ac.signal);
          if (!running) return;
          failures.succeeded(source.describe());
          for (const url of new Set(urls)) if (url !== ctx.self.url) ctx.found(url);
        } catch (e) {
          if (running) failures.failed(`${source.describe()} failed: ${errorText(e)}`);
        }
        if (running) timer = clock.setTimeout(() => void poll(), intervalMs);
      };
      void poll();
    },
    stop(): void {
      running = false;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      abort?.abort();
      abort = undefined;
    },
  };
}
