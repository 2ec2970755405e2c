import { afterEach, describe, expect, test } from 'vitest';
import { PeerTable } from '../src/mesh/peer-table.js';
import { instanceId } from '../src/mesh/protocol.js';
import { meshOf, startNode, stopAll, until } from './mesh-helpers.js';

afterEach(stopAll);

describe('the peer table forgets what comes and goes', () => {
  test('URL aliases of nodes that are gone do not accumulate: peers that come and go leave no alias or connection behind', async () => {
    const { node: a } = await startNode('a');
    const table = meshOf(a).peers;
    for (let i = 0; i < 5; i++) {
      const { node: b } = await startNode(`b${i}`);
      await a.connect(b.url); // a dials: the URL dialled and the advertised one are aliases
      await until(() => expect(a.nodes()).toEqual([`b${i}`]));
      expect(table.sizes().aliases).toBeGreaterThan(0);
      await b.stop();
      await until(() => expect(a.nodes()).toEqual([]));
      expect(table.sizes()).toMatchObject({ aliases: 0, conns: 0 });
    }
    // Identities stay a while (a duplicate is still recognised), one per name.
    expect(table.sizes().identities).toBe(5);
  });

  test('an alias to a node that never came up is dropped by the next prune', () => {
    const self = { name: 'a', inc: 1, instance: instanceId(), url: 'ws://127.0.0.1:1' };
    const table = new PeerTable(() => self, 1000);
    table.alias('ws://127.0.0.1:2', 'ghost');
    table.alias('ws://127.0.0.1:3', 'ghost');
    expect(table.sizes().aliases).toBe(2);
    table.prune(performance.now());
    expect(table.sizes().aliases).toBe(0);
  });
});
