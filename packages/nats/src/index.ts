/**
 * @foundation/nats — a NATS transport for Foundation nodes: the nodes of a cluster find each
 * other through nats-server and exchange frames over it.
 */
export { nats, NatsTransport } from './transport.js';
export type { NatsOptions, NatsTlsOptions, NatsLogger } from './options.js';
export { NatsOptionsError, NatsConnectError } from './errors.js';
