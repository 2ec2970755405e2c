import { connect, nkeyAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { ResolvedNatsOptions } from './options.js';

/** Opens a connection to NATS with the servers, credentials and TLS of `o`, reconnecting for ever. */
export function openNats(o: ResolvedNatsOptions, clientName: string): Promise<NatsConnection> {
  const co: NodeConnectionOptions = {
    servers: o.servers,
    name: clientName,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: Math.max(1000, o.heartbeatMs * 2),
  };
  if (o.user !== undefined) Object.assign(co, { user: o.user, pass: o.pass });
  if (o.token !== undefined) co.token = o.token;
  if (o.nkeySeed !== undefined) co.authenticator = nkeyAuthenticator(new TextEncoder().encode(o.nkeySeed));
  if (o.tls !== undefined) co.tls = { ...o.tls };
  return connect(co);
}
