import type { Strategy, StrategyContext } from './strategy.js';
import { StrategyOptionError, checkPeerUrl } from './options.js';

/**
 * Discovery from a fixed list of peer URLs (libcluster's Epmd strategy): reports each one once
 * at start, except this node's own URL, and never reports one lost: a listed peer is wanted for
 * as long as the node runs. Reconnecting to a lost peer is the mesh's job.
 */
export function staticPeers(urls: readonly string[]): Strategy {
  if (!Array.isArray(urls)) throw new StrategyOptionError('staticPeers', 'urls', 'an array of ws:// or wss:// URLs', urls);
  const list = urls.map((u, i) => checkPeerUrl('staticPeers', `urls[${i}]`, u));
  return {
    name: 'static',
    start(ctx: StrategyContext): void {
      for (const url of new Set(list)) if (url !== ctx.self.url) ctx.found(url);
    },
    stop(): void {},
  };
}
