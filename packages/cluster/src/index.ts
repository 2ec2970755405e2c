/**
 * @foundation/cluster — a WebSocket mesh transport for Foundation nodes, peer discovery
 * strategies and a hash ring.
 */
export type { Strategy, StrategyContext } from './discovery/strategy.js';
export { mesh, MeshTransport } from './mesh/mesh.js';
export type { MeshOptions, MeshTlsOptions, MeshLogger } from './mesh/options.js';
export { MeshOptionsError, MeshConnectError } from './mesh/errors.js';
export { PROTOCOL_VERSION, CloseCode } from './mesh/protocol.js';
export { isFrame } from './mesh/frame-guard.js';
export { HashRing, EmptyHashRingError, HashRingArgumentError, type WeightedMember } from './hash-ring.js';
export { StrategyOptionError } from './discovery/options.js';
export { staticPeers } from './discovery/static.js';
export { mdns, type MdnsOptions } from './discovery/mdns.js';
export { dns, type DnsOptions } from './discovery/dns.js';
export { kubernetes, type KubernetesOptions } from './discovery/kubernetes.js';
