/**
 * Level 3, raw access: every object Foundation wired is reachable — the runtime node, the
 * registry, the supervisors, the PubSub, the cache — for anything the simple API does not
 * cover. Here: Presence on Foundation's PubSub, a child under its supervisor, a raw spawn.
 * Run: `pnpm tsx examples/foundation/level3.ts`
 */
import { Actor, isDown } from '@foundation/runtime';
import { Presence } from '@foundation/pubsub';
import { Foundation } from 'foundation';

/** Says pong. */
class Pong extends Actor<'ping', 'pong', null> {
  override handleCall() {
    return 'pong' as const;
  }
}

const f = await Foundation.start({ cluster: 'none' });
try {
  const node = f.node; // @foundation/runtime's Node
  const raw = await node.spawnAndWait(Pong, null);
  console.log(`raw spawn: ${String(await node.call(raw, 'ping'))}`);

  await f.supervisor.startChild({ id: 'pong', start: [Pong, null] }); // Foundation's Supervisor handle
  console.log(`supervisor children: ${(await f.supervisor.whichChildren()).map((c) => c.id).join(', ')}`);

  const presence = await Presence.start(node, { name: 'rooms', pubsub: f.pubsub });
  const member = node.inbox();
  await presence.track(member.self, 'room.lobby', 'alice', { device: 'phone' });
  console.log(`presence in room.lobby: ${[...presence.list('room.lobby').keys()].join(', ')}`);

  member.monitor(raw);
  node.exit(raw, 'kill');
  const down = await member.receive(isDown, 5000);
  console.log(`DOWN ${String(down.pid)}: ${String(down.reason)}`);
  await presence.stop();
} finally {
  await f.stop();
}
