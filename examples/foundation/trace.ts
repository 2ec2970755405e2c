/**
 * A distributed trace of one request across three nodes: `withContext` starts a trace (and a
 * deadline); each service hop runs in the caller's context — carried on the wire as a W3C
 * `traceparent` — with a span of its own, and calls the next through Foundation.
 * Run: `pnpm tsx examples/foundation/trace.ts`
 */
import { randomBytes } from 'node:crypto';
import { Actor, defineActor } from '@foundation/runtime';
import { Foundation, currentContext, toTraceparent, withContext } from 'foundation';

/** One step of the request: logs its span, then calls the next step (if any). */
class Step extends Actor<string[], string[], null> {
  override async handleCall(rest: string[]): Promise<string[]> {
    const ctx = currentContext()!;
    const line = `${this.node.name}: traceparent ${toTraceparent(ctx)} tenant ${ctx.tenant} (${ctx.deadline! - Date.now()} ms left)`;
    const [next, ...after] = rest;
    if (next === undefined) return [line];
    return [line, ...(await Foundation.of(this.node)!.call<string[]>(next, after))];
  }
}
defineActor('ExampleTraceStep', Step);

const env = { FOUNDATION_CLUSTER_ID: `tr${randomBytes(3).toString('hex')}` };
// A cluster-wide registry (production's default) so each node's `step-<name>` is found from the others.
const opts = { env, processes: { registry: 'distributed' }, caching: { adapter: false } } as const;
const nodes = await Promise.all(['gateway', 'orders', 'billing'].map((name) => Foundation.start({ ...opts, name })));
try {
  await nodes[0]!.waitForNodes(3);
  await Promise.all(nodes.map((f) => f.startService(Step, null, { name: `step-${f.node.name}` })));
  const names = nodes.map((f) => `step-${f.node.name}`);
  while (!nodes.every((f) => names.every((n) => f.registry.whereis(n) !== undefined))) await new Promise((r) => setTimeout(r, 20));
  const traceId = randomBytes(16).toString('hex');
  const spans = await withContext({ traceId, tenant: 'acme', deadline: Date.now() + 5000 }, () =>
    nodes[0]!.call<string[]>('step-gateway', ['step-orders', 'step-billing']),
  );
  console.log(`trace ${traceId}`);
  for (const s of spans) console.log(`  ${s}`);
} finally {
  await Promise.all(nodes.map((f) => f.stop()));
}
