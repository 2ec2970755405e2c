/**
 * @foundation/pubsub — topics across the cluster (Phoenix.PubSub's model): AMQP wildcard
 * subscriptions on a trie index, a mesh adapter on process groups (the default) and a Redis
 * adapter.
 */
export { PubSub, type PubSubOptions, type SubscribeOptions, type BroadcastOptions } from './pubsub.js';
export { clusterAdapter, clusterScope } from './cluster-adapter.js';
export { redisAdapter, type RedisAdapterOptions } from './redis-adapter.js';
export type { AdapterFactory } from './adapter.js';
export { plainDispatcher, withTopic, type Dispatcher, type Dispatch, type Subscriber, type TopicMessage } from './dispatcher.js';
export { parseTopic, canonicalPattern, isWildcard, MAX_TOPIC_LENGTH } from './topic.js';
export type { BroadcastFrame } from './frame.js';
export type { PubSubLogger, PubSubStats } from './internal/core.js';
export { InvalidTopicError, InvalidPatternError, UnknownDispatcherError, PubSubUnavailableError, AlreadyTrackedError } from './errors.js';
export { Presence, type PresenceOptions } from './presence.js';
export { isPresenceDiff, type PresenceDiff, type PresenceEntry } from './presence-diff.js';
