import { describe, expect, it } from 'vitest';
import { Actor, Node } from '@foundation/runtime';
import {
  contextAware,
  currentContext,
  openEnvelope,
  parseInvalidation,
  parseLoad,
  parseTraceparent,
  toTraceparent,
  withContext,
  wrapInContext,
} from '../src/index.js';

describe('context envelopes', () => {
  it('outside any context a message goes as it is', () => {
    expect(wrapInContext({ a: 1 })).toEqual({ a: 1 });
  });

  it('inside a context the envelope carries a W3C traceparent, the tenant and the deadline', () => {
    const traceId = 'ab'.repeat(16);
    withContext({ traceId, tenant: 't1', deadline: 123 }, () => {
      const e = wrapInContext('m') as Record<string, unknown>;
      expect(e.traceparent).toBe(toTraceparent(currentContext()!));
      expect(parseTraceparent(e.traceparent)?.traceId).toBe(traceId);
      const opened = openEnvelope(e)!;
      expect(opened.msg).toBe('m');
      expect(opened.ctx).toMatchObject({ traceId, tenant: 't1', deadline: 123 });
      expect(opened.ctx!.spanId).not.toBe(currentContext()!.spanId);
    });
  });

  it("a peer's malformed context is dropped and its message still delivered", () => {
    expect(openEnvelope({ $fctx: 1, traceparent: '00-zz-yy-01', msg: 'm' })).toEqual({ ctx: undefined, msg: 'm' });
    expect(openEnvelope({ $fctx: 1, traceparent: `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`, msg: 'm' })).toEqual({
      ctx: undefined,
      msg: 'm',
    });
    expect(openEnvelope({ $fctx: 1, traceparent: `00-${'1'.repeat(32)}-${'1'.repeat(16)}-01`, deadline: 'soon', msg: 'm' })).toEqual({
      ctx: undefined,
      msg: 'm',
    });
    expect(openEnvelope({ msg: 'not an envelope' })).toBeUndefined();
  });

  it('nested contexts keep the trace and the earlier deadline', () => {
    withContext({ deadline: 100, tenant: 'outer' }, () =>
      withContext({ deadline: 200 }, () => expect(currentContext()).toMatchObject({ deadline: 100, tenant: 'outer' })),
    );
  });

  it('a contextAware actor runs its handler in the sender context and takes plain messages as before', async () => {
    class Probe extends Actor<string, string | undefined, null> {
      override handleCall(msg: string) {
        return `${msg}:${currentContext()?.tenant ?? '-'}`;
      }
    }
    contextAware(Probe);
    const node = await Node.start();
    try {
      const pid = await node.spawnAndWait(Probe, null);
      await expect(node.call(pid, 'plain')).resolves.toBe('plain:-');
      await expect(withContext({ tenant: 'acme' }, () => node.call(pid, wrapInContext('wrapped') as string))).resolves.toBe('wrapped:acme');
    } finally {
      await node.stop();
    }
  });
});

describe('PubSubInvalidationBus boundary', () => {
  it('accepts an invalidation and rejects anything else', () => {
    expect(parseInvalidation({ cache: 'c', k: 'x', origin: 'a:1' })).toEqual({ cache: 'c', k: 'x', origin: 'a:1' });
    expect(parseInvalidation({ cache: 'c', k: null, origin: 'a:1', extra: 1 })).toEqual({ cache: 'c', k: null, origin: 'a:1' });
    expect(parseInvalidation({ cache: 'c', k: 5, origin: 'a:1' })).toBeUndefined();
    expect(parseInvalidation('c')).toBeUndefined();
  });
});

describe('load report boundary', () => {
  it("accepts a peer's load and rejects a malformed one", () => {
    expect(parseLoad({ processes: 3, runQueue: 0, deadLetters: 0, schedulers: 2 })).toEqual({
      processes: 3,
      runQueue: 0,
      deadLetters: 0,
      schedulers: 2,
    });
    expect(parseLoad({ processes: -1, runQueue: 0, deadLetters: 0, schedulers: 2 })).toBeUndefined();
    expect(parseLoad({ processes: 3 })).toBeUndefined();
  });
});
