import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { FoundationOptionError } from './errors.js';

/** What travels with a request: a trace (W3C ids), a tenant, a deadline (ms since the epoch). */
export interface RequestContext {
  /** 32 lowercase hex digits (W3C trace-id). */
  readonly traceId: string;
  /** 16 lowercase hex digits: the current span (W3C parent-id). */
  readonly spanId: string;
  readonly tenant?: string;
  /** Epoch ms after which calls made in this context fail with DeadlineExceededError. */
  readonly deadline?: number;
}

/** What withContext takes: every field optional (a trace id is made when none is given). */
export interface ContextInput {
  readonly traceId?: string;
  readonly tenant?: string;
  readonly deadline?: number;
}

const storage = new AsyncLocalStorage<RequestContext>();
const TRACE = /^[0-9a-f]{32}$/;
const SPAN = /^[0-9a-f]{16}$/;

/** The context `fn` runs in (or undefined outside any withContext). */
export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Runs `fn` in a context: the given fields over the current context's (a nested call keeps
 * the trace and narrows the deadline), with a new span. Everything `fn` awaits sees it.
 */
export function withContext<T>(input: ContextInput, fn: () => T): T {
  if (typeof input !== 'object' || input === null) throw new FoundationOptionError('withContext context', 'an object', input);
  if (input.traceId !== undefined && (typeof input.traceId !== 'string' || !TRACE.test(input.traceId) || /^0+$/.test(input.traceId)))
    throw new FoundationOptionError('withContext traceId', '32 lowercase hex digits, not all zero', input.traceId);
  if (input.tenant !== undefined && typeof input.tenant !== 'string')
    throw new FoundationOptionError('withContext tenant', 'a string', input.tenant);
  if (input.deadline !== undefined && (typeof input.deadline !== 'number' || !Number.isFinite(input.deadline)))
    throw new FoundationOptionError('withContext deadline', 'epoch milliseconds', input.deadline);
  const outer = storage.getStore();
  const deadline =
    outer?.deadline !== undefined && input.deadline !== undefined
      ? Math.min(outer.deadline, input.deadline)
      : (input.deadline ?? outer?.deadline);
  const tenant = input.tenant ?? outer?.tenant;
  const ctx: RequestContext = {
    traceId: input.traceId ?? outer?.traceId ?? randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    ...(tenant !== undefined ? { tenant } : {}),
    ...(deadline !== undefined ? { deadline } : {}),
  };
  return storage.run(ctx, fn);
}

/** The W3C `traceparent` header of a context: `00-<trace-id>-<parent-id>-01`. */
export function toTraceparent(ctx: RequestContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-01`;
}

/** Parses a W3C `traceparent` (version 00) into trace and span ids; undefined when it is not one. */
export function parseTraceparent(header: unknown): { traceId: string; spanId: string } | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(header);
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return { traceId: m[1]!, spanId: m[2]! };
}

/** Runs `fn` in `ctx` exactly (no merging): how a received envelope's context is entered. */
export function runInContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** True for a span id of the W3C form. */
export function isSpanId(x: unknown): boolean {
  return typeof x === 'string' && SPAN.test(x);
}

/** A new span id (W3C parent-id form). */
export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}
