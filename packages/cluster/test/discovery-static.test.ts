import { describe, expect, it } from 'vitest';
import { StrategyOptionError, staticPeers } from '../src/index.js';
import { recordingContext } from './fixtures/strategy-context.js';

describe('staticPeers', () => {
  it("reports every listed URL once, except this node's own", async () => {
    const s = staticPeers(['ws://127.0.0.1:4001', 'wss://b.example:443/', 'ws://127.0.0.1:4000', 'ws://127.0.0.1:4001']);
    const ctx = recordingContext('a', 'ws://127.0.0.1:4000');
    await s.start(ctx);
    expect([...ctx.urls]).toEqual(['ws://127.0.0.1:4001', 'wss://b.example:443/']);
    expect(ctx.foundCount).toBe(2);
    await s.stop();
    expect(s.name).toBe('static');
  });

  it('never reports a listed peer lost, not even when it stops', async () => {
    const s = staticPeers(['ws://127.0.0.1:4001', 'ws://127.0.0.1:4002']);
    const ctx = recordingContext('a', 'ws://127.0.0.1:4000');
    await s.start(ctx);
    await s.stop();
    await s.start(ctx);
    expect(ctx.lostUrls).toEqual([]);
    expect(ctx.foundCount).toBe(4);
  });

  it('rejects what is not a list of ws:// or wss:// URLs, naming the entry', () => {
    expect(() => staticPeers('ws://a:1' as unknown as string[])).toThrow(StrategyOptionError);
    expect(() => staticPeers(['ws://a:1', 'http://b:2'])).toThrow(
      /staticPeers: option urls\[1\] must be a ws:\/\/ or wss:\/\/ URL, got 'http:\/\/b:2'/,
    );
    expect(() => staticPeers(['not a url'])).toThrow(StrategyOptionError);
    expect(() => staticPeers([42 as unknown as string])).toThrow(/urls\[0\]/);
  });
});
