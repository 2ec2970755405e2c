import { afterEach, describe, expect, it } from 'vitest';
import { Actor, Node, UnknownOptionError } from '@foundation/runtime';
import { Observer } from '../src/index.js';

class Sink extends Actor<string, string, void> {
  override handleCall(msg: string): string {
    return msg;
  }
  override handleCast(msg: string): void {
    if (msg === 'crash') throw new Error('crash asked');
  }
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function observed(http: { token?: string } = {}): Promise<{ node: Node; obs: Observer }> {
  const node = await Node.start({ name: 'm' });
  stops.push(() => node.stop());
  const obs = await Observer.start(node, { http });
  stops.push(() => obs.stop());
  return { node, obs };
}

/**
 * A strict reading of the Prometheus text format (0.0.4): every family has HELP then TYPE
 * before its samples; every sample is `name{label="value",...} number` of a declared family.
 */
function parseExposition(text: string): Map<string, { type: string; samples: { labels: Record<string, string>; value: number }[] }> {
  const families = new Map<string, { type: string; samples: { labels: Record<string, string>; value: number }[] }>();
  let help: string | null = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line);
    if (m) {
      help = m[1]!;
      continue;
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) {
      if (m[1] !== help) throw new Error(`TYPE without its HELP: ${line}`);
      families.set(m[1]!, { type: m[2]!, samples: [] });
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const fam = families.get(m[1]!);
    if (fam === undefined) throw new Error(`sample of an undeclared family: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    fam.samples.push({ labels, value: Number(m[3]) });
  }
  return families;
}

describe('metrics', () => {
  it('serves /metrics on 127.0.0.1 in the Prometheus text format, with the node s processes, mailboxes, spawns and exits', async () => {
    const { node, obs } = await observed();
    expect(new URL(obs.url).hostname).toBe('127.0.0.1');
    const sinks = [node.spawn(Sink, undefined), node.spawn(Sink, undefined), node.spawn(Sink, undefined)];
    for (const s of sinks) await node.call(s, 'hi');
    node.cast(sinks[0]!, 'crash');
    await node.call(sinks[1]!, 'sync');
    const res = await fetch(`${obs.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const fams = parseExposition(await res.text());
    const value = (name: string, labels: Record<string, string> = {}) =>
      fams.get(name)?.samples.find((s) => Object.entries({ node: 'm', ...labels }).every(([k, v]) => s.labels[k] === v))?.value;
    expect(fams.get('foundation_processes')?.type).toBe('gauge');
    expect(value('foundation_processes')).toBe(2 + 1); // two sinks and the agent
    expect(fams.get('foundation_spawns_total')?.type).toBe('counter');
    expect(value('foundation_spawns_total')).toBe(3);
    expect(value('foundation_exits_total', { clean: 'false' })).toBe(1);
    expect(value('foundation_messages_handled_total')).toBeGreaterThanOrEqual(5);
    expect(value('foundation_mailbox_messages')).toBe(0);
    expect(value('foundation_connected_nodes')).toBe(0);
  });

  it('refuses a scrape without the token when one is set, and serves it with the token', async () => {
    const { obs } = await observed({ token: 's3cret' });
    expect((await fetch(`${obs.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${obs.url}/metrics`, { headers: { authorization: 'Bearer nope!!' } })).status).toBe(401);
    const ok = await fetch(`${obs.url}/metrics`, { headers: { authorization: 'Bearer s3cret' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('foundation_processes{node="m"}');
  });

  it('refuses unknown options', async () => {
    const node = await Node.start({ name: 'o' });
    stops.push(() => node.stop());
    await expect(Observer.start(node, { htpp: {} } as never)).rejects.toThrow(UnknownOptionError);
    await expect(Observer.start(node, { http: { prot: 1 } } as never)).rejects.toThrow(UnknownOptionError);
  });
});
