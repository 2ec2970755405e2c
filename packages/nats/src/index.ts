/**
 * @foundation/nats — a NATS transport for Foundation nodes: the nodes of a cluster find each
 * other through nats-server and exchange frames over it.
 */
export { nats } from './transport.js';
export type { NatsOptions, NatsTlsOptions, NatsLogger } from './options.js';
export { NatsOptionsError, NatsConnectError, DuplicateNodeNameError } from './errors.js';
export { Federation } from './federation/federation.js';
export type { FederationOptions } from './federation/options.js';
export type { ClusterInfo } from './federation/clusters.js';
export type { ClusterTarget } from './federation/envelope.js';
export type { Topology } from './federation/routes.js';
export { FederationOptionsError } from './federation/errors.js';
export { federatedAdapter, type FederatedAdapterOptions } from './federation/topics.js';
