/**
 * @foundation/observe — seeing inside a running cluster: an observer per node (agent,
 * Prometheus metrics, `/metrics` and a live dashboard), traces collected across nodes, and
 * the data the `foundation` CLI shows.
 */
export { Observer, type ObserverOptions } from './observer.js';
export type { HttpOptions } from './http.js';
export { trace, Trace, type TraceOptions } from './trace.js';
export { nodeMetrics, type NodeMetrics } from './metrics.js';
export { callSpans } from './otel.js';
export { clusterView, type ClusterView } from './cluster-view.js';
export { ObserveAgent, type AgentReply, type TraceBatch } from './agent.js';
export { askAgent } from './ask.js';
export {
  AGENT_NAME,
  parsePid,
  type TraceRecord,
  type TraceFlags,
  type ProcessRow,
  type NodeSnapshot,
  type NodeEventRow,
} from './records.js';
export { BadPidError, BadObserveRequestError, NoObserverError } from './errors.js';
