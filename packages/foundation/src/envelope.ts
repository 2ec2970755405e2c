import type { ActorClass } from '@foundation/runtime';
import { currentContext, newSpanId, parseTraceparent, runInContext, toTraceparent, type RequestContext } from './context.js';

/**
 * A message with its context, as it travels: the W3C `traceparent` (so any OpenTelemetry
 * propagator can read it), the tenant and the deadline. Plain data, encodable.
 */
export interface ContextEnvelope {
  readonly $fctx: 1;
  readonly traceparent: string;
  readonly tenant?: string;
  readonly deadline?: number;
  readonly msg: unknown;
}

/** `msg` in an envelope carrying the current context; `msg` itself outside any context. */
export function wrapInContext(msg: unknown): unknown {
  const ctx = currentContext();
  if (ctx === undefined) return msg;
  return {
    $fctx: 1,
    traceparent: toTraceparent(ctx),
    ...(ctx.tenant !== undefined ? { tenant: ctx.tenant } : {}),
    ...(ctx.deadline !== undefined ? { deadline: ctx.deadline } : {}),
    msg,
  } satisfies ContextEnvelope;
}

/**
 * The boundary for envelopes from peers: the context and the inner message, or undefined when
 * `x` is not an envelope. A malformed context (bad traceparent, tenant or deadline) is dropped,
 * the message still delivered: a peer's bad header never costs the message.
 */
export function openEnvelope(x: unknown): { ctx: RequestContext | undefined; msg: unknown } | undefined {
  if (typeof x !== 'object' || x === null || (x as { $fctx?: unknown }).$fctx !== 1 || !('msg' in x)) return undefined;
  const e = x as Record<string, unknown>;
  const ids = parseTraceparent(e.traceparent);
  const tenantOk = e.tenant === undefined || typeof e.tenant === 'string';
  const deadlineOk = e.deadline === undefined || (typeof e.deadline === 'number' && Number.isFinite(e.deadline));
  if (ids === undefined || !tenantOk || !deadlineOk) return { ctx: undefined, msg: e.msg };
  // A new span on this side, in the sender's trace.
  const ctx: RequestContext = {
    traceId: ids.traceId,
    spanId: newSpanId(),
    ...(typeof e.tenant === 'string' ? { tenant: e.tenant } : {}),
    ...(typeof e.deadline === 'number' ? { deadline: e.deadline } : {}),
  };
  return { ctx, msg: e.msg };
}

const WRAPPED = Symbol.for('foundation.contextAware');
const HANDLERS = ['handleCall', 'handleCast', 'handleInfo'] as const;

/**
 * Makes an actor class open context envelopes: its handleCall, handleCast and handleInfo get
 * the inner message and run in the sender's context (trace, tenant, deadline), so what they
 * send or call through Foundation carries it on. Plain messages pass as before. startService
 * applies it; call it yourself for actors reached otherwise. Returns the class (changed in
 * place, once).
 */
export function contextAware<C extends ActorClass>(Cls: C): C {
  const proto = Cls.prototype as Record<string | symbol, unknown>;
  if (Object.prototype.hasOwnProperty.call(proto, WRAPPED)) return Cls;
  for (const h of HANDLERS) {
    const original = proto[h] as ((this: unknown, ...args: unknown[]) => unknown) | undefined;
    if (typeof original !== 'function') continue;
    Object.defineProperty(proto, h, {
      configurable: true,
      writable: true,
      value: function (this: unknown, msg: unknown, ...rest: unknown[]): unknown {
        const opened = openEnvelope(msg);
        if (opened === undefined) return original.call(this, msg, ...rest);
        if (opened.ctx === undefined) return original.call(this, opened.msg, ...rest);
        return runInContext(opened.ctx, () => original.call(this, opened.msg, ...rest));
      },
    });
  }
  Object.defineProperty(proto, WRAPPED, { value: true });
  return Cls;
}
