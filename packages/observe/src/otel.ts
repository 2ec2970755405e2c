import { SpanKind, SpanStatusCode, trace as otelTrace, type Span, type Tracer } from '@opentelemetry/api';
import { describeValue, inspect, isCleanExit, type InspectEvent, type Node } from '@foundation/runtime';

/** Calls waiting for their reply that keep their span open, at most. */
const MAX_OPEN = 10_000;

/**
 * OpenTelemetry spans for the calls this node's processes handle: one server span per call,
 * from the moment the callee takes the request to its reply (or to the callee's exit, with an
 * error status, when it never answers). Spans go to the tracer `@opentelemetry/api` gives:
 * without an SDK registered they are the API's non-recording ones. Every message received on
 * the node becomes an inspection event while this runs; returns the function that stops it.
 */
export function callSpans(node: Node, tracer: Tracer = otelTrace.getTracer('@foundation/observe')): () => void {
  /** Open spans by the call's reference (with their callee), and the references each callee holds open. */
  const open = new Map<string, { span: Span; callee: string }>();
  const byCallee = new Map<string, Set<string>>();
  const close = (ref: string): Span | undefined => {
    const o = open.get(ref);
    if (o === undefined) return undefined;
    open.delete(ref);
    const refs = byCallee.get(o.callee);
    refs?.delete(ref);
    if (refs?.size === 0) byCallee.delete(o.callee);
    return o.span;
  };
  const onEvent = (e: InspectEvent): void => {
    if (e.type === 'receive') {
      if (e.kind !== 'call' || e.ref === null) return;
      const span = tracer.startSpan('foundation.call', {
        kind: SpanKind.SERVER,
        attributes: {
          'foundation.node': e.node,
          'foundation.callee': e.pid.toString(),
          'foundation.caller': e.from?.toString() ?? '',
          'foundation.request': describeValue(e.msg).slice(0, 200),
        },
      });
      open.set(e.ref.key, { span, callee: e.pid.key });
      // A call never answered by a callee that lives on (its caller timed out) must not stay forever.
      if (open.size > MAX_OPEN) {
        const oldest = open.keys().next().value as string;
        close(oldest)?.setStatus({ code: SpanStatusCode.ERROR, message: 'no reply among the latest calls' }).end();
      }
      let refs = byCallee.get(e.pid.key);
      if (refs === undefined) byCallee.set(e.pid.key, (refs = new Set()));
      refs.add(e.ref.key);
    } else if (e.type === 'reply') {
      // The reply may come from another process than the callee (the call handed on): by ref, not by replier.
      const span = close(e.ref.key);
      if (span === undefined) return;
      span.setStatus({ code: SpanStatusCode.OK });
      span.end();
    } else if (e.type === 'exit') {
      const refs = byCallee.get(e.pid.key);
      if (refs === undefined) return;
      byCallee.delete(e.pid.key);
      for (const ref of refs) {
        const span = open.get(ref)?.span;
        if (span === undefined) continue;
        open.delete(ref);
        span.setStatus({ code: SpanStatusCode.ERROR, message: `the callee exited before replying: ${describeValue(e.reason)}` });
        if (!isCleanExit(e.reason) && e.reason instanceof Error) span.recordException(e.reason);
        span.end();
      }
    }
  };
  return inspect(node, onEvent, { types: ['receive', 'reply', 'exit'] });
}
