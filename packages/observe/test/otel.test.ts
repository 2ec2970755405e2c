import { afterEach, describe, expect, it } from 'vitest';
import {
  SpanStatusCode,
  trace as otelTrace,
  type Attributes,
  type Span,
  type SpanOptions,
  type SpanStatus,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { Actor, Node, noReply, type From, type Pid } from '@foundation/runtime';
import { Observer, callSpans } from '../src/index.js';

/** What an in-memory tracer recorded of one span. */
interface Recorded {
  name: string;
  attributes: Attributes;
  status: SpanStatus | null;
  ended: boolean;
  exceptions: unknown[];
}

/** A tracer written against the OpenTelemetry API that keeps its spans in memory (the SDK is not a dependency here). */
class MemoryTracer {
  readonly spans: Recorded[] = [];
  startSpan(name: string, opts?: SpanOptions): Span {
    const r: Recorded = { name, attributes: { ...opts?.attributes }, status: null, ended: false, exceptions: [] };
    this.spans.push(r);
    const span = {
      spanContext: () => ({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 }),
      setAttribute: (k: string, v: unknown) => ((r.attributes[k] = v as never), span),
      setAttributes: (a: Attributes) => (Object.assign(r.attributes, a), span),
      addEvent: () => span,
      addLink: () => span,
      addLinks: () => span,
      setStatus: (s: SpanStatus) => ((r.status = s), span),
      updateName: (n: string) => ((r.name = n), span),
      end: () => void (r.ended = true),
      isRecording: () => !r.ended,
      recordException: (e: unknown) => void r.exceptions.push(e),
    };
    return span as unknown as Span;
  }
}

class Server extends Actor<'echo' | 'never' | 'crash', string, void> {
  override handleCall(msg: 'echo' | 'never' | 'crash', _from: From): string | typeof noReply {
    if (msg === 'crash') throw new Error('handler failed');
    return msg === 'never' ? noReply : 'echoed';
  }
}

/** Answers a call it was handed, on the original caller's behalf. */
class Helper extends Actor<never, never, void> {
  override handleInfo(from: From): void {
    this.reply(from, 'helped');
  }
}

/** Hands each call on to a helper and returns noReply. */
class Front extends Actor<'go', string, Pid> {
  private helper!: Pid;
  override init(helper: Pid): void {
    this.helper = helper;
  }
  override handleCall(_msg: 'go', from: From): typeof noReply {
    this.send(this.helper, from as never);
    return noReply;
  }
}

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

describe('call spans', () => {
  it('makes one span per handled call, ended at its reply, or with an error when the callee exits first', async () => {
    const node = await Node.start({ name: 'otel' });
    stops.push(() => node.stop());
    const tracer = new MemoryTracer();
    stops.push(callSpans(node, tracer as unknown as Tracer));
    const server = node.spawn(Server, undefined);
    expect(await node.call(server, 'echo')).toBe('echoed');
    expect(tracer.spans).toHaveLength(1);
    expect(tracer.spans[0]).toMatchObject({
      name: 'foundation.call',
      ended: true,
      status: { code: SpanStatusCode.OK },
      attributes: {
        'foundation.node': 'otel',
        'foundation.callee': server.toString(),
        'foundation.caller': node.self.toString(),
        'foundation.request': "'echo'",
      },
    });
    const pending = node.call(server, 'never', 60_000);
    await new Promise((r) => setImmediate(r));
    expect(tracer.spans[1]!.ended).toBe(false);
    await expect(node.call(server, 'crash')).rejects.toThrow();
    await expect(pending).rejects.toThrow();
    // Both open calls of the crashed callee end with an error.
    expect(tracer.spans.slice(1).map((s) => [s.ended, s.status?.code])).toEqual([
      [true, SpanStatusCode.ERROR],
      [true, SpanStatusCode.ERROR],
    ]);
    expect(tracer.spans[2]!.exceptions).toHaveLength(1);
  });

  it('ends a call s span when another process replies for the callee (the call handed on)', async () => {
    const node = await Node.start({ name: 'otel3' });
    stops.push(() => node.stop());
    const tracer = new MemoryTracer();
    stops.push(callSpans(node, tracer as unknown as Tracer));
    const helper = node.spawn(Helper, undefined);
    const front = node.spawn(Front, helper);
    expect(await node.call(front, 'go')).toBe('helped');
    const mine = tracer.spans.filter((s) => s.attributes['foundation.callee'] === front.toString());
    expect(mine.map((s) => [s.ended, s.status?.code])).toEqual([[true, SpanStatusCode.OK]]);
  });

  it('Observer.start({ spans: true }) uses the tracer the API gives (a registered provider)', async () => {
    const tracer = new MemoryTracer();
    const provider: TracerProvider = { getTracer: () => tracer as unknown as Tracer };
    expect(otelTrace.setGlobalTracerProvider(provider)).toBe(true);
    stops.push(() => otelTrace.disable());
    const node = await Node.start({ name: 'otel2' });
    stops.push(() => node.stop());
    const obs = await Observer.start(node, { spans: true });
    stops.push(() => obs.stop());
    const server = node.spawn(Server, undefined);
    await node.call(server, 'echo');
    expect(tracer.spans.filter((s) => s.attributes['foundation.callee'] === server.toString()).map((s) => s.status?.code)).toEqual([
      SpanStatusCode.OK,
    ]);
  });
});
