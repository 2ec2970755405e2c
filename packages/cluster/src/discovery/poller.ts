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
 * reported except this node itself; a URL listed by the last successful read and missing from
 * this one is reported lost (a failed read reports nothing lost: it says nothing about who is
 * gone). Failures are logged once each (and the recovery once); `stop()` clears the timer and
 * aborts a read in flight.
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
      const failures = new FailureLog((m) => ctx.log(m));
      const source = open(ctx);
      // What the last successful read listed: the only fair baseline for "gone".
      let listed = new Set<string>();
      const poll = async (): Promise<void> => {
        const ac = (abort = new AbortController());
        try {
          const urls = await source.lookup(ac.signal);
          if (!running) return;
          failures.succeeded(source.describe());
          const now = new Set(urls.filter((url) => url !== ctx.self.url));
          for (const url of listed) if (!now.has(url)) ctx.lost(url);
          listed = now;
          for (const url of now) ctx.found(url);
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
