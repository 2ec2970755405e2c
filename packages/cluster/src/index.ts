/**
 * @foundation/cluster — a WebSocket mesh transport for Foundation nodes, peer discovery
 * strategies and a hash ring.
 */
export type { Strategy, StrategyContext } from './discovery/strategy.js';
