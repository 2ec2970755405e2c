/**
 * foundation — one import from zero-config development to a production cluster: profile
 * detection, discovery, registry, supervision, pubsub and cache wired together, and a small
 * API (services, routing, context, clusterInfo) over them.
 */
export { Foundation, type FoundationTarget, type StartServiceOptions, type ServiceHandle, type Health } from './foundation.js';
export type { ServiceStrategy } from './services.js';
export {
  checkFoundationOptions,
  type FoundationOptions,
  type Profile,
  type ClusterMode,
  type ClusteringOptions,
  type ProcessesOptions,
  type MessagingOptions,
  type CachingOptions,
} from './options.js';
export { resolveConfig, syncIntervalFor, type FoundationConfig, type Environment } from './config.js';
export { developmentCookie, projectRoot } from './cookie.js';
export { PubSubInvalidationBus, parseInvalidation, type PubSubInvalidationBusHandle } from './pubsub-bus.js';
export { withContext, currentContext, toTraceparent, parseTraceparent, type RequestContext, type ContextInput } from './context.js';
export { ServiceMesh, MAILBOX_BOUND, type Routing, type ServiceFilter } from './service-mesh.js';
export { LoadReporter, LOAD_REPORTER, parseLoad, type ClusterInfo, type ServiceInfo, type NodeLoad } from './cluster-info.js';
export { contextAware, wrapInContext, openEnvelope, type ContextEnvelope } from './envelope.js';
export { defineTask, mapReduce, MapWorker, MAP_WORKER, type MapTask, type MapReduceOptions, type ChunkReply } from './map-reduce.js';
export {
  FoundationOptionError,
  CookieRequiredError,
  UnknownTargetError,
  ServiceExistsError,
  NoHealthyInstanceError,
  DeadlineExceededError,
  MapReduceError,
  MapTaskError,
} from './errors.js';
