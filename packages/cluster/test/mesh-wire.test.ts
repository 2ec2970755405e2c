import { describe, expect, test } from 'vitest';
import { encode } from '@foundation/runtime';
import { CloseCode, PROTOCOL_VERSION } from '../src/index.js';
import { MAX_PEERS } from '../src/mesh/protocol.js';
import { parseControl, parseHandshake, parsePeerUrl } from '../src/mesh/wire.js';

const peers = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `node-${i}`, url: `ws://10.0.${i >> 8}.${i & 255}:4369` }));
const welcome = (n: number) => encode({ h: 'welcome', v: PROTOCOL_VERSION, proof: new Uint8Array(32), peers: peers(n) });

describe('the wire boundary', () => {
  test('peer URLs come out in canonical spelling, or not at all', () => {
    expect(parsePeerUrl('WS://Example.COM:80/')).toBe('ws://example.com');
    expect(parsePeerUrl('wss://h:1/p?q#frag')).toBe('wss://h:1/p?q');
    for (const bad of ['ws://[', 'ws://a:99999', 'ws://', 'http://h:1', 5, null, `ws://${'a'.repeat(3000)}`])
      expect(parsePeerUrl(bad)).toBeNull();
  });

  test("a welcome from a node with a few hundred peers fits (the peer list is not held to the hello's size limit)", () => {
    const r = parseHandshake(welcome(300), 'welcome');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.peers).toHaveLength(300);
  });

  test('a hello is held to a few KiB, a welcome to what MAX_PEERS peers take', () => {
    const hello = encode({ h: 'hello', v: PROTOCOL_VERSION, pad: 'x'.repeat(9000) });
    expect(parseHandshake(hello, 'hello')).toMatchObject({ ok: false, code: CloseCode.badFrame });
    expect(parseHandshake(welcome(MAX_PEERS + 1), 'welcome')).toMatchObject({ ok: false, code: CloseCode.badFrame });
  });

  test('a control record: the closed union, nothing else', () => {
    expect(parseControl(encode({ c: 'ping' }))).toEqual({ ok: true, value: { c: 'ping' } });
    expect(parseControl(encode({ c: 'peers', peers: [{ name: 'b', url: 'ws://B:1/' }] }))).toEqual({
      ok: true,
      value: { c: 'peers', peers: [{ name: 'b', url: 'ws://b:1' }] },
    });
    expect(parseControl(encode({ c: 'pong' }))).toMatchObject({ ok: false, code: CloseCode.badFrame });
  });
});
